"""Structure repair: make joints meet without changing the drawing's shape.

An LLM writes "leg ends at (0.5, -0.5, 0)" and "seat corner at (0.49, -0.5, 0.01)": the curves
do not touch, and CLIP cannot see it. ``repair`` closes such gaps and drops strokes that add
nothing, each by at most the tolerance (see meets.py for the rule the structure score shares):

- strokes shorter than the tolerance (degenerate) are removed;
- a stroke whose four control points all lie within the tolerance of another's, in either
  direction, duplicates it; the later one is removed;
- ends of different strokes within the tolerance of each other are moved to one common point
  (their mean); each end's neighbouring handle moves by the same offset, so tangents are kept;
- an end within the tolerance of another stroke is moved onto the nearest point of that curve
  (a T-joint), again with its handle.

No point ends farther than the tolerance from where it was: a merge or snap that would move any
end farther, join both ends of one stroke, or shrink a stroke below the tolerance is not made.
Strokes that need no change come back as the very same objects, in their order, ids kept.
Moving a stroke moves the curves snapped onto it, so joining repeats until nothing moves.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, NamedTuple, Sequence, Set, Tuple

from .bezier import Vec, nearest_on_curve, polyline_length, samples, segment_distance
from .meets import SAMPLES, tolerance_for
from .sketch import CUBE, Sketch, Stroke

# An end closer than this share of the tolerance to a curve already meets it: nothing to move.
JOINED = 1e-4
# Joining passes per round; a pass only re-runs when the previous one moved something.
MAX_PASSES = 16
# Rounds of removal then joining (joining can make two strokes duplicates).
MAX_ROUNDS = 3

Cell = Tuple[int, int, int]


@dataclass(frozen=True)
class Change:
    """One repair: ``kind`` is joint, t_joint, duplicate or degenerate.

    ``strokes`` are the ids moved (joints) or removed; ``onto`` the stroke a T-joint was snapped
    onto, or the stroke a duplicate repeated; ``distance`` the largest move of any point (joints),
    how far the duplicate was from its twin, or the degenerate stroke's length.
    """

    kind: str
    strokes: Tuple[str, ...]
    onto: Tuple[str, ...] = ()
    distance: float = 0.0

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "strokes": list(self.strokes), "onto": list(self.onto),
                "distance": self.distance}

    def __str__(self) -> str:
        ids = ", ".join(self.strokes)
        if self.kind == "joint":
            return f"joined the ends of {ids} (moved up to {self.distance:.4g})"
        if self.kind == "t_joint":
            return f"snapped {ids} onto {', '.join(self.onto)} (moved up to {self.distance:.4g})"
        if self.kind == "duplicate":
            return f"removed {ids}, a duplicate of {', '.join(self.onto)} ({self.distance:.4g} apart)"
        return f"removed {ids}, shorter than the tolerance (length {self.distance:.4g})"


class Repaired(NamedTuple):
    sketch: Sketch
    changes: List[Change]


def repair(sketch: Sketch, tolerance: float | None = None) -> Repaired:
    """The repaired sketch and what changed (see the module docstring). ``tolerance``: None for
    the sketch's default (meets.default_tolerance), else a length in the cube's units."""
    return _Repair(sketch, tolerance_for(sketch, tolerance)).run()


def summarize(changes: Sequence[Change]) -> str:
    """One line for a person: "snapped 6 joints, removed 2 duplicate strokes"."""
    joints = sum(c.kind in ("joint", "t_joint") for c in changes)
    duplicates = sum(c.kind == "duplicate" for c in changes)
    degenerate = sum(c.kind == "degenerate" for c in changes)
    parts = []
    if joints:
        parts.append(f"snapped {_count(joints, 'joint')}")
    if duplicates:
        parts.append(f"removed {_count(duplicates, 'duplicate stroke')}")
    if degenerate:
        parts.append(f"removed {_count(degenerate, 'degenerate stroke')}")
    return ", ".join(parts) if parts else "nothing to repair"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class _Repair:
    """Working state. An end is a key 2*i (start of stroke i) or 2*i + 1 (its end); ends joined
    together form a group (union-find), and every end of a group sits at the same point."""

    def __init__(self, sketch: Sketch, tol: float) -> None:
        self.sketch = sketch
        self.tol = tol
        self.joined = tol * JOINED
        self.orig = [s.points for s in sketch.strokes]
        self.ctrl = [[list(p) for p in s.points] for s in sketch.strokes]
        self.alive = [True] * len(self.orig)
        self.parent = list(range(2 * len(self.orig)))
        self.onto: Dict[int, Set[int]] = defaultdict(set)  # group root -> strokes snapped onto
        self.removed: List[Change] = []
        self._samples: Dict[int, List[Vec]] = {}

    # -- the whole repair -------------------------------------------------------
    def run(self) -> Repaired:
        self._remove(range(len(self.orig)))
        for _ in range(MAX_ROUNDS):
            moved: Set[int] = set()
            for _ in range(MAX_PASSES):
                step = self._join_ends() | self._snap_onto_curves()
                if not step:
                    break
                moved |= step
            if not moved or not self._remove(sorted(moved)):
                break
        return Repaired(self._result(), self.removed + self._joint_changes())

    def _result(self) -> Sketch:
        strokes = []
        for i, s in enumerate(self.sketch.strokes):
            if not self.alive[i]:
                continue
            points = tuple((p[0], p[1], p[2]) for p in self.ctrl[i])
            strokes.append(s if points == s.points else Stroke(s.id, points, s.label))  # type: ignore[arg-type]
        return Sketch(prompt=self.sketch.prompt, strokes=strokes)

    def _joint_changes(self) -> List[Change]:
        ids = [s.id for s in self.sketch.strokes]
        out = []
        for root, keys in self._groups().items():
            moves = [math.dist(self._pos(k), self.orig[k >> 1][_point(k)]) for k in keys]
            if max(moves) == 0.0:
                continue
            strokes = tuple(dict.fromkeys(ids[k >> 1] for k in sorted(keys)))
            own = _strokes(keys)
            onto = tuple(ids[j] for j in sorted(self.onto.get(root, ())) if self.alive[j] and j not in own)
            out.append(Change("t_joint" if onto else "joint", strokes, onto, max(moves)))
        return out

    # -- removal ----------------------------------------------------------------
    def _remove(self, candidates: Iterable[int]) -> bool:
        """Remove degenerate candidates, then candidates duplicating another stroke (the later
        of the two goes). Whether anything was removed."""
        before = len(self.removed)
        ids = [s.id for s in self.sketch.strokes]
        candidates = [i for i in candidates if self.alive[i]]
        for i in candidates:
            if self._is_short(self.ctrl[i]):
                self.alive[i] = False
                self.removed.append(Change("degenerate", (ids[i],), (), self._length(self.ctrl[i])))
        by_cell: Dict[Cell, List[int]] = defaultdict(list)
        for j, c in enumerate(self.ctrl):
            if self.alive[j]:
                by_cell[self._cell(c[0], self.tol)].append(j)
                by_cell[self._cell(c[3], self.tol)].append(j)
        for i in candidates:
            if not self.alive[i]:
                continue
            for j in sorted(set(self._near(by_cell, self.ctrl[i][0], self.tol))):
                if j == i or not self.alive[j]:
                    continue
                gap = _twin_gap(self.ctrl[i], self.ctrl[j])
                if gap <= self.tol:
                    gone, kept = max(i, j), min(i, j)
                    self.alive[gone] = False
                    self.removed.append(Change("duplicate", (ids[gone],), (ids[kept],), gap))
                    if gone == i:
                        break
        return len(self.removed) > before

    def _length(self, c: Sequence[Sequence[float]]) -> float:
        """The polyline length the structure score measures (see meets.py)."""
        return polyline_length(samples(c, SAMPLES))

    def _is_short(self, c: Sequence[Sequence[float]]) -> bool:
        """Shorter than the tolerance; the chord bounds the length from below, cheaply."""
        return math.dist(c[0], c[3]) < self.tol and self._length(c) < self.tol

    # -- joining ends to ends -----------------------------------------------------
    def _join_ends(self) -> Set[int]:
        """Merge groups of ends within the tolerance, nearest pairs first; the strokes moved."""
        at: Dict[Tuple[float, ...], int] = {}
        for key in range(len(self.parent)):
            if not self.alive[key >> 1]:
                continue
            p = tuple(self._pos(key))
            if p in at and self._find(at[p]) != self._find(key):
                self._union(at[p], key)  # ends already at one point are joined as they are
            at.setdefault(p, key)
        roots = self._groups()
        by_cell: Dict[Cell, List[int]] = defaultdict(list)
        for r in roots:
            by_cell[self._cell(self._pos(r), self.tol)].append(r)
        pairs = []
        for r in roots:
            p = self._pos(r)
            for s in self._near(by_cell, p, self.tol):
                if s > r:
                    d = math.dist(p, self._pos(s))
                    if d <= self.tol:
                        pairs.append((d, r, s))
        if not pairs:
            return set()
        members = {r: list(keys) for r, keys in roots.items()}
        total = {r: [v * len(keys) for v in self._pos(r)] for r, keys in roots.items()}
        merged: Set[int] = set()
        for _, a, b in sorted(pairs):
            ra, rb = self._find(a), self._find(b)
            if ra == rb or _strokes(members[ra]) & _strokes(members[rb]):
                continue
            keys = members[ra] + members[rb]
            s = [total[ra][k] + total[rb][k] for k in range(3)]
            centre = [v / len(keys) for v in s]
            if not self._may_move(keys, centre):
                continue
            root = self._union(ra, rb)
            members[root], total[root] = keys, s
            merged.discard(ra)
            merged.discard(rb)
            merged.add(root)
        moved: Set[int] = set()
        for root in merged:
            centre = [v / len(members[root]) for v in total[root]]
            moved |= self._move(members[root], centre)
        return moved

    # -- snapping ends onto curves ------------------------------------------------
    def _snap_onto_curves(self) -> Set[int]:
        """Move each group of ends within the tolerance of another stroke onto it; strokes moved."""
        live = [i for i in range(len(self.ctrl)) if self.alive[i]]
        if len(live) < 2:
            return set()
        pts = {i: self._curve_samples(i) for i in live}
        longest = max(math.dist(a, b) for i in live for a, b in zip(pts[i], pts[i][1:]))
        reach = self.tol + 0.5 * longest  # a point within tol of a segment is within this of an end of it
        grid: Dict[Cell, List[Tuple[int, int]]] = defaultdict(list)
        for i in live:
            for k, q in enumerate(pts[i]):
                grid[self._cell(q, reach)].append((i, k))
        moved: Set[int] = set()
        for root, keys in self._groups().items():
            p = self._pos(root)
            own = _strokes(keys)
            nearest: Dict[int, Tuple[float, int]] = {}
            for j, k in self._near(grid, p, reach):
                if j not in own:
                    d = math.dist(p, pts[j][k])
                    if d <= reach and (j not in nearest or d < nearest[j][0]):
                        nearest[j] = (d, k)
            # The structure score's rule: within the tolerance of the stroke's polyline.
            options = []
            for j, (_, k) in nearest.items():
                line = pts[j][max(0, k - 1):k + 2]
                d = min(segment_distance(p, a, b) for a, b in zip(line, line[1:]))
                if d <= self.tol:
                    options.append((d, j, k))
            for n, (_, j, k) in enumerate(sorted(options)):
                lo, hi = max(0, k - 1) / (SAMPLES - 1), min(SAMPLES - 1, k + 1) / (SAMPLES - 1)
                t, q, d = nearest_on_curve(self.ctrl[j], p, lo, hi)
                if n == 0 and d <= self.joined:
                    break  # already meets the nearest stroke
                if d > self.tol:
                    continue
                end = 2 * j + 1 if t == 1.0 else 2 * j
                if t in (0.0, 1.0) and own & _strokes(self._members(self._find(end))):
                    continue  # the nearest point is an end of j, and joining it would close a loop
                if self._may_move(keys, list(q)):
                    moved |= self._move(keys, list(q))
                    if t in (0.0, 1.0):
                        self._union(root, end)
                    else:
                        self.onto[self._find(root)].add(j)
                    break
        return moved

    # -- moves --------------------------------------------------------------------
    def _may_move(self, keys: Sequence[int], q: Sequence[float]) -> bool:
        """Whether moving these ends to q keeps each within the tolerance of where it was and
        leaves every stroke at least the tolerance long."""
        for key in keys:
            i = key >> 1
            if math.dist(q, self.orig[i][_point(key)]) > self.tol:
                return False
            trial = [list(p) for p in self.ctrl[i]]
            _set_end(trial, self.orig[i], _point(key), q)
            if self._is_short(trial):
                return False
        return True

    def _move(self, keys: Sequence[int], q: Sequence[float]) -> Set[int]:
        moved = set()
        for key in keys:
            i = key >> 1
            if self.ctrl[i][_point(key)] != list(q):
                _set_end(self.ctrl[i], self.orig[i], _point(key), q)
                self._samples.pop(i, None)
                moved.add(i)
        return moved

    def _curve_samples(self, i: int) -> List[Vec]:
        if i not in self._samples:
            self._samples[i] = samples(self.ctrl[i], SAMPLES)
        return self._samples[i]

    # -- helpers --------------------------------------------------------------------
    def _pos(self, key: int) -> List[float]:
        return self.ctrl[key >> 1][_point(key)]

    def _find(self, key: int) -> int:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def _union(self, a: int, b: int) -> int:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return ra
        root, child = min(ra, rb), max(ra, rb)
        self.parent[child] = root
        if child in self.onto:
            self.onto[root] |= self.onto.pop(child)
        return root

    def _groups(self) -> Dict[int, List[int]]:
        """Root -> the live ends of its group, in order of their keys."""
        groups: Dict[int, List[int]] = {}
        for key in range(len(self.parent)):
            if self.alive[key >> 1]:
                groups.setdefault(self._find(key), []).append(key)
        return groups

    def _members(self, root: int) -> List[int]:
        return [k for k in range(len(self.parent)) if self.alive[k >> 1] and self._find(k) == root]

    @staticmethod
    def _cell(p: Sequence[float], size: float) -> Cell:
        return (math.floor(p[0] / size), math.floor(p[1] / size), math.floor(p[2] / size))

    def _near(self, grid: Dict[Cell, List[Any]], p: Sequence[float], size: float) -> List[Any]:
        """Everything in the 27 cells around p's: all entries within ``size`` of p, and a few more."""
        x, y, z = self._cell(p, size)
        out: List[Any] = []
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dz in (-1, 0, 1):
                    out.extend(grid.get((x + dx, y + dy, z + dz), ()))
        return out


def _point(key: int) -> int:
    """Control-point index of an end key: 0 for a start, 3 for an end."""
    return 3 if key & 1 else 0


def _strokes(keys: Iterable[int]) -> Set[int]:
    return {k >> 1 for k in keys}


def _set_end(c: List[List[float]], orig: Sequence[Sequence[float]], point: int, q: Sequence[float]) -> None:
    """Put end ``point`` of curve c at q and its handle at the same offset from where it was."""
    handle = 1 if point == 0 else 2
    c[point] = [float(v) for v in q]
    c[handle] = [max(-CUBE, min(CUBE, orig[handle][k] + q[k] - orig[point][k])) for k in range(3)]


def _twin_gap(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> float:
    """How far apart two curves' control points are, matched forwards or backwards."""
    forward = max(math.dist(a[k], b[k]) for k in range(4))
    backward = max(math.dist(a[k], b[3 - k]) for k in range(4))
    return min(forward, backward)
