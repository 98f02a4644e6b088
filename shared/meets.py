"""When two strokes meet: the one tolerance rule the structure score and repair share.

A point meets a stroke when it lies within the tolerance of it; a stroke is shorter than the
tolerance (degenerate) when the polyline through ``SAMPLES`` points uniform in its curve
parameter is. The structure score also measures distances to that polyline; repair measures
them to the curve itself, which differs by far less than the tolerance. The tolerance is a share
of the sketch's own size (its bounding-box diagonal), so a sketch drawn small is judged as finely
as one drawn large; a caller may give its own instead.
"""

from __future__ import annotations

import math

from .sketch import Sketch

SAMPLES = 32
TOLERANCE_SHARE = 0.03  # of the bounding-box diagonal
# A sketch whose points all coincide has no size; the floor keeps the tolerance positive.
MIN_TOLERANCE = 1e-6
# Half the cube's side: beyond it "meeting" would swallow whole drawings.
MAX_TOLERANCE = 1.0


def default_tolerance(sketch: Sketch) -> float:
    """TOLERANCE_SHARE of the sketch's bounding-box diagonal (never below MIN_TOLERANCE)."""
    lo, hi = sketch.bounds()
    return max(MIN_TOLERANCE, TOLERANCE_SHARE * math.dist(lo, hi))


def tolerance_for(sketch: Sketch, tolerance: float | None = None) -> float:
    """The tolerance to use: the given one, checked, or the sketch's default."""
    if tolerance is None:
        return default_tolerance(sketch)
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, (int, float))
        or not math.isfinite(tolerance)
        or not 0 < tolerance <= MAX_TOLERANCE
    ):
        raise ValueError(f"tolerance: expected a number in (0, {MAX_TOLERANCE}], got {tolerance!r}")
    return float(tolerance)
