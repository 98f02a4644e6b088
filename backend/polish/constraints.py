"""The joint graph and the parametrisation that keeps joints by construction.

Ends that meet (within the tolerance of shared/meets.py, as repair decides) form a group, and every
end of a group moves by ONE shared offset: ends that coincided coincide exactly afterwards, and a
gap that was within the tolerance keeps its size. A group that meets another stroke's interior
(a T-joint) has no offset of its own: its ends sit on that stroke at their curve parameter (plus
the gap they had), recomputed from the stroke's final points. Handles move freely, except that a
handle continuing another stroke's tangent through a joint (antiparallel handle vectors) is tied to
it: ``handle = -k * leader``, so the tangent stays continuous.

Bounds: a group's offset is projected after each step into the trust ball and the box that keeps its
ends in the cube; a T-end moves by a convex combination of its host's moves, so it stays in both.
Handles are pulled back into the trust ball and every point into the cube as the last operation
(projections onto convex sets that hold the starting point: they never increase a move).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from ..rendering.rasteriser import bezier_basis
from ..shared.bezier import nearest_on_curve
from ..shared.meets import default_tolerance
from ..shared.sketch import Sketch

TRUST_SHARE = 0.05  # default trust radius: this share of the sketch's bounding-box diagonal
TANGENT_COS = -0.999  # handle vectors this close to antiparallel continue one tangent
INTERIOR = 1e-3  # a T-joint's parameter is at least this far from the host's ends


@dataclass
class JointGraph:
    """Which ends move together. An end is 2*stroke + side (side 0: P0 with handle P1; 1: P3, P2)."""

    group_of_end: list[int]
    host: list[int]  # per group: the stroke whose interior it meets, or -1
    t: list[float]  # per group: the host's curve parameter
    leader: list[int]  # per end: the end whose handle it continues, or -1
    cycles_broken: int = 0  # T-joints left free because they hung on each other in a loop
    levels: list[int] = field(default_factory=list)  # per group: evaluation order

    @property
    def joints(self) -> int:
        """Groups of two or more ends (end-to-end joints)."""
        sizes: dict[int, int] = {}
        for g in self.group_of_end:
            sizes[g] = sizes.get(g, 0) + 1
        return sum(n > 1 for n in sizes.values())

    @property
    def t_joints(self) -> int:
        return sum(h >= 0 for h in self.host)

    @property
    def tangents(self) -> int:
        return sum(e >= 0 for e in self.leader)


def _end(sketch: Sketch, e: int) -> tuple[float, ...]:
    return tuple(sketch.strokes[e // 2].points[3 * (e % 2)])


def _handle_vector(sketch: Sketch, e: int) -> list[float]:
    pts = sketch.strokes[e // 2].points
    end, handle = pts[3 * (e % 2)], pts[1 + (e % 2)]
    return [handle[k] - end[k] for k in range(3)]


def joint_graph(sketch: Sketch, tolerance: float | None = None) -> JointGraph:
    tol = default_tolerance(sketch) if tolerance is None else tolerance
    n_ends = 2 * len(sketch.strokes)
    parent = list(range(n_ends))

    def find(e: int) -> int:
        while parent[e] != e:
            parent[e] = parent[parent[e]]
            e = parent[e]
        return e

    for a in range(n_ends):
        for b in range(a + 1, n_ends):
            if math.dist(_end(sketch, a), _end(sketch, b)) <= tol:
                parent[find(a)] = find(b)
    roots = sorted({find(e) for e in range(n_ends)})
    index = {r: i for i, r in enumerate(roots)}
    group_of_end = [index[find(e)] for e in range(n_ends)]
    members: list[list[int]] = [[] for _ in roots]
    for e, g in enumerate(group_of_end):
        members[g].append(e)

    host, ts = [-1] * len(roots), [0.0] * len(roots)
    for g, ends in enumerate(members):
        own = {e // 2 for e in ends}
        best = tol
        for j, stroke in enumerate(sketch.strokes):
            if j in own:
                continue
            for e in ends:
                t, _, d = nearest_on_curve(stroke.points, _end(sketch, e), 0.0, 1.0)
                if d <= best and INTERIOR < t < 1.0 - INTERIOR:
                    best, host[g], ts[g] = d, j, t

    leader = [-1] * n_ends
    for ends in members:
        for i, a in enumerate(ends):
            if leader[a] >= 0 or a in leader:
                continue
            va = _handle_vector(sketch, a)
            for b in ends[i + 1 :]:
                if leader[b] >= 0 or b in leader:
                    continue
                vb = _handle_vector(sketch, b)
                na, nb = math.hypot(*va), math.hypot(*vb)
                if na > 1e-9 and nb > 1e-9 and sum(x * y for x, y in zip(va, vb)) / (na * nb) < TANGENT_COS:
                    leader[b] = a
                    break

    graph = JointGraph(group_of_end, host, ts, leader)
    graph.levels, graph.cycles_broken = _levels(graph, members)
    return graph


def _levels(graph: JointGraph, members: list[list[int]]) -> tuple[list[int], int]:
    """A group hung on a host is evaluated after both of the host's groups; loops are cut (freed)."""
    level: dict[int, int] = {}
    broken = 0

    def visit(g: int, path: set[int]) -> int:
        nonlocal broken
        if g in level:
            return level[g]
        h = graph.host[g]
        if h < 0:
            level[g] = 0
            return 0
        deps = [graph.group_of_end[2 * h], graph.group_of_end[2 * h + 1]]
        if g in deps or any(d in path for d in deps):
            graph.host[g] = -1  # a loop of T-joints: this one moves by its own offset
            broken += 1
            level[g] = 0
            return 0
        level[g] = 1 + max(visit(d, path | {g}) for d in deps)
        return level[g]

    for g in range(len(members)):
        visit(g, set())
    return [level[g] for g in range(len(members))], broken


def default_trust_radius(sketch: Sketch) -> float:
    lo, hi = sketch.bounds()
    return max(1e-6, TRUST_SHARE * math.dist(lo, hi))


class Parametrisation:
    """Free variables (group offsets, handle offsets) -> control points [S, 4, 3], joints exact."""

    def __init__(self, sketch: Sketch, trust_radius: float, graph: JointGraph | None = None, device=None):
        self.graph = graph or joint_graph(sketch)
        g = self.graph
        dt = torch.float64
        self.trust = float(trust_radius)
        self.start = torch.tensor([s.points for s in sketch.strokes], dtype=dt, device=device)  # [S, 4, 3]
        n = self.start.shape[0]
        ends = torch.arange(2 * n, device=device)
        self.stroke_of_end, self.side = ends // 2, ends % 2
        self.end0 = self.start[self.stroke_of_end, 3 * self.side]
        self.hv0 = self.start[self.stroke_of_end, 1 + self.side] - self.end0
        self.group_of_end = torch.tensor(g.group_of_end, device=device)
        groups = len(g.host)
        self.offset = torch.zeros(groups, 3, dtype=dt, device=device, requires_grad=True)
        self.handle = torch.zeros(2 * n, 3, dtype=dt, device=device, requires_grad=True)
        # The box each group's offset must stay in, so that every one of its ends stays in the cube.
        inf = torch.full((groups, 3), math.inf, dtype=dt, device=device)
        idx = self.group_of_end[:, None].expand(-1, 3)
        self.box_lo = (-inf).scatter_reduce(0, idx, -1.0 - self.end0, "amax")
        self.box_hi = inf.scatter_reduce(0, idx, 1.0 - self.end0, "amin")
        lead = torch.tensor(g.leader, device=device)
        self.followers = (lead >= 0).nonzero().squeeze(1)
        self.leader_of = lead[self.followers]
        self.k = self.hv0[self.followers].norm(dim=1) / self.hv0[self.leader_of].norm(dim=1)
        host = torch.tensor(g.host, device=device)
        t = torch.tensor(g.t, dtype=dt, device=device)
        self.basis = bezier_basis(t)  # [G, 4]
        self.host = host
        self.residual = torch.zeros_like(self.end0)  # a T-end's gap to its host's curve, kept
        on_host = host[self.group_of_end]
        hung = (on_host >= 0).nonzero().squeeze(1)
        if hung.numel():
            at = torch.einsum("ek,ekd->ed", self.basis[self.group_of_end[hung]], self.start[on_host[hung]])
            self.residual[hung] = self.end0[hung] - at
        level = torch.tensor(g.levels, device=device)
        self.steps = []  # per level: (ends whose group is at it, strokes completed at it)
        stroke_level = torch.maximum(level[self.group_of_end[0::2]], level[self.group_of_end[1::2]])
        for lv in range(int(level.max()) + 1 if groups else 0):
            e = (level[self.group_of_end] == lv).nonzero().squeeze(1)
            s = (stroke_level == lv).nonzero().squeeze(1)
            self.steps.append((e, s))

    def parameters(self) -> list[torch.Tensor]:
        return [self.offset, self.handle]

    @torch.no_grad()
    def project(self) -> None:
        """Keep every group offset in its box and the trust ball (after an optimiser step)."""
        off = torch.maximum(torch.minimum(self.offset, self.box_hi), self.box_lo)
        norm = off.norm(dim=1, keepdim=True)
        self.offset.copy_(off * (self.trust / norm.clamp(min=self.trust)))

    def points(self) -> torch.Tensor:
        """The control points [S, 4, 3] (float64), differentiable in the free variables."""
        hv = self.hv0 + self.handle
        if self.followers.numel():
            hv = hv.index_put((self.followers,), -self.k[:, None] * hv[self.leader_of])
        pts = self.start.clone()
        end = self.end0.clone()
        for e, s in self.steps:
            g = self.group_of_end[e]
            h = self.host[g]
            free = self.end0[e] + self.offset[g]
            hung = torch.einsum("ek,ekd->ed", self.basis[g], pts[h.clamp(min=0)]) + self.residual[e]
            end = end.index_put((e,), torch.where((h >= 0)[:, None], hung, free))
            a, b = 2 * s, 2 * s + 1
            h1, h2 = end[a] + hv[a], end[b] + hv[b]
            h1, h2 = self._trust(h1, self.start[s, 1]), self._trust(h2, self.start[s, 2])
            stroke = torch.stack((end[a], h1, h2, end[b]), dim=1).clamp(-1.0, 1.0)
            pts = pts.index_put((s,), stroke)
        return pts

    def _trust(self, p: torch.Tensor, p0: torch.Tensor) -> torch.Tensor:
        move = p - p0
        norm = move.norm(dim=1, keepdim=True)
        return p0 + move * (self.trust / norm.clamp(min=self.trust))
