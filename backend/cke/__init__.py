"""Contrastive knowledge extraction (CKE): judge (the judge LLM), pairing (which two it compares),
refine (rounds on one prompt), learner (the learning loop), evaluation and report (the paper's table)."""
