"""Pure-Python core shared by the backend and the Blender add-on.

Imports nothing third-party and only relative imports inside the package, so it
can be vendored verbatim into the add-on zip.
"""
