"""Scoring sketches: the reward (reward), CLIP over rendered views (clip), and the structure score (structure)."""
