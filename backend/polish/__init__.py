"""CLIP-guided polish of a sketch's control points that never opens a joint (see optimise.py).

Its step limits live here, not in optimise.py, because the request schemas and option checks read
them and must not import torch."""

DEFAULT_STEPS = 80  # from `threedraw bench polish`: fits the 30 s target on this machine's 2 cores
MAX_STEPS = 2000
