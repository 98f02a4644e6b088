"""The HTTP backend for the Blender add-on: app, one router per resource (routes/), request schemas,
settings, guard, errors, token, and the job runner (jobs/: manager, store, kinds)."""
