"""`threedraw render` and `threedraw score` end to end, bad input included, and the scoring facade."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from clip_fixtures import chair, clip_args, make_tiny_clip, random_sketch
from conftest import EXAMPLES
from threedraw.bench.scoring import MEANINGS, measure
from threedraw.cli import main
from threedraw.cli.bench import figure_lines
from threedraw.cli.options import add_clip_arguments, config_from_args
from threedraw.rendering.camera import CameraRig
from threedraw.rendering.rasteriser import RenderConfig, render_sketches
from threedraw.scoring.reward import ScoreConfig, score_sketches
from threedraw.scoring.structure import structure_score
from threedraw.shared.sketch import Sketch


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_clip(tmp_path_factory.mktemp("tiny_clip_cli"))


@pytest.fixture
def chair_file(tmp_path):
    path = tmp_path / "chair.json"
    chair().save(path)
    return path


def test_render_writes_views_contact_sheet_and_cameras(chair_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", str(chair_file), "--views", "8", "--size", "224", "--out", str(out)]) == 0
    assert "wrote 8 views" in capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"view_{k:02d}.png" for k in range(8)] + ["contact_sheet.png", "cameras.json"])
    expected = render_sketches([chair()], CameraRig().cameras(), RenderConfig())[0]
    for k in range(8):
        png = np.asarray(Image.open(out / f"view_{k:02d}.png"))
        assert png.shape == (224, 224) and png.dtype == np.uint8
        assert np.abs(png.astype(float) - expected[k].numpy() * 255).max() <= 0.5 + 1e-3
    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.width > 4 * 224 and sheet.height > 2 * 224
    cams = json.loads((out / "cameras.json").read_text())
    assert [v["world_to_camera"] for v in cams["views"]] == CameraRig().world_to_camera()
    assert all(v["fov_degrees"] == 40.0 and v["size"] == 224 for v in cams["views"])


def test_render_camera_options_reach_the_cameras(chair_file, tmp_path):
    out = tmp_path / "out"
    assert (
        main(
            [
                "render",
                str(chair_file),
                "--views",
                "3",
                "--size",
                "64",
                "--elevation",
                "35",
                "--fov",
                "30",
                "--distance",
                "6",
                "--azimuth",
                "15",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    cams = json.loads((out / "cameras.json").read_text())
    rig = CameraRig(views=3, elevation=35.0, fov_degrees=30.0, distance=6.0, azimuth=15.0)
    assert [v["world_to_camera"] for v in cams["views"]] == rig.world_to_camera()
    assert [v["azimuth_degrees"] for v in cams["views"]] == [15.0, 135.0, 255.0]
    assert len(list(out.glob("view_*.png"))) == 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["--size", "4096"], "--size 4096 is outside 16..1024"),
        (["--views", "0"], "views: 0 is out of range"),
        (["--views", "1000"], "views: 1000 is out of range"),
        (["--fov", "0"], "fov_degrees: 0.0 is out of range"),
        (["--stroke-width", "-1"], "stroke_width"),
    ],
)
def test_render_refuses_out_of_range_settings(chair_file, tmp_path, capsys, args, message):
    assert main(["render", str(chair_file), "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_hand_edited_nan_is_a_clear_error(tmp_path, capsys):
    data = chair().to_dict()
    data["strokes"][2]["points"][1][0] = float("nan")
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))  # writes a bare NaN, as a hand edit would
    assert "NaN" in path.read_text()
    assert main(["render", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "stroke 3 point 2 x: nan is not a finite number" in err
    assert main(["score", str(path), "--prompt", "a chair"]) == 2
    assert "not a finite number" in capsys.readouterr().err
    assert main(["render", str(tmp_path / "missing.json"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.json: no such file" in capsys.readouterr().err


def test_an_empty_sketch_is_refused_and_degenerate_strokes_render(tmp_path, capsys):
    empty = tmp_path / "empty.json"
    Sketch(prompt="nothing").save(empty)
    # A blank picture, a zero score or an empty .blend would look like a result: each says why not.
    for command, doing in (
        (["render", "--out", str(tmp_path / "e")], "render"),
        (["score"], "score"),
        (["blend", "--out", str(tmp_path / "e.blend")], "build"),
    ):
        assert main([command[0], str(empty), *command[1:]]) == 2
        err = capsys.readouterr().err
        assert err == f"threedraw {command[0]}: {empty}: the sketch has no strokes, nothing to {doing}\n"
    assert not (tmp_path / "e").exists() and not (tmp_path / "e.blend").exists()
    dots = tmp_path / "dots.json"
    Sketch.from_points("dots", [[[0.2, 0.1, 0.0]] * 4, [[-0.5, 0.3, 0.2]] * 4]).save(dots)
    assert main(["render", str(dots), "--views", "2", "--out", str(tmp_path / "d")]) == 0
    assert np.asarray(Image.open(tmp_path / "d" / "view_00.png")).min() < 128


def test_the_most_strokes_allowed_render(tmp_path):
    path = tmp_path / "big.json"
    random_sketch(256, seed=11).save(path)
    assert main(["render", str(path), "--views", "2", "--size", "128", "--out", str(tmp_path / "b")]) == 0


def test_score_json_with_a_local_checkpoint(chair_file, tiny, capsys):
    config, checkpoint = tiny
    code = main(
        [
            "score",
            str(chair_file),
            "--prompt",
            "a chair",
            "--clip-model",
            str(config),
            "--clip-checkpoint",
            str(checkpoint),
            "--views",
            "4",
            "--structure-weight",
            "0.25",
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"clip_mean", "clip_per_view", "structure", "reward"}
    assert len(result["clip_per_view"]) == 4
    assert result["clip_mean"] == pytest.approx(sum(result["clip_per_view"]) / 4)
    assert result["structure"]["total"] == pytest.approx(structure_score(chair()).total)
    assert set(result["structure"]["terms"]) == {"joints", "parts", "clean", "cube"}
    assert result["reward"] == pytest.approx(result["clip_mean"] + 0.25 * result["structure"]["total"])
    direct = score_sketches(
        [chair()],
        "a chair",
        ScoreConfig(clip_model=str(config), clip_checkpoint=str(checkpoint), views=4, structure_weight=0.25),
    )[0]
    assert result["clip_per_view"] == pytest.approx(direct.clip_per_view)
    assert result["structure"] == direct.structure.to_dict()


def test_score_text_output_uses_the_sketch_prompt(chair_file, tiny, capsys):
    config, checkpoint = tiny
    assert main(["score", str(chair_file), *clip_args(config, checkpoint)]) == 0
    out = capsys.readouterr().out
    assert "prompt     a chair" in out and "clip " in out and "reward" in out


def test_score_without_clip_ranks_by_structure_and_says_how_to_add_clip(chair_file, capsys):
    assert main(["score", str(chair_file), "--prompt", "a chair", "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["clip_mean"] is None and result["clip_per_view"] == []
    assert result["reward"] == result["structure"]["total"] > 0
    assert "--clip-checkpoint" in captured.err


def test_score_refuses_what_it_cannot_use(chair_file, tmp_path, capsys, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # as on a machine with no internet
    assert main(["score", str(chair_file), "--clip-pretrained", "openai"]) == 2
    err = capsys.readouterr().err
    assert "could not download" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["score", str(chair_file), "--clip-checkpoint", str(tmp_path / "none.pt")]) == 2
    assert "none.pt: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: the two weight sources exclude each other
        main(["score", str(chair_file), "--clip-pretrained", "openai", "--clip-checkpoint", "x.pt"])
    assert main(["score", str(chair_file), "--views", "99"]) == 2
    assert "views: 99 is out of range" in capsys.readouterr().err
    nameless = tmp_path / "nameless.json"
    Sketch.from_points("", [[[0, 0, 0], [0.1, 0, 0], [0.2, 0, 0], [0.3, 0, 0]]]).save(nameless)
    assert main(["score", str(nameless)]) == 2
    assert "no prompt" in capsys.readouterr().err


def test_clip_arguments_build_a_score_config():
    parser = argparse.ArgumentParser()
    add_clip_arguments(parser)
    defaults = config_from_args(parser.parse_args([]))
    assert defaults == ScoreConfig() and not defaults.has_clip and defaults.structure_weight == 0.0
    cfg = config_from_args(
        parser.parse_args(
            [
                "--clip-model",
                "ViT-B-16",
                "--clip-pretrained",
                "openai",
                "--views",
                "4",
                "--structure-weight",
                "0.5",
            ]
        )
    )
    assert (cfg.clip_model, cfg.clip_pretrained, cfg.views, cfg.structure_weight) == (
        "ViT-B-16",
        "openai",
        4,
        0.5,
    )
    assert cfg.has_clip and ScoreConfig(clip_checkpoint="w.pt").has_clip


def test_score_sketches_without_clip_ranks_by_structure():
    good = chair()
    broken = Sketch.from_points("a chair", [s.points for s in chair().strokes[:4]])  # legs only: four parts
    scores = score_sketches([good, broken, Sketch(prompt="a chair")], "a chair", ScoreConfig())
    assert [s.clip_mean for s in scores] == [None, None, None]
    assert scores[0].reward > scores[1].reward > scores[2].reward == 0.0


def test_benchmark_reports_its_figures(tiny):
    config, _ = tiny  # registered with open_clip by make_tiny_clip
    seen = []
    figures = measure(
        sketches=2,
        views=2,
        strokes=5,
        size=64,
        clip_model=config.stem,
        repeats=1,
        clip_repeats=1,
        progress=seen.append,
    )
    # It says what it is doing while it works, and every figure printed says what it is.
    assert [p.done for p in seen] == [0, 1, 2, 3, 4] and seen[1].message.startswith(
        "timing render + backward"
    )
    lines = figure_lines(figures, MEANINGS).splitlines()
    assert len(lines) == len(figures) and all(MEANINGS[k] in line for k, line in zip(figures, lines))
    assert (
        "target: render time at most 10% of CLIP encoding time"
        in lines[list(figures).index("render_target_met")]
    )
    for key in ("render_seconds", "render_backward_seconds", "clip_image_encode_seconds"):
        assert figures[key] > 0
    assert figures["render_fraction_of_clip"] == pytest.approx(
        figures["render_seconds"] / figures["clip_image_encode_seconds"]
    )
    assert isinstance(figures["render_target_met"], bool) and torch.get_num_threads() == figures["threads"]


def _score_in_a_fresh_process(*args: str, env: dict | None = None):
    """`threedraw score` in its own process, reporting whether torch was loaded and how long it took."""
    code = (
        "import sys, time; from threedraw.cli import main; t = time.monotonic(); rc = main(sys.argv[1:]); "
        "print('torch' in sys.modules, round(time.monotonic() - t, 1)); sys.exit(rc)"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "score", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_a_missing_checkpoint_is_said_before_torch_loads(tmp_path):
    proc = _score_in_a_fresh_process(
        str(EXAMPLES / "chair.json"), "--clip-checkpoint", str(tmp_path / "no.pt")
    )
    assert proc.returncode == 2 and proc.stdout.split()[0] == "False", proc.stdout
    assert (
        proc.stderr == f"threedraw score: --clip-checkpoint {tmp_path / 'no.pt'}: no such file (a local "
        "open_clip weights file: .pt, .bin or .safetensors)\n"
    )


@pytest.mark.parametrize(
    "env,why",
    [
        ({"HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE is set"),
        ({"HF_ENDPOINT": "http://127.0.0.1:9"}, "127.0.0.1 cannot be reached"),
    ],
)
def test_weights_that_cannot_be_downloaded_fail_fast(tmp_path, env, why):
    # Before: the hub's retries took 52 s to give up. Generous bound; measured 2-6 s, mostly torch's import.
    env = {**env, "HF_HOME": str(tmp_path / "hf"), "HOME": str(tmp_path)}  # nothing cached
    proc = _score_in_a_fresh_process(str(EXAMPLES / "chair.json"), "--clip-pretrained", "openai", env=env)
    assert proc.returncode == 2, proc.stderr
    assert (
        f"could not download the CLIP weights ViT-B-32 'openai': {why}, and they are not cached yet"
        in proc.stderr
    )
    assert float(proc.stdout.split()[1]) < 30
