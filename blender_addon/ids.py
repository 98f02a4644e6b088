"""Every operator, panel, list and property id of the add-on, in one place."""

ADDON_ID = "threedraw"
SIDEBAR_CATEGORY = "3DrawAgent"

OP_IMPORT_SKETCH = "threedraw.import_sketch"
OP_EXPORT_SKETCH = "threedraw.export_sketch"
OP_DRAW = "threedraw.draw"
OP_REFINE = "threedraw.refine"
OP_SCORE = "threedraw.score"
OP_CANCEL = "threedraw.cancel"
OP_START_BACKEND = "threedraw.start_backend"
OP_TEST_CONNECTION = "threedraw.test_connection"
OP_REFRESH = "threedraw.refresh"
OP_LOAD_LESSONS = "threedraw.load_lessons"
OP_DELETE_LESSON = "threedraw.delete_lesson"
OP_EXPORT_LIBRARY = "threedraw.export_library"
OP_TO_GREASE_PENCIL = "threedraw.to_grease_pencil"
OP_TO_MESH = "threedraw.to_mesh"
OP_SNAP_JOINTS = "threedraw.snap_joints"
OP_POLISH = "threedraw.polish"

PANEL_DRAW = "THREEDRAW_PT_draw"
PANEL_REFINE = "THREEDRAW_PT_refine"
PANEL_SCORE = "THREEDRAW_PT_score"
PANEL_JOB = "THREEDRAW_PT_job"
PANEL_LIBRARY = "THREEDRAW_PT_library"
PANEL_BACKEND = "THREEDRAW_PT_backend"
LIST_LESSONS = "THREEDRAW_UL_lessons"

# Custom properties written on collections and curve objects.
PROP_FORMAT = "threedraw_format"
PROP_PROMPT = "threedraw_prompt"
PROP_LABEL = "threedraw_label"
PROP_STROKES = "threedraw_strokes"  # JSON: [[stroke index, stroke id], ...] per segment, in spline order
PROP_SCORE = "threedraw_score"  # JSON, the shape of `threedraw score --json`
PROP_REWARD = "threedraw_reward"
PROP_JOB = "threedraw_job"  # the backend job that made the sketch
PROP_SKETCH_ID = "threedraw_sketch_id"  # GET /v1/sketches/{id}
PROP_RANK = "threedraw_rank"  # 0: the best candidate
PROP_LIVE = "threedraw_live"  # on a running job's temporary collection: its view's token
