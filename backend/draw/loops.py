"""Loop cut-off: tell, stroke by stroke, when a streamed reply has started repeating itself.

Small and local models often write one stroke (or a few) over and over until the token budget
runs out. Two strokes are the same when all four control points lie within the repair tolerance
of each other, in either direction (shared/repair.py's duplicate rule, with the tolerance of
shared/meets.py taken over the strokes seen so far, since the whole sketch is not known yet).

A reply loops once ``limit`` strokes in a row were each the same as an earlier stroke of the
reply (nothing new was added), or the same stroke came ``limit`` times in a row (the first of
them may be new). The default limit comes from the corpora: in no reply of
tests/parser_corpus.py (but the one that is itself a stroke written 260 times) and no sketch of
backend/testing/sketch_corpus.py, clean or sloppy (whose strokes "drawn twice" are repeats),
do more than 2 strokes in a row add nothing; 4 with three times the sloppy sketches' rate of
strokes drawn twice. 5 leaves room for a model that retraces a part, and stops a loop 5 strokes
into it (about 10% of a 1,500-token budget at 30 tokens a stroke).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..shared.meets import MIN_TOLERANCE, TOLERANCE_SHARE
from ..shared.repair import _twin_gap as twin_gap  # the duplicate rule of repair, shared on purpose
from ..shared.sketch import Stroke

DEFAULT_LOOP_LIMIT = 5
MAX_LOOP_LIMIT = 1000
Points = Sequence[Sequence[float]]


def check_loop_limit(limit: int) -> int:
    """``limit`` when it is 0 (off) to MAX_LOOP_LIMIT; ValueError naming it otherwise."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_LOOP_LIMIT:
        raise ValueError(f"loop limit {limit!r}: expected 0 (off) to {MAX_LOOP_LIMIT} strokes")
    return limit


def stopped_note(strokes: int) -> str:
    """The one line a report gives for a reply the cut-off stopped."""
    return f"stopped a looping reply after {strokes} strokes"


class LoopDetector:
    """Fed a reply's strokes in order; ``add`` says when the reply loops (and keeps saying so)."""

    def __init__(self, limit: int = DEFAULT_LOOP_LIMIT):
        self.limit = check_loop_limit(limit)
        self.reset()

    def reset(self) -> None:
        """Forget the strokes seen (the reply starts over)."""
        self.strokes: list[Points] = []
        self.stale = 0  # strokes in a row that were the same as an earlier one
        self.run = 0  # strokes in a row that were the same as the one before
        self.tripped = False
        self._lo = [math.inf] * 3
        self._hi = [-math.inf] * 3

    @property
    def count(self) -> int:
        return len(self.strokes)

    def tolerance(self) -> float:
        """meets.default_tolerance over the strokes seen so far."""
        if not self.strokes:
            return MIN_TOLERANCE
        return max(MIN_TOLERANCE, TOLERANCE_SHARE * math.dist(self._lo, self._hi))

    def add(self, stroke: Stroke | Points) -> bool:
        """Take the next stroke; whether the reply now loops. With limit 0 never."""
        points = stroke.points if isinstance(stroke, Stroke) else stroke
        for p in points:
            for k in range(3):
                self._lo[k] = min(self._lo[k], p[k])
                self._hi[k] = max(self._hi[k], p[k])
        tol = self.tolerance()
        earlier = self.strokes
        self.run = self.run + 1 if earlier and twin_gap(points, earlier[-1]) <= tol else 1
        seen = any(twin_gap(points, other) <= tol for other in earlier)
        self.stale = self.stale + 1 if seen else 0
        self.strokes.append(points)
        if self.limit and (self.stale >= self.limit or self.run >= self.limit):
            self.tripped = True
        return self.tripped


def longest_loop(strokes: Sequence[Stroke | Points]) -> int:
    """The most strokes in a row of a sketch that added nothing or repeated the one before
    (what a limit must exceed for the sketch not to be stopped)."""
    detector = LoopDetector(0)
    most = 0
    for s in strokes:
        detector.add(s)
        most = max(most, detector.stale, detector.run)
    return most
