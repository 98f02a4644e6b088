"""Every operator, panel and property id of the add-on, in one place."""

ADDON_ID = "threedraw"
SIDEBAR_CATEGORY = "3DrawAgent"

OP_IMPORT_SKETCH = "threedraw.import_sketch"
OP_EXPORT_SKETCH = "threedraw.export_sketch"

PANEL_MAIN = "THREEDRAW_PT_main"

# Custom properties written on collections and curve objects.
PROP_FORMAT = "threedraw_format"
PROP_PROMPT = "threedraw_prompt"
PROP_LABEL = "threedraw_label"
PROP_STROKES = "threedraw_strokes"  # JSON: [[stroke index, stroke id], ...] per segment, in spline order
