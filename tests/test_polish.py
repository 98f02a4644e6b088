"""Polish: real optimisation through the rasteriser and a tiny open_clip model made here."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys

import pytest
import torch

from clip_fixtures import chair
from threedraw.cli import main
from threedraw.polish.constraints import joint_graph
from threedraw.polish.optimise import PolishConfig, polish
from threedraw.scoring.clip import load_clip
from threedraw.shared.bezier import point_at
from threedraw.shared.sketch import Sketch

pytest_plugins = ("clip_fixtures",)

FAST = PolishConfig(steps=12, lr=0.01, views=4, size=64, eval_every=3, precision="fp32")


def _t_sketch() -> Sketch:
    """A chair plus a stroke whose end lies inside the top rail (a T-joint) and a curve continuing
    a leg's tangent through its foot (a tangent-continuous joint)."""
    base = chair()
    rail = base.strokes[10].points
    on = list(point_at(rail, 0.4))
    strut = [[0.0, 0.3, -0.05], [0.0, 0.4, 0.3], [on[0], on[1] - 0.05, on[2] - 0.2], on]
    foot = base.strokes[0].points  # the leg from (-0.5, -0.5, -0.85) up to the seat
    p0, p1 = foot[0], foot[1]
    cont = [
        list(p0),
        [p0[k] + 0.3 * (p0[k] - p1[k]) for k in range(3)],
        [-0.7, -0.7, -0.95],
        [-0.8, -0.6, -0.95],
    ]
    curves = [list(map(list, s.points)) for s in base.strokes] + [strut, cont]
    return Sketch.from_points("a chair", curves, [s.label for s in base.strokes] + ["strut", "toe"])


@pytest.fixture(scope="module")
def clip(tiny_clip):
    config, checkpoint = tiny_clip
    return load_clip(str(config), checkpoint=str(checkpoint), device="cpu")


@pytest.fixture(scope="module")
def polished(clip):
    sketch = _t_sketch()
    return sketch, polish(sketch, "a chair", clip, FAST)


def test_reward_rises_and_the_sketch_keeps_its_strokes(polished):
    sketch, result = polished
    assert result.reward_after > result.reward_before and result.best_step > 0
    assert result.largest_move > 0
    out = result.sketch
    assert [(s.id, s.label) for s in out.strokes] == [(s.id, s.label) for s in sketch.strokes]
    assert out.strokes != sketch.strokes


def test_joints_t_joints_and_tangents_are_kept_exactly(polished):
    sketch, result = polished
    graph = joint_graph(sketch)
    assert graph.joints >= 6 and graph.t_joints >= 1 and graph.tangents >= 1 and graph.cycles_broken == 0
    ends = lambda s: [s.strokes[e // 2].points[3 * (e % 2)] for e in range(2 * len(s.strokes))]  # noqa: E731
    before, after = ends(sketch), ends(result.sketch)
    for a in range(len(before)):
        for b in range(a + 1, len(before)):
            if before[a] == before[b]:
                assert after[a] == after[b], (a, b)  # exactly, not nearly
    for g, host in enumerate(graph.host):
        if host >= 0:
            for e in (e for e, eg in enumerate(graph.group_of_end) if eg == g):
                was = math.dist(point_at(sketch.strokes[host].points, graph.t[g]), before[e])
                now = math.dist(point_at(result.sketch.strokes[host].points, graph.t[g]), after[e])
                assert abs(now - was) < 1e-9  # on it (the strut: was 0), or the gap it had
                assert math.dist(after[e], before[e]) > 0  # it moved, along with its host
    toe, leg = result.sketch.strokes[-1].points, result.sketch.strokes[0].points
    u = [toe[1][k] - toe[0][k] for k in range(3)]
    v = [leg[1][k] - leg[0][k] for k in range(3)]
    cos = sum(x * y for x, y in zip(u, v)) / (math.hypot(*u) * math.hypot(*v))
    assert cos < -1 + 1e-9


def test_trust_radius_and_cube_hold(clip):
    sketch = _t_sketch()
    result = polish(
        sketch, "a chair", clip, PolishConfig(**{**FAST.__dict__, "lr": 0.2, "trust_radius": 0.05})
    )
    moves = [
        math.dist(p, q)
        for s, t in zip(sketch.strokes, result.sketch.strokes)
        for p, q in zip(s.points, t.points)
    ]
    assert 0.04 < max(moves) <= 0.05 + 1e-12
    assert all(abs(c) <= 1.0 for s in result.sketch.strokes for p in s.points for c in p)
    edge = Sketch.from_points("a box", [[[0.99, 0, 0], [0.99, 0.3, 0], [0.99, 0.6, 0], [0.99, 0.9, 0]]])
    out = polish(edge, "a box", clip, PolishConfig(**{**FAST.__dict__, "lr": 0.3, "trust_radius": 0.5}))
    assert all(abs(c) <= 1.0 for s in out.sketch.strokes for p in s.points for c in p)


def test_a_seed_makes_a_run_repeatable(clip, polished):
    sketch, result = polished
    again = polish(sketch, "a chair", clip, FAST)
    assert again.sketch == result.sketch and again.reward_after == result.reward_after
    other = polish(sketch, "a chair", clip, PolishConfig(**{**FAST.__dict__, "seed": 1}))
    assert other.sketch != result.sketch


def test_refusal_without_weights(tmp_path, capsys):
    src = tmp_path / "chair.json"
    chair().save(src)
    assert main(["polish", str(src), "--out", str(tmp_path / "out.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("threedraw polish: polish needs CLIP weights") and "--clip-checkpoint" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "out.json").exists()


def test_ctrl_c_keeps_the_best_so_far(tiny_clip, tmp_path):
    config, checkpoint = tiny_clip
    src, out = tmp_path / "chair.json", tmp_path / "out.json"
    _t_sketch().save(src)
    args = [sys.executable, "-m", "threedraw.cli", "polish", str(src), "--out", str(out), "--steps", "2000"]
    args += [
        "--clip-model",
        str(config),
        "--clip-checkpoint",
        str(checkpoint),
        "--size",
        "64",
        "--views",
        "4",
    ]
    args += ["--lr", "0.01", "--precision", "fp32"]
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        for line in proc.stderr:
            if "step 12/" in line:
                break
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "interrupted after" in stdout and "Traceback" not in stderr
    saved = Sketch.load(out)
    assert [s.id for s in saved.strokes] == [s.id for s in _t_sketch().strokes]
    before = float(stdout.split("reward before")[1].split()[0])
    after = float(stdout.split("reward after")[1].split()[0])
    assert after >= before
    [score] = _score(saved, tiny_clip)
    assert abs(score - after) < 1e-4  # the file holds the sketch the reward was measured on


def _score(sketch, tiny_clip):
    from threedraw.scoring.reward import ScoreConfig, score_sketches

    config, checkpoint = tiny_clip
    cfg = ScoreConfig(
        clip_model=str(config), clip_checkpoint=str(checkpoint), views=4, size=64, precision="fp32"
    )
    torch.manual_seed(0)
    return [s.clip_mean for s in score_sketches([sketch], "a chair", cfg)]


def test_each_step_optimises_a_few_jittered_views():
    from threedraw.polish.optimise import _jittered

    with pytest.raises(ValueError, match="train views"):
        PolishConfig(train_views=0)
    gen = torch.Generator().manual_seed(0)
    some = [_jittered(2, gen, "cpu").world_to_camera for _ in range(3)]
    assert all(w.shape == (2, 4, 4) for w in some) and not torch.equal(some[0], some[1])
    eyes = [-(w[:, :3, :3].transpose(1, 2) @ w[:, :3, 3:])[..., 0] for w in some]  # camera positions
    assert all(torch.allclose(e[0, :2], -e[1, :2], atol=1e-5) for e in eyes)  # opposite sides


def test_reduced_precision_polish_after_an_evaluation_under_inference_mode(tiny_clip):
    """The bfloat16 tower and the text embedding are first made inside the evaluation (inference
    mode); the steps' backward passes must still go through them."""
    import open_clip

    from threedraw.scoring.clip import wrap_model

    config, checkpoint = tiny_clip
    fresh = wrap_model(
        config.stem, open_clip.create_model(config.stem, pretrained=str(checkpoint)), torch.device("cpu")
    )
    result = polish(
        chair(), "a chair", fresh, PolishConfig(**{**FAST.__dict__, "steps": 2, "precision": "bf16"})
    )
    assert result.steps_done == 2 and math.isfinite(result.train_reward_last)
