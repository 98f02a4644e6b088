"""Structure repair: joints meet, T-joints land on the curve, repeats go, the shape stays."""

from __future__ import annotations

import json
import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threedraw.shared.bezier import nearest_on_curve, samples
from threedraw.shared.meets import default_tolerance, tolerance_for
from threedraw.shared.repair import Change, repair, summarize
from threedraw.shared.sketch import MAX_STROKES, Sketch
from threedraw.testing.sketch_corpus import examples, line, on, sloppy, synthetic


def _sketch(curves) -> Sketch:
    return Sketch.from_points("test", curves)


def _moves(before: Sketch, after: Sketch) -> float:
    """The largest distance any control point of a kept stroke moved."""
    old = {s.id: s.points for s in before.strokes}
    return max((math.dist(a, b) for s in after.strokes for a, b in zip(s.points, old[s.id])), default=0.0)


def _corpus():
    """Every example and 20 synthetic drawings, made sloppy: (clean, sloppy, duplicates, tol)."""
    for n, clean in enumerate(examples() + synthetic(20, seed=7)):
        tol = default_tolerance(clean)
        noisy, dups = sloppy(clean, seed=n, tolerance=tol)
        yield clean, noisy, dups, tol


def test_near_miss_ends_meet_at_one_point_and_keep_their_tangents():
    seat = [[-0.5, -0.5, 0.0], [-0.2, -0.6, 0.05], [0.2, -0.6, 0.05], [0.5, -0.5, 0.0]]
    leg = line([0.49, -0.5, -0.9], [0.49, -0.5, 0.01])  # stops 0.014 short of the seat's corner
    repaired, changes = repair(_sketch([seat, leg]))
    new_seat, new_leg = repaired.strokes
    assert new_seat.points[3] == new_leg.points[3]  # one common point
    assert math.dist(new_seat.points[3], (0.495, -0.5, 0.005)) < 1e-12  # halfway: both moved
    for old, new, end, handle in ((seat, new_seat, 3, 2), (leg, new_leg, 3, 2)):
        before = [old[handle][k] - old[end][k] for k in range(3)]
        after = [new.points[handle][k] - new.points[end][k] for k in range(3)]
        assert after == pytest.approx(before, abs=1e-12)  # the tangent at the joint is kept
        assert new.points[0] == tuple(old[0]) and new.points[1] == tuple(old[1])  # far end untouched
    assert changes == [Change("joint", ("s1", "s2"), (), pytest.approx(math.dist(seat[3], leg[3]) / 2))]
    assert summarize(changes) == "snapped 1 joint"


def test_a_t_joint_is_snapped_onto_the_nearest_point_of_the_curve():
    bar = [[-0.6, 0.0, 0.0], [-0.2, 0.0, 0.3], [0.2, 0.0, 0.3], [0.6, 0.0, 0.0]]  # an arch
    post = line([0.0, 0.03, 0.225], [0.0, 0.0, -0.8])  # starts 0.03 in front of the arch's top
    sketch = _sketch([bar, post])
    repaired, changes = repair(sketch)
    assert repaired.strokes[0] is sketch.strokes[0]  # the arch needed nothing
    start = repaired.strokes[1].points[0]
    _, _, gap = nearest_on_curve(bar, start, 0.0, 1.0)
    assert gap < 1e-9  # on the curve
    assert math.dist(start, (0.0, 0.0, 0.225)) < 1e-6  # the nearest point: straight behind it
    assert repaired.strokes[1].points[3] == tuple(post[3])
    assert [(c.kind, c.strokes, c.onto) for c in changes] == [("t_joint", ("s2",), ("s1",))]


def test_strokes_lying_on_a_stroke_that_moves_are_carried_along():
    posts = [line([x, 0.0, -0.5], [x, 0.0, 0.5]) for x in (-0.5, 0.5)]
    rail = line([-0.49, 0.0, 0.0], [0.49, 0.0, 0.0])  # stops 0.01 short of both posts
    slats = [line(on(rail, t), [on(rail, t)[0], 0.0, 0.5]) for t in (0.25, 0.5, 0.75)]  # exactly on it
    sketch = _sketch(posts + [rail] + slats)
    repaired, changes = repair(sketch)
    new_rail = repaired.strokes[2].points
    assert math.dist(new_rail[0], (-0.5, 0.0, 0.0)) < 1e-9 and math.dist(new_rail[3], (0.5, 0.0, 0.0)) < 1e-9
    for old, new in zip(sketch.strokes[3:], repaired.strokes[3:]):
        _, _, gap = nearest_on_curve(new_rail, new.points[0], 0.0, 1.0)
        assert gap < 1e-9  # still on the rail
        assert new.points[3] == old.points[3]  # the free top stays
    assert math.dist(repaired.strokes[3].points[0], sketch.strokes[3].points[0]) > 0.005  # carried
    assert repaired.strokes[4].points == sketch.strokes[4].points  # the middle of the rail did not move
    kinds = {(c.kind, c.strokes, c.onto) for c in changes}
    assert {
        ("t_joint", ("s6",), ("s3",)),
        ("t_joint", ("s3",), ("s1",)),
        ("t_joint", ("s3",), ("s2",)),
    } <= kinds


def test_parts_farther_apart_than_the_tolerance_stay_apart():
    left = [line([-0.9, 0.0, -0.5], [-0.3, 0.0, -0.5]), line([-0.3, 0.0, -0.5], [-0.3, 0.0, 0.5])]
    right = [line([0.3, 0.0, -0.5], [0.9, 0.0, -0.5]), line([0.3, 0.0, -0.5], [0.3, 0.0, 0.5])]
    sketch = _sketch(left + right)
    assert default_tolerance(sketch) < 0.6  # the gap between the parts
    repaired, changes = repair(sketch)
    assert changes == [] and summarize(changes) == "nothing to repair"
    assert all(a is b for a, b in zip(repaired.strokes, sketch.strokes))


def test_duplicates_either_way_round_and_degenerate_strokes_are_removed():
    a = line([-0.5, 0.0, 0.0], [0.5, 0.0, 0.0])
    again_backwards = line([0.5, 0.01, 0.0], [-0.5, 0.0, 0.01])
    again = [[x + 0.01, y, z] for x, y, z in a]
    dot = [[0.2, 0.3, 0.4], [0.2, 0.3, 0.41], [0.2, 0.3, 0.4], [0.2, 0.3, 0.4]]
    post = line([0.0, 0.0, 0.0], [0.0, 0.0, 0.8])
    repaired, changes = repair(_sketch([a, again_backwards, dot, again, post]))
    assert [s.id for s in repaired.strokes] == ["s1", "s5"]
    assert [(c.kind, c.strokes, c.onto) for c in changes] == [
        ("degenerate", ("s3",), ()),
        ("duplicate", ("s2",), ("s1",)),
        ("duplicate", ("s4",), ("s1",)),
    ]
    assert summarize(changes) == "removed 2 duplicate strokes, removed 1 degenerate stroke"


def test_the_tolerance_is_three_percent_of_the_diagonal_or_given():
    sketch = _sketch([line([-0.5, -0.5, -0.5], [0.5, 0.5, 0.5])])
    assert default_tolerance(sketch) == pytest.approx(0.03 * math.sqrt(3))
    assert tolerance_for(sketch, 0.2) == 0.2
    for bad in (0.0, -1.0, float("nan"), 5.0):
        with pytest.raises(ValueError, match="tolerance"):
            repair(sketch, bad)
    near = _sketch([line([0.0, 0.0, 0.0], [0.5, 0.0, 0.0]), line([0.55, 0.0, 0.0], [0.9, 0.0, 0.0])])
    assert repair(near).changes == []  # 0.05 apart, the default tolerance is 0.027
    assert [c.kind for c in repair(near, 0.06).changes] == ["joint"]


def test_sloppy_drawings_are_repaired_within_the_tolerance_and_repairing_again_changes_nothing():
    for clean, noisy, dups, tol in _corpus():
        repaired, changes = repair(noisy, tol)
        repaired.validate()
        assert sum(c.kind == "duplicate" for c in changes) == dups, clean.prompt
        # One of each pair is kept (the earlier, which may be the copy).
        assert sorted(s.id.split("-again")[0] for s in repaired.strokes) == sorted(
            s.id for s in clean.strokes
        )
        assert _moves(noisy, repaired) <= tol * (1 + 1e-9)
        assert max(c.distance for c in changes if c.kind != "duplicate") <= tol * (1 + 1e-9)
        again = repair(repaired, tol)
        assert again.changes == [], (clean.prompt, [str(c) for c in again.changes])
        assert again.sketch.strokes == repaired.strokes


def _distance_to_curve(c, p) -> float:
    points = samples(c, 64)
    k = min(range(64), key=lambda n: math.dist(points[n], p))
    return nearest_on_curve(c, p, max(0, k - 1) / 63, min(63, k + 1) / 63)[2]


def test_after_repair_every_end_touches_something_or_is_farther_than_the_tolerance_from_all():
    for clean, noisy, _, tol in _corpus():
        repaired, _ = repair(noisy, tol)
        for s in repaired.strokes:
            for end in (s.points[0], s.points[3]):
                gaps = [_distance_to_curve(o.points, end) for o in repaired.strokes if o is not s]
                nearest = min(gaps, default=math.inf)
                assert nearest < 1e-9 or nearest > tol, (clean.prompt, s.id, nearest)


def test_strokes_needing_nothing_come_back_as_they_were():
    for _clean, noisy, _, tol in _corpus():
        repaired, changes = repair(noisy, tol)
        touched = {i for c in changes for i in c.strokes}
        original = {s.id: s for s in noisy.strokes}
        for s in repaired.strokes:
            assert (s is original[s.id]) == (s.id not in touched)
        assert [s.id for s in repaired.strokes] == [
            s.id for s in noisy.strokes if s.id in {r.id for r in repaired.strokes}
        ]  # order kept


coord = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
curve = st.lists(st.tuples(coord, coord, coord), min_size=4, max_size=4)


@settings(max_examples=150, deadline=None)
@given(st.lists(curve, min_size=0, max_size=14), st.lists(st.integers(0, 27), max_size=14))
def test_any_sketch_comes_back_valid_and_within_the_tolerance(curves, starts):
    curves = [list(c) for c in curves]
    for n, k in enumerate(starts[: len(curves)]):  # make some ends meet, or nearly
        if k < len(curves) * 2 and k // 2 != n:
            curves[n][0] = curves[k // 2][3 * (k % 2)]
    sketch = _sketch(curves)
    tol = default_tolerance(sketch)
    repaired, changes = repair(sketch, tol)
    repaired.validate()
    assert _moves(sketch, repaired) <= tol * (1 + 1e-9)
    assert len(repaired.strokes) + sum(c.kind in ("duplicate", "degenerate") for c in changes) == len(curves)


def _hostile():
    corner = [(1.0, 1.0, 1.0), (-1.0, -1.0, -1.0), (1.0, -1.0, 1.0), (-1.0, 1.0, -1.0)]
    yield "256 dots at one point", [[[0.3, 0.3, 0.3]] * 4] * MAX_STROKES
    yield (
        "256 strokes from one point",
        [
            line([0.0, 0.0, 0.0], [math.cos(k) * 0.9, math.sin(k) * 0.9, (k % 7) / 8])
            for k in range(MAX_STROKES)
        ],
    )
    yield "256 copies of one stroke", [line([-1.0, -1.0, -1.0], [1.0, 1.0, 1.0])] * MAX_STROKES
    yield (
        "256 loops between the cube's corners",
        [corner[k % 4 :] + corner[: k % 4] for k in range(MAX_STROKES)],
    )
    yield (
        "256 strokes through one point",
        [
            line(
                [math.cos(k) * 0.9, math.sin(k) * 0.9, 0.5 - (k % 9) / 8],
                [-math.cos(k) * 0.9, -math.sin(k) * 0.9, (k % 9) / 8 - 0.5],
            )
            for k in range(MAX_STROKES)
        ],
    )


@pytest.mark.parametrize("name,curves", list(_hostile()), ids=[n for n, _ in _hostile()])
def test_hostile_sketches_finish_fast_and_stay_valid(name, curves):
    sketch = _sketch(curves)
    tol = default_tolerance(sketch)
    start = time.process_time()
    repaired, changes = repair(sketch)
    assert time.process_time() - start < 5.0  # generous: the benchmark measures the real speed
    repaired.validate()
    assert _moves(sketch, repaired) <= tol * (1 + 1e-9)
    assert len(repaired.strokes) + sum(c.kind in ("duplicate", "degenerate") for c in changes) == len(curves)
    if name == "256 dots at one point":
        assert repaired.strokes == [] and summarize(changes) == "removed 256 degenerate strokes"
    if name == "256 copies of one stroke":
        assert [s.id for s in repaired.strokes] == ["s1"]


def test_after_repair_no_end_within_the_tolerance_of_a_stroke_meets_nothing():
    from threedraw.scoring import structure

    for clean, noisy, _, tol in _corpus():
        repaired, _ = repair(noisy, tol)
        before = structure.structure_score(clean, tol).details
        after = structure.structure_score(repaired, tol).details
        assert after["free_ends"] == before["free_ends"], clean.prompt
        assert after["parts"] == before["parts"] and after["duplicates"] == 0, clean.prompt


def test_the_structure_score_uses_the_same_tolerance_by_default():
    from threedraw.scoring import structure

    a, b = line([0.0, 0.0, 0.0], [0.5, 0.0, 0.0]), line([0.52, 0.0, 0.0], [0.9, 0.0, 0.0])
    sketch = _sketch([a, b])  # a gap of 0.02, under the default tolerance (0.027)
    assert structure.structure_score(sketch).details["free_ends"] == 2
    assert structure.structure_score(sketch, 0.01).details["free_ends"] == 4


def test_the_repair_command_writes_the_repaired_sketch_and_says_what_changed(cli, tmp_path):
    noisy, dups = sloppy(synthetic(1, seed=3)[0], seed=3)
    src = tmp_path / "sloppy.json"
    noisy.save(src)
    out = tmp_path / "fixed.json"
    result = cli("repair", str(src), "--out", str(out))
    assert result.returncode == 0, result.stderr
    expected, changes = repair(noisy)
    assert Sketch.load(out).to_dict() == expected.to_dict()
    first = result.stderr.splitlines()[0]
    assert first == f"{summarize(changes)} (tolerance {default_tolerance(noisy):.4g})"
    assert f"removed {dups} duplicate" in first
    assert len(result.stderr.splitlines()) == 1 + len(changes) + 1  # summary, one line each, "wrote"

    piped = cli("repair", str(out), "--tolerance", "0.05")
    assert piped.returncode == 0, piped.stderr
    assert Sketch.from_json(piped.stdout).to_dict() == repair(expected, 0.05).sketch.to_dict()


def test_the_repair_command_refuses_to_overwrite_its_input_and_bad_tolerances(cli, tmp_path):
    src = tmp_path / "chair.json"
    examples()[0].save(src)
    before = src.read_bytes()
    result = cli("repair", str(src), "--out", str(tmp_path / "." / "chair.json"))
    assert result.returncode == 2
    assert "never overwrites its input" in result.stderr and src.read_bytes() == before
    existing = tmp_path / "fixed.json"
    existing.write_text("mine")
    kept = cli("repair", str(src), "--out", str(existing))
    assert kept.returncode == 2 and "pass --force" in kept.stderr and existing.read_text() == "mine"
    assert cli("repair", str(src), "--out", str(existing), "--force").returncode == 0
    assert Sketch.load(existing).strokes
    bad = cli("repair", str(src), "--tolerance", "-1")
    assert bad.returncode == 2 and "--tolerance: expected a number in (0, 1.0], got -1.0" in bad.stderr
    missing = cli("repair", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json: no such file" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "threedraw.sketch/1", "strokes": [{"points": [[0, 0, 0]]}]}))
    invalid = cli("repair", str(broken))
    assert invalid.returncode == 2 and "stroke 1: 1 control points, expected 4" in invalid.stderr
