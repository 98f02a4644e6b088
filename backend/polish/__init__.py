"""CLIP-guided polish of a sketch's control points that never opens a joint (see optimise.py)."""
