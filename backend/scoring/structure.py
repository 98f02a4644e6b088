"""Structure score: what CLIP cannot see in a sketch.

CLIP looks at flat renders, so it forgives the faults 3DrawAgent admits to: joints that do not
meet, parts floating in the air, strokes drawn twice. This score measures them directly on the
3D curves, deterministically (no model, no randomness): milliseconds for a typical sketch, well
under a second at the 256-stroke limit.

Every curve is sampled at SAMPLES points (a polyline); "distance to a stroke" is the distance
to that polyline. ``tol`` is how close counts as touching: by default the rule repair uses too
(shared/meets.py: 3 % of the sketch's bounding-box diagonal), so a repaired sketch has no free
end that was within reach of a stroke. Each term lies in [0, 1], 1 is best:

``joints``
    Share of stroke ends (the first and last point of every stroke) that lie within ``tol`` of
    another stroke. A leg that stops short of the seat leaves a free end.
``parts``
    Share of strokes in the largest connected part, two strokes being connected when they come
    within ``tol`` of each other. 1.0 is one piece; every floating piece lowers it.
``clean``
    Share of strokes that are neither degenerate (shorter than ``tol``) nor a duplicate (every
    point within ``tol`` of an earlier stroke and the other way round).
``cube``
    How much of the cube the drawing uses: the longest side of its bounding box over 1.5
    (three quarters of the cube's side), capped at 1. A tiny drawing renders tiny.

``joints`` and ``parts`` are measured on the clean strokes only, so a duplicate cannot make
its twin look connected. ``total`` is the mean of the four terms. An empty sketch (or one
whose strokes are all degenerate) scores 0 on every term.
"""

from __future__ import annotations

import numpy as np

from ..shared.meets import SAMPLES, tolerance_for
from ..shared.results.score import StructureScore
from ..shared.sketch import Sketch

CUBE_USE_FULL = 1.5  # bounding-box side (of the cube's 2) that earns the full cube term
TERMS = ("joints", "parts", "clean", "cube")


def structure_score(sketch: Sketch, tol: float | None = None) -> StructureScore:
    """Score a sketch's structure (see the module docstring for each term)."""
    tol = tolerance_for(sketch, tol)
    n = len(sketch.strokes)
    if n == 0:
        return _zero(strokes=0)
    points = sample_strokes(sketch)  # [S, SAMPLES, 3]
    within, degenerate, twin = _flags(points, tol)
    duplicate = twin >= 0
    clean = ~degenerate & ~duplicate
    kept = np.flatnonzero(clean)
    if kept.size == 0:
        return _zero(strokes=n, degenerate=int(degenerate.sum()), duplicates=int(duplicate.sum()))

    ends = within[np.ix_(kept, [0, SAMPLES - 1], kept)]  # [K, 2 ends, K]
    ends &= ~np.eye(kept.size, dtype=bool)[:, None, :]  # an end always meets its own stroke
    free_ends = int((~ends.any(axis=2)).sum())
    touching = within[kept][:, :, kept].any(axis=1)  # [K, K]: some sample of i within tol of j
    touching = touching | touching.T
    largest, parts = _largest_component(touching)

    lo, hi = points[clean].reshape(-1, 3).min(axis=0), points[clean].reshape(-1, 3).max(axis=0)
    terms = {
        "joints": 1.0 - free_ends / (2 * kept.size),
        "parts": largest / kept.size,
        "clean": float(clean.sum()) / n,
        "cube": min(1.0, float((hi - lo).max()) / CUBE_USE_FULL),
    }
    details = {
        "strokes": n,
        "free_ends": free_ends,
        "parts": parts,
        "degenerate": int(degenerate.sum()),
        "duplicates": int(duplicate.sum()),
    }
    return StructureScore(total=float(np.mean([terms[t] for t in TERMS])), terms=terms, details=details)


def duplicate_strokes(sketch: Sketch, tol: float | None = None) -> list[tuple[int, int]]:
    """(j, i) for every stroke j that duplicates an earlier stroke i (the ``clean`` term's test)."""
    if not sketch.strokes:
        return []
    _, _, twin = _flags(sample_strokes(sketch), tolerance_for(sketch, tol))
    return [(int(j), int(twin[j])) for j in np.flatnonzero(twin >= 0)]


def _flags(points: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(within [S, SAMPLES, S], degenerate [S], twin [S]): twin[j] is the first earlier stroke that
    stroke j duplicates, -1 for none."""
    lengths = np.linalg.norm(np.diff(points, axis=1), axis=2).sum(axis=1)
    degenerate = lengths < tol
    within = _within(points, tol)  # [S, SAMPLES, S]: sample of i within tol of stroke j
    # j duplicates an earlier stroke i when each lies within tol of the other all along.
    covered = within.all(axis=1)  # [S, S]: every sample of i is within tol of stroke j
    mutual = np.tril(covered & covered.T, k=-1) & ~degenerate[None, :] & ~degenerate[:, None]
    twin = np.where(mutual.any(axis=1), mutual.argmax(axis=1), -1)
    return within, degenerate, twin


def sample_strokes(sketch: Sketch, samples: int = SAMPLES) -> np.ndarray:
    """Points along every stroke, uniform in the curve parameter: [strokes, samples, 3]."""
    control = np.array([s.points for s in sketch.strokes], dtype=np.float64).reshape(-1, 4, 3)
    t = np.linspace(0.0, 1.0, samples)[:, None]
    u = 1.0 - t
    basis = np.concatenate((u**3, 3 * u * u * t, 3 * u * t * t, t**3), axis=1)  # [samples, 4]
    return np.einsum("tk,skd->std", basis, control)


def _within(points: np.ndarray, tol: float) -> np.ndarray:
    """Whether each sample of stroke i lies within ``tol`` of stroke j's polyline: bool [S, SAMPLES, S].

    A point farther than tol + r from a segment's midpoint (r: half its length) cannot be within
    tol of it, so one matrix product rules out almost every (point, segment) pair; the exact
    point-to-segment distance is computed for the few that remain.
    """
    n, samples = points.shape[:2]
    a = points[:, :-1].reshape(-1, 3)  # every segment of every stroke
    ab = points[:, 1:].reshape(-1, 3) - a
    mid = a + 0.5 * ab
    reach2 = (tol + 0.5 * np.linalg.norm(ab, axis=1)) ** 2
    owner = np.repeat(np.arange(n), samples - 1)
    flat = points.reshape(-1, 3)
    out = np.zeros((flat.shape[0], n), dtype=bool)
    # The coarse test runs in float32 with a margin far above its rounding error.
    mid32, flat32 = mid.astype(np.float32), flat.astype(np.float32)
    bound = (reach2 + 1e-4).astype(np.float32)[None, :] - (mid32 * mid32).sum(axis=1)[None, :]
    rows_per_chunk = max(1, (1 << 22) // mid.shape[0])
    for lo in range(0, flat.shape[0], rows_per_chunk):
        p, p32 = flat[lo : lo + rows_per_chunk], flat32[lo : lo + rows_per_chunk]
        # |p - mid|^2 <= reach^2  <=>  |p|^2 - 2 p.mid <= reach^2 - |mid|^2
        rows, segs = np.nonzero((p32 * p32).sum(axis=1)[:, None] - 2.0 * (p32 @ mid32.T) <= bound)
        ap = p[rows] - a[segs]
        t = np.clip((ap * ab[segs]).sum(axis=1) / np.maximum((ab[segs] ** 2).sum(axis=1), 1e-18), 0.0, 1.0)
        close = np.linalg.norm(ap - t[:, None] * ab[segs], axis=1) <= tol
        out[lo + rows[close], owner[segs[close]]] = True
    return out.reshape(n, samples, n)


def _largest_component(adjacent: np.ndarray) -> tuple[int, int]:
    """Size of the largest connected component of a symmetric adjacency matrix, and the count."""
    n = adjacent.shape[0]
    label = np.full(n, -1)
    sizes = []
    for start in range(n):
        if label[start] >= 0:
            continue
        label[start] = len(sizes)
        stack, size = [start], 0
        while stack:
            node = stack.pop()
            size += 1
            for other in np.flatnonzero(adjacent[node] & (label < 0)):
                label[other] = len(sizes)
                stack.append(other)
        sizes.append(size)
    return max(sizes), len(sizes)


def _zero(**details: int) -> StructureScore:
    return StructureScore(total=0.0, terms={t: 0.0 for t in TERMS}, details=dict(details))
