"""Seeing sketches: cameras (camera), the differentiable torch rasteriser (rasteriser), PIL images and
sheets (images)."""
