"""What the backend and its Blender worker say to each other over the worker's stdin/stdout.

Requests:  {"op": "write", "sketch": {...}, "blend": PATH, "preview": PATH|null, "size": 512}
Replies:   {"ok": true, ...} or {"ok": false, "error": "what went wrong"}, one JSON line each,
           after REPLY_PREFIX so that Blender's own chatter on stdout is ignored.
The first reply, {"ok": true, "ready": true}, comes once bpy is loaded and the render engine
warmed up.
"""

REPLY_PREFIX = "@threedraw@ "
WORKER_MODULE = "threedraw.blender.worker"  # run as `python -m WORKER_MODULE`
PREVIEW_SIZE = 512  # px, the default preview
MIN_PREVIEW_SIZE = 16
MAX_PREVIEW_SIZE = 2048
