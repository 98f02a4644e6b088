"""What the backend and its Blender worker say to each other over the worker's stdin/stdout.

Requests:  {"op": "write", "sketch": {...}, "blend": PATH, "preview": PATH|null, "size": 512}
Replies:   {"ok": true, ...} or {"ok": false, "error": "what went wrong"}, one JSON line each,
           after REPLY_PREFIX so that Blender's own chatter on stdout is ignored.
The first reply, {"ok": true, "ready": true}, comes once bpy is loaded and the render engine
warmed up.
"""

# Every picture a command makes has the one size range, the renderer's (render, draw, blend, serve).
from ..rendering.camera import MAX_SIZE as MAX_PREVIEW_SIZE  # noqa: F401 (re-exported)
from ..rendering.camera import MIN_SIZE as MIN_PREVIEW_SIZE  # noqa: F401

REPLY_PREFIX = "@threedraw@ "
WORKER_MODULE = "threedraw.blender.worker"  # run as `python -m WORKER_MODULE`
PREVIEW_SIZE = 512  # px, the default preview
