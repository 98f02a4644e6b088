"""Sketch curves into what artists keep working with: Grease Pencil strokes, tube meshes."""
