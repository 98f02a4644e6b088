"""Cubic Bezier arithmetic in pure Python: points along a curve, its length, the nearest point.

A curve is its four control points (P0, P1, P2, P3), each a sequence of three floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Vec = tuple[float, float, float]
Control = Sequence[Sequence[float]]

NEWTON_STEPS = 8
BRACKET_SAMPLES = 4


def point_at(c: Control, t: float) -> Vec:
    u = 1.0 - t
    b0, b1, b2, b3 = u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t
    p0, p1, p2, p3 = c
    return (
        b0 * p0[0] + b1 * p1[0] + b2 * p2[0] + b3 * p3[0],
        b0 * p0[1] + b1 * p1[1] + b2 * p2[1] + b3 * p3[1],
        b0 * p0[2] + b1 * p1[2] + b2 * p2[2] + b3 * p3[2],
    )


def samples(c: Control, count: int) -> list[Vec]:
    """``count`` points uniform in the curve parameter, first and last included (count >= 2)."""
    basis = _BASES.get(count)
    if basis is None:
        basis = _BASES.setdefault(count, [_basis(k / (count - 1)) for k in range(count)])
    (x0, y0, z0), (x1, y1, z1), (x2, y2, z2), (x3, y3, z3) = c
    return [
        (
            b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3,
            b0 * y0 + b1 * y1 + b2 * y2 + b3 * y3,
            b0 * z0 + b1 * z1 + b2 * z2 + b3 * z3,
        )
        for b0, b1, b2, b3 in basis
    ]


def _basis(t: float) -> tuple[float, float, float, float]:
    u = 1.0 - t
    return u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t


_BASES: dict[int, list[tuple[float, float, float, float]]] = {}


def polyline_length(points: Sequence[Sequence[float]]) -> float:
    return sum(math.dist(a, b) for a, b in zip(points, points[1:]))


def nearest_on_curve(c: Control, p: Sequence[float], t_lo: float, t_hi: float) -> tuple[float, Vec, float]:
    """The point of the curve nearest to ``p`` with parameter in [t_lo, t_hi]: (t, point, distance).

    A few samples pick the best stretch of the bracket; Newton's method on
    d/dt |B(t) - p|^2 / 2 = B'(t).(B(t) - p) then refines it, a step that leaves the stretch being
    replaced by halving towards its end. The best point seen is returned, so the answer is never
    worse than any sample (the ends of the bracket included).
    """
    step = (t_hi - t_lo) / BRACKET_SAMPLES
    best_t, best_q, best_d = t_lo, point_at(c, t_lo), math.inf
    for n in range(BRACKET_SAMPLES + 1):
        t = t_hi if n == BRACKET_SAMPLES else t_lo + n * step
        q = point_at(c, t)
        d = math.dist(q, p)
        if d < best_d:
            best_t, best_q, best_d = t, q, d
    lo, hi = max(t_lo, best_t - step), min(t_hi, best_t + step)
    t, q = best_t, best_q
    for _ in range(NEWTON_STEPS):
        d1, d2 = _derivatives(c, t)
        r = (q[0] - p[0], q[1] - p[1], q[2] - p[2])
        f = d1[0] * r[0] + d1[1] * r[1] + d1[2] * r[2]
        fp = d1[0] * d1[0] + d1[1] * d1[1] + d1[2] * d1[2] + d2[0] * r[0] + d2[1] * r[1] + d2[2] * r[2]
        nxt = t - f / fp if fp > 1e-18 else t - math.copysign(0.5 * (hi - lo), f)
        if not lo <= nxt <= hi:
            nxt = 0.5 * (t + (lo if nxt < lo else hi))
        q = point_at(c, nxt)
        d = math.dist(q, p)
        if d < best_d:
            best_t, best_q, best_d = nxt, q, d
        if abs(nxt - t) < 1e-10:
            break
        t = nxt  # q is already the point at the new t
    return best_t, best_q, best_d


def _derivatives(c: Control, t: float) -> tuple[Vec, Vec]:
    """B'(t) and B''(t)."""
    u = 1.0 - t
    p0, p1, p2, p3 = c
    a0, a1, a2, b0, b1 = 3.0 * u * u, 6.0 * u * t, 3.0 * t * t, 6.0 * u, 6.0 * t
    d01 = (p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2])
    d12 = (p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2])
    d23 = (p3[0] - p2[0], p3[1] - p2[1], p3[2] - p2[2])
    first = (
        a0 * d01[0] + a1 * d12[0] + a2 * d23[0],
        a0 * d01[1] + a1 * d12[1] + a2 * d23[1],
        a0 * d01[2] + a1 * d12[2] + a2 * d23[2],
    )
    second = (
        b0 * (d12[0] - d01[0]) + b1 * (d23[0] - d12[0]),
        b0 * (d12[1] - d01[1]) + b1 * (d23[1] - d12[1]),
        b0 * (d12[2] - d01[2]) + b1 * (d23[2] - d12[2]),
    )
    return first, second
