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

An end lying on another stroke (already, or once snapped) stays on it: when that stroke moves,
the end is carried along to the same curve parameter, or the move is not made. Joining repeats
until nothing moves, so repairing a repaired sketch changes nothing; the exception is a dense
tangle, where a move refused the first time (it would have taken some end past the tolerance)
can be allowed the second time, measured from the new positions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .bezier import Vec, nearest_on_curve, point_at, polyline_length, samples
from .meets import SAMPLES, tolerance_for
from .sketch import CUBE, Sketch, Stroke

# An end closer than this share of the tolerance to a curve already meets it: nothing to move.
JOINED = 1e-4
# Joining passes per round; a pass only re-runs when the previous one moved something.
MAX_PASSES = 16
# Rounds of removal then joining (joining can make two strokes duplicates).
MAX_ROUNDS = 3
# Carrying an end by less than this (cube units) is float rounding, not a move.
ROUNDING = 1e-12
# Steps of carrying attached groups along with a move before it is given up as a tangle.
MAX_CARRIED = 64

Cell = tuple[int, int, int]


@dataclass(frozen=True)
class Change:
    """One repair: ``kind`` is joint, t_joint, duplicate or degenerate.

    ``strokes`` are the ids moved (joints) or removed; ``onto`` the stroke a T-joint was snapped
    onto, or the stroke a duplicate repeated; ``distance`` the largest move of any point (joints),
    how far the duplicate was from its twin, or the degenerate stroke's length.
    """

    kind: str
    strokes: tuple[str, ...]
    onto: tuple[str, ...] = ()
    distance: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "strokes": list(self.strokes),
            "onto": list(self.onto),
            "distance": self.distance,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Change:
        """A stored change record (``to_dict``'s shape) back as a Change."""
        return cls(
            str(d["kind"]),
            tuple(d.get("strokes") or ()),
            tuple(d.get("onto") or ()),
            float(d.get("distance") or 0.0),
        )

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
    changes: list[Change]


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
    together form a group (union-find), and every end of a group sits at the same point.

    A group lying on another stroke's interior is attached there at a curve parameter: it never
    moves on its own again, and when that stroke moves, the group is carried along to the same
    parameter (and whatever is attached to its own strokes, in turn)."""

    def __init__(self, sketch: Sketch, tol: float) -> None:
        self.sketch = sketch
        self.tol = tol
        self.joined = tol * JOINED
        self.orig = [s.points for s in sketch.strokes]
        self.ctrl = [[list(p) for p in s.points] for s in sketch.strokes]
        self.alive = [True] * len(self.orig)
        self.parent = list(range(2 * len(self.orig)))
        self.members: dict[int, list[int]] = {k: [k] for k in self.parent}  # root -> ends
        self.onto: dict[int, set[int]] = defaultdict(set)  # root -> strokes snapped onto
        self.attached: set[int] = set()  # roots of groups lying on a stroke's interior
        self.carried: dict[int, dict[int, float]] = defaultdict(dict)  # stroke -> {end key: t}
        self.removed: list[Change] = []
        self._index = _SampleIndex()
        self._found: dict[int, tuple[int, list[tuple[float, int, float]]]] = {}  # root -> (ends, curves near)

    # -- the whole repair -------------------------------------------------------
    def run(self) -> Repaired:
        self._remove(range(len(self.orig)))
        self._snap_onto_curves(move=False)
        for _ in range(MAX_ROUNDS):
            moved: set[int] = set()
            for _ in range(MAX_PASSES):
                step = self._join_ends() | self._snap_onto_curves()
                if not step:
                    break
                moved |= step
            if not moved or not self._remove(sorted(moved)):
                break
        self._undo_rounding()
        return Repaired(self._result(), self.removed + self._joint_changes())

    def _undo_rounding(self) -> None:
        """Put back ends that only moved by rounding noise (carried out and back again), so
        their strokes come back untouched; only groups whose ends all started at one point."""
        for keys in self._groups().values():
            starts = {tuple(self.orig[k >> 1][_point(k)]) for k in keys}
            if len(starts) == 1 and 0.0 < math.dist(self._pos(keys[0]), next(iter(starts))) <= ROUNDING:
                self._apply({k: list(self.orig[k >> 1][_point(k)]) for k in keys})

    def _result(self) -> Sketch:
        strokes = []
        for i, s in enumerate(self.sketch.strokes):
            if not self.alive[i]:
                continue
            points = tuple((p[0], p[1], p[2]) for p in self.ctrl[i])
            strokes.append(s if points == s.points else Stroke(s.id, points, s.label))  # type: ignore[arg-type]
        return Sketch(prompt=self.sketch.prompt, strokes=strokes)

    def _joint_changes(self) -> list[Change]:
        ids = [s.id for s in self.sketch.strokes]
        out = []
        for root, keys in self._groups().items():
            moves = [math.dist(self._pos(k), self.orig[k >> 1][_point(k)]) for k in keys]
            if max(moves) == 0.0:
                continue
            own = _strokes(keys)
            strokes = tuple(ids[i] for i in sorted(own))
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
                self._drop(i, Change("degenerate", (ids[i],), (), self._length(self.ctrl[i])))
        by_cell: dict[Cell, list[int]] = defaultdict(list)
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
                    self._drop(gone, Change("duplicate", (ids[gone],), (ids[kept],), gap))
                    if gone == i:
                        break
        return len(self.removed) > before

    def _drop(self, i: int, change: Change) -> None:
        self.alive[i] = False
        self.carried.pop(i, None)  # what lay on it stays where it is
        self.removed.append(change)

    def _length(self, c: Sequence[Sequence[float]]) -> float:
        """The polyline length the structure score measures (see meets.py)."""
        return polyline_length(samples(c, SAMPLES))

    def _is_short(self, c: Sequence[Sequence[float]]) -> bool:
        """Shorter than the tolerance; the chord bounds the length from below, cheaply."""
        return math.dist(c[0], c[3]) < self.tol and self._length(c) < self.tol

    # -- joining ends to ends -----------------------------------------------------
    def _join_ends(self) -> set[int]:
        """Merge groups of ends within the tolerance, nearest pairs first; the strokes moved.
        Two free groups meet at their mean; a free group joining an attached one moves onto it."""
        at: dict[tuple[float, ...], int] = {}
        for key in range(len(self.parent)):
            if not self.alive[key >> 1]:
                continue
            spot = tuple(self._pos(key))
            if spot in at and self._find(at[spot]) != self._find(key):
                self._union(at[spot], key)  # ends already at one point are joined as they are
            at.setdefault(spot, key)
        roots = self._groups()
        pairs = _close_pairs({r: self._pos(r) for r in roots}, self.tol)
        total = {r: [v * len(keys) for v in self._pos(r)] for r, keys in roots.items()}
        moved: set[int] = set()
        for _, a, b in pairs:
            ra, rb = self._find(a), self._find(b)
            if ra == rb or (ra in self.attached and rb in self.attached):
                continue
            ka, kb = self._live(ra), self._live(rb)
            if _strokes(ka) & _strokes(kb):
                continue  # joining would close a stroke into a loop
            s = [total[ra][k] + total[rb][k] for k in range(3)]
            if ra in self.attached or rb in self.attached:
                fixed, movers = (ra, kb) if ra in self.attached else (rb, ka)
                centre = list(self._pos(fixed))
            else:
                movers, centre = ka + kb, [v / (len(ka) + len(kb)) for v in s]
            plan = self._plan(movers, centre)
            if plan is None or any(k in plan for k in ka + kb if k not in movers):
                continue  # too far, or the move would carry the attached group away
            moved |= self._apply(plan)
            total[self._union(ra, rb)] = s
        return moved

    # -- snapping ends onto curves ------------------------------------------------
    def _snap_onto_curves(self, move: bool = True) -> set[int]:
        """Attach each free group of ends lying on another stroke's interior where it is, and
        (``move``) snap each within the tolerance of a stroke onto its nearest point; the strokes
        moved."""
        live = [i for i in range(len(self.ctrl)) if self.alive[i]]
        if len(live) < 2:
            return set()
        self._index.update(self, live)
        reach, changed = self._index.reach, self._index.changed
        wants: dict[int, list[tuple[float, int, float]]] = {}
        for root, keys in self._groups().items():
            if root in self.attached:
                continue  # attached: stays put
            cell = self._cell(self._pos(root), reach)
            cached = self._found.get(root)
            if (
                cached is not None
                and cached[0] == len(keys)
                and changed is not None
                and not any((cell[0] + dx, cell[1] + dy, cell[2] + dz) in changed for dx, dy, dz in _AROUND)
            ):
                found = cached[1]  # nothing near it moved since it was looked at
            else:
                found = sorted(self._curves_near(self._pos(root), _strokes(keys)))
                self._found[root] = (len(keys), found)
            if found and found[0][0] <= self.joined:
                for d, j, t in found:
                    if d <= self.joined and 0.0 < t < 1.0:
                        self._attach(root, j, t)
            elif found and found[0][0] <= self.tol:
                wants[root] = found
        moved: set[int] = set()
        for root in self._targets_first(wants) if move else ():
            if self._find(root) != root or root in self.attached:
                continue  # joined to another group in this pass: the next pass looks again
            keys, p = self._live(root), self._pos(root)
            for dist, j, t in wants[root]:
                if dist > self.tol:
                    break
                t, q, d = _nearest(self.ctrl[j], p, t)  # j may have moved since it was sampled
                if d > self.tol:
                    continue
                end = 2 * j + 1 if t == 1.0 else 2 * j
                if t in (0.0, 1.0) and _strokes(keys) & _strokes(self._live(self._find(end))):
                    continue  # the nearest point is an end of j, and joining it would close a loop
                plan = self._plan(keys, q)
                if plan is None or any(k >> 1 == j for k in plan):
                    continue  # too far, or the move would pull j itself away
                moved |= self._apply(plan)
                if t in (0.0, 1.0):
                    self._union(root, end)
                else:
                    self._attach(root, j, t)
                break
        return moved

    def _targets_first(self, wants: dict[int, list[tuple[float, int, float]]]) -> list[int]:
        """The groups in an order where a group comes after the groups holding the ends of the
        strokes it may snap onto, so a curve settles before anything lands on it (moving it
        later would carry what landed, and that may be more than the tolerance allows)."""
        order: list[int] = []
        seen: set[int] = set()
        for start in wants:
            stack = [(start, False)]
            while stack:
                root, done = stack.pop()
                if done:
                    order.append(root)
                    continue
                if root in seen:
                    continue
                seen.add(root)
                stack.append((root, True))
                for _, j, _ in wants[root]:
                    for end in (2 * j, 2 * j + 1):
                        dep = self._find(end)
                        if dep in wants and dep not in seen:
                            stack.append((dep, False))
        return order

    def _curves_near(self, p: Sequence[float], own: set[int]) -> list[tuple[float, int, float]]:
        """Strokes (not in ``own``) that may pass within the tolerance of p: (distance, stroke,
        t of the nearest point of the curve); exact for the nearest and for all that meet p."""
        index = self._index
        nearest: dict[int, tuple[float, int]] = {}
        for j, n in self._near(index.grid, p, index.reach):
            if j not in own:
                d = math.dist(p, index.points[j][n])
                if d <= index.reach and (j not in nearest or d < nearest[j][0]):
                    nearest[j] = (d, n)
        # Every point of a curve lies within half a gap of a filed point: a lower bound on its
        # distance. Curves are measured nearest-bound first, until no other can be nearer than
        # the nearest found (or meet p); the rest keep their bound, which is all a fallback needs.
        bounds = sorted((near - 0.5 * index.gaps[j], j, n) for j, (near, n) in nearest.items())
        out: list[tuple[float, int, float]] = []
        best = math.inf
        for bound, j, n in bounds:
            if bound > self.tol:
                break
            params = index.params[j]
            if bound > max(best, self.joined):
                out.append((bound, j, params[n]))
                continue
            t, _, d = nearest_on_curve(
                self.ctrl[j], p, params[max(0, n - 1)], params[min(len(params) - 1, n + 1)]
            )
            if d <= self.tol:
                out.append((d, j, t))
                best = min(best, d)
        return out

    def _attach(self, root: int, j: int, t: float) -> None:
        self.attached.add(root)
        self.carried[j][root] = t
        self.onto[root].add(j)

    # -- moves --------------------------------------------------------------------
    def _plan(self, keys: Sequence[int], q: Sequence[float]) -> dict[int, list[float]] | None:
        """Where every end goes if the ends ``keys`` go to q, groups attached to the strokes that
        move carried along; None when an end would end up farther than the tolerance from where
        it was, a stroke would become shorter than it, or the carrying does not settle (or comes
        back to move the ends ``keys`` elsewhere)."""
        plan: dict[int, list[float]] = {}
        trial: dict[int, list[list[float]]] = {}
        aim = [float(v) for v in q]
        todo = [(list(keys), aim)]
        for _ in range(MAX_CARRIED):
            if not todo:
                # Carried around a loop back onto the moving ends themselves: no common point.
                return plan if all(plan.get(k, self._pos(k)) == aim for k in keys) else None
            ends, target = todo.pop()
            changed = set()
            for key in ends:
                i = key >> 1
                now = plan.get(key, self._pos(key))
                if now == target or (target is not aim and math.dist(now, target) <= ROUNDING):
                    continue  # there already (carrying by rounding noise is no move)
                if math.dist(target, self.orig[i][_point(key)]) > self.tol:
                    return None
                plan[key] = target
                _set_end(
                    trial.setdefault(i, [list(p) for p in self.ctrl[i]]), self.orig[i], _point(key), target
                )
                changed.add(i)
            for i in sorted(changed):
                if self._is_short(trial[i]):
                    return None
                for key, t in self.carried.get(i, {}).items():
                    todo.append((self._live(self._find(key)), list(point_at(trial[i], t))))
        return None

    def _apply(self, plan: dict[int, list[float]]) -> set[int]:
        moved = set()
        for key, q in plan.items():
            i = key >> 1
            _set_end(self.ctrl[i], self.orig[i], _point(key), q)
            self._index.stale.add(i)
            moved.add(i)
        return moved

    # -- helpers --------------------------------------------------------------------
    def _pos(self, key: int) -> list[float]:
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
        self.members[root] += self.members.pop(child)
        if child in self.onto:
            self.onto[root] |= self.onto.pop(child)
        if child in self.attached:
            self.attached.discard(child)
            self.attached.add(root)
        for held in self.carried.values():
            if child in held:
                held[root] = held.pop(child)
        return root

    def _live(self, root: int) -> list[int]:
        return [k for k in self.members[root] if self.alive[k >> 1]]

    def _groups(self) -> dict[int, list[int]]:
        """Root -> the live ends of its group, groups in order of their first end."""
        groups = {r: self._live(r) for r in sorted(self.members, key=lambda r: min(self.members[r]))}
        return {r: keys for r, keys in groups.items() if keys}

    @staticmethod
    def _cell(p: Sequence[float], size: float) -> Cell:
        inv = 1.0 / size
        return (math.floor(p[0] * inv), math.floor(p[1] * inv), math.floor(p[2] * inv))

    def _near(self, grid: dict[Cell, list[Any]], p: Sequence[float], size: float) -> list[Any]:
        """Everything in the 27 cells around p's: all entries within ``size`` of p, and a few more."""
        x, y, z = self._cell(p, size)
        out: list[Any] = []
        for dx, dy, dz in _AROUND:
            found = grid.get((x + dx, y + dy, z + dz))
            if found:
                out.extend(found)
        return out


_AROUND = [(dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)]
_FORWARD = [d for d in _AROUND if d > (0, 0, 0)]  # half of the neighbours: each pair of cells once


def _close_pairs(spots: dict[int, Sequence[float]], radius: float) -> list[tuple[float, int, int]]:
    """Every pair of spots at most ``radius`` apart, (distance, smaller key, larger key), nearest first."""
    inv = 1.0 / radius
    cells: dict[Cell, list[tuple[int, Sequence[float]]]] = defaultdict(list)
    for key, p in spots.items():
        cells[(math.floor(p[0] * inv), math.floor(p[1] * inv), math.floor(p[2] * inv))].append((key, p))
    out = []
    for (x, y, z), here in cells.items():
        for n, (a, pa) in enumerate(here):
            for b, pb in here[n + 1 :]:
                d = math.dist(pa, pb)
                if d <= radius:
                    out.append((d, min(a, b), max(a, b)))
        for dx, dy, dz in _FORWARD:
            there = cells.get((x + dx, y + dy, z + dz))
            if there:
                for a, pa in here:
                    for b, pb in there:
                        d = math.dist(pa, pb)
                        if d <= radius:
                            out.append((d, min(a, b), max(a, b)))
    out.sort()
    return out


class _SampleIndex:
    """Points along every live stroke in a grid, kept up to date from pass to pass (only the
    strokes that moved are filed again). A stroke is filed at every ``stride``-th of its SAMPLES
    points, the stride as large as keeps them within half the tolerance of each other; cells are
    ``reach`` wide: the tolerance plus half the widest gap between filed points, with room for
    strokes to stretch a little before it is rebuilt."""

    def __init__(self) -> None:
        self.grid: dict[Cell, list[tuple[int, int]]] = defaultdict(list)
        self.cells: dict[int, list[Cell]] = {}
        self.points: dict[int, list[Vec]] = {}  # stroke -> its filed points
        self.params: dict[int, list[float]] = {}  # stroke -> their curve parameters
        self.gaps: dict[int, float] = {}  # stroke -> the widest gap between its filed points
        self.reach = 0.0
        self.stale: set[int] = set()
        self.changed: set[Cell] | None = None  # cells refiled by the last update; None: all

    def update(self, repair: _Repair, live: list[int]) -> None:
        tol = repair.tol
        moved = [i for i in self.stale if repair.alive[i]]
        if not self.cells or any(tol + 0.5 * _gap(repair.ctrl[i], tol)[1] > self.reach for i in moved):
            self.grid.clear()
            self.cells.clear()
            self.reach = tol + 0.75 * max(_gap(repair.ctrl[i], tol)[1] for i in live)
            todo = live
            self.changed = None
        else:
            todo = sorted(self.stale)
            self.changed = set()
            for i in todo:
                self._forget(i)
        inv = 1.0 / self.reach  # cells as _Repair._cell files them
        for i in todo:
            if not repair.alive[i]:
                continue
            stride, self.gaps[i] = _gap(repair.ctrl[i], tol)
            ks = list(range(0, SAMPLES - 1, stride)) + [SAMPLES - 1]
            params = [k / (SAMPLES - 1) for k in ks]
            points = [point_at(repair.ctrl[i], t) for t in params]
            cells = [(math.floor(x * inv), math.floor(y * inv), math.floor(z * inv)) for x, y, z in points]
            for n, cell in enumerate(cells):
                self.grid[cell].append((i, n))
            self.cells[i], self.points[i], self.params[i] = cells, points, params
            if self.changed is not None:
                self.changed.update(cells)
        for i in [i for i in self.cells if not repair.alive[i]]:  # removed since: forget it
            self._forget(i)
        self.stale.clear()

    def _forget(self, i: int) -> None:
        for cell in self.cells.pop(i, ()):
            self.grid[cell] = [e for e in self.grid[cell] if e[0] != i]
            if self.changed is not None:
                self.changed.add(cell)


def _gap(c: Sequence[Sequence[float]], tol: float) -> tuple[int, float]:
    """The stride to file a curve at, and the widest gap between its filed points (a bound)."""
    step = _longest(c)
    stride = 1
    while stride < 8 and 2 * stride * step <= 0.5 * tol:
        stride *= 2
    return stride, stride * step


def _longest(c: Sequence[Sequence[float]]) -> float:
    """At least the longest segment between samples: a chord is at most the speed bound
    3 * max |P[k+1] - P[k]| times the parameter step."""
    return 3.0 * max(math.dist(c[0], c[1]), math.dist(c[1], c[2]), math.dist(c[2], c[3])) / (SAMPLES - 1)


def _nearest(c: Sequence[Sequence[float]], p: Sequence[float], t: float) -> tuple[float, Vec, float]:
    """The nearest point of curve c to p, looked for within two sample steps of parameter t."""
    step = 2.0 / (SAMPLES - 1)
    return nearest_on_curve(c, p, max(0.0, t - step), min(1.0, t + step))


def _point(key: int) -> int:
    """Control-point index of an end key: 0 for a start, 3 for an end."""
    return 3 if key & 1 else 0


def _strokes(keys: Iterable[int]) -> set[int]:
    return {k >> 1 for k in keys}


def _set_end(c: list[list[float]], orig: Sequence[Sequence[float]], point: int, q: Sequence[float]) -> None:
    """Put end ``point`` of curve c at q and its handle at the same offset from where it was."""
    handle = 1 if point == 0 else 2
    c[point] = [float(v) for v in q]
    c[handle] = [max(-CUBE, min(CUBE, orig[handle][k] + q[k] - orig[point][k])) for k in range(3)]


def _twin_gap(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> float:
    """How far apart two curves' control points are, matched forwards or backwards."""
    forward = max(math.dist(a[k], b[k]) for k in range(4))
    backward = max(math.dist(a[k], b[3 - k]) for k in range(4))
    return min(forward, backward)
