"""Evaluation: `threedraw eval` after a learning run writes its table, plot, sheets and report."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from clip_fixtures import chair, clip_args, make_tiny_clip
from llm_fixtures import fast_provider, scripted_args
from test_cke import Teacher, legs_only
from threedraw.cke.evaluation import Method, PromptResult, evaluate
from threedraw.cke.learner import LearnConfig, Learner
from threedraw.cke.report import markdown_table, plot_epochs, table_rows
from threedraw.cli import main
from threedraw.draw.pipeline import DrawConfig
from threedraw.draw.prompt_sets import PromptSet
from threedraw.scoring.reward import ScoreConfig
from threedraw.shared.results.learn_result import LearnEpoch
from threedraw.shared.sketch import Sketch
from threedraw.storage import Database
from threedraw.testing.scripted_server import ScriptedServer


def teacher() -> Teacher:
    # Drawing with any lesson gives the whole chair; without, four floating legs.
    return Teacher(validation=lambda n: chair() if n else legs_only())


def count_colour(img: Image.Image, rgb: tuple[int, int, int]) -> int:
    return int((np.asarray(img.convert("RGB")) == np.array(rgb, dtype=np.uint8)).all(axis=2).sum())


def test_eval_writes_table_plot_sheets_and_report(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "out"
    (tmp_path / "category.txt").write_text("a chair\na stool\n")
    (tmp_path / "fine.txt").write_text("a swivel office chair with five wheels\n")
    config, checkpoint = make_tiny_clip(tmp_path / "clip")
    with ScriptedServer(teacher()) as srv:
        with Database.open(data) as db:
            lr = Learner(db, fast_provider(srv, max_retries=0), ScoreConfig())
            run = lr.start(
                "lib",
                LearnConfig(prompts=["a chair", "a table"], epochs=2, batch=1, draw=DrawConfig(k=2, seed=0)),
            )
            lr.run(run.id)
        # In this process (torch and open_clip are loaded once per test session); the CLI all the same.
        argv = [
            "eval",
            "--prompts",
            str(tmp_path / "category.txt"),
            "--prompts",
            str(tmp_path / "fine.txt"),
            "--library",
            "lib",
            "--baseline",
            "--out",
            str(out),
            "--data-dir",
            str(data),
            *scripted_args(srv, "--retries", "0"),
            *clip_args(config, checkpoint),
            "--score-size",
            "64",
            "--sheet-size",
            "96",
            "--seed",
            "0",
        ]
        code = main(argv)
        r = capsys.readouterr()
    assert code == 0, r.err[-3000:]

    results = json.loads((out / "results.json").read_text())
    base, lib = results["methods"]
    assert base["label"] == "threedraw, no experience" and base["lessons"] == []
    assert lib["label"] == "threedraw + lib v2" and lib["version"] == 2 and len(lib["lessons"]) == 2
    for m in (base, lib):
        assert [(x["set"], x["prompt"]) for x in m["results"]] == [
            ("category", "a chair"),
            ("category", "a stool"),
            ("fine", "a swivel office chair with five wheels"),
        ]
        assert all(isinstance(x["clip_st"], float) and x["error"] is None for x in m["results"])
        cat = [x for x in m["results"] if x["set"] == "category"]
        means = results["means"][m["label"]]["category"]
        assert means["clip_st"] == pytest.approx(sum(x["clip_st"] for x in cat) / 2)
        assert means["structure"] == pytest.approx(sum(x["structure"] for x in cat) / 2)
    # The library's lessons reached the drawing prompt: whole chairs instead of floating legs.
    assert (
        results["means"]["threedraw + lib v2"]["category"]["structure"]
        > results["means"]["threedraw, no experience"]["category"]["structure"] + 0.3
    )
    assert results["score"]["clip_checkpoint"] == "tiny-clip-test.pt" and str(tmp_path) not in json.dumps(
        results
    )

    table = (out / "table.md").read_text()
    lines = table.splitlines()
    assert lines[0] == "| Method | category CLIP-ST | fine CLIP-ST | category structure | fine structure |"
    row = next(x for x in lines if x.startswith("| threedraw + lib v2 |")).strip("|").split("|")
    assert [c.strip() for c in row[1:]] == [
        f"{results['means']['threedraw + lib v2'][s][k]:.3f}"
        for k in ("clip_st", "structure")
        for s in ("category", "fine")
    ]
    assert table in r.out and "contact sheets to" in r.out
    assert (out / "table.csv").read_text().splitlines()[0].startswith("Method,category CLIP-ST")

    plot = Image.open(out / "epochs.png")
    assert plot.size == (720, 420) and count_colour(plot, (31, 119, 180)) > 100  # the validation line
    assert count_colour(plot, (44, 160, 44)) > 20  # the circle on the kept epoch

    sheets = sorted(p.name for p in (out / "sheets").iterdir())
    assert sheets == [
        "threedraw-lib-v2-category.png",
        "threedraw-lib-v2-fine.png",
        "threedraw-no-experience-category.png",
        "threedraw-no-experience-fine.png",
    ]
    sheet = Image.open(out / "sheets" / "threedraw-lib-v2-category.png")
    assert sheet.width > 2 * 96 and (np.asarray(sheet.convert("L")) < 100).sum() > 50  # strokes were drawn
    sketch = Sketch.load(out / "sketches" / "threedraw-lib-v2" / "category" / "001-a-chair.json")
    assert len(sketch) == len(chair())

    report = (out / "report.md").read_text()
    assert (
        f"## Learning run {run.id}" in report and "| 1 (kept) | 2 |" in report
    )  # epochs 1 and 2 tie: the earlier is kept
    for link in re.findall(r"!\[[^]]*\]\(([^)]+)\)", report):
        assert (out / link).is_file(), link
    assert report.count("![") == 5  # the plot and four sheets
    html = (out / "report.html").read_text()
    assert "<table>" in html and html.count("<img ") == 5 and "threedraw + lib v2" in html


def test_the_table_follows_the_papers_layout():
    sets = [PromptSet("modelnet40", ("chair", "table")), PromptSet("fine-grained", ("a tall stool",))]
    m = Method("threedraw + lib v3", [])
    m.results = [
        PromptResult("modelnet40", 0, "chair", 0.60, 0.9, 0.60, 12),
        PromptResult("modelnet40", 1, "table", 0.70, 0.5, 0.70, 8),
        PromptResult("fine-grained", 0, "a tall stool", 0.65, 0.8, 0.65, 9),
    ]
    rows = table_rows([m], sets)
    assert rows[0] == [
        "Method",
        "Category CLIP-ST",
        "Fine-grained CLIP-ST",
        "Category structure",
        "Fine-grained structure",
    ]
    assert rows[1:4] == [
        ["Diff3DS (published)", "0.648", "0.650", "-", "-"],
        ["Dream3DVG (published)", "0.660", "0.670", "-", "-"],
        ["3DrawAgent (published)", "0.649", "0.669", "-", "-"],
    ]
    assert rows[4] == ["threedraw + lib v3", "0.650", "0.650", "0.700", "0.800"]
    assert markdown_table(rows).splitlines()[1] == "|---|---|---|---|---|"
    # Without CLIP there is no CLIP-ST to show, only structure.
    m.results = [PromptResult("modelnet40", 0, "chair", None, 0.9, 0.9, 12)]
    assert table_rows([m], sets[:1], published=False)[1] == ["threedraw + lib v3", "-", "0.900"]


def test_eval_counts_a_prompt_that_drew_nothing_as_zero(tmp_path):
    from threedraw.testing.scripted_server import Reply

    t = Teacher(hook=lambda req, kind: Reply.completion("I cannot draw."))
    with ScriptedServer(t) as srv:
        [m] = evaluate(
            fast_provider(srv), ScoreConfig(), [PromptSet("s", ("a chair",))], [Method("none", [])]
        )
    (res,) = m.results
    assert res.structure == 0.0 and res.clip is None and "even after a repair request" in res.error
    assert m.mean("s", "structure") == 0.0 and res.calls == 2


def test_plot_marks_the_kept_epoch(tmp_path):
    epochs = [
        {"epoch": 0, "score": 0.5735, "detail": {}},
        {"epoch": 1, "score": 0.6461, "detail": {"train_best_mean": 0.62}},
        {"epoch": 2, "score": 0.6643, "detail": {"train_best_mean": 0.66}},
        {"epoch": 3, "score": 0.6428, "detail": {"train_best_mean": 0.67}},
    ]
    img = Image.open(
        plot_epochs(list(map(LearnEpoch.from_dict, epochs)), tmp_path / "p.png", "paper ablation", 2)
    )
    rgb = np.asarray(img.convert("RGB"))
    green_y = np.nonzero((rgb == (44, 160, 44)).all(axis=2))[0]
    blue_y, blue_x = np.nonzero((rgb == (31, 119, 180)).all(axis=2))
    assert count_colour(img, (150, 150, 150)) > 50  # the training line
    # The kept circle sits on the highest point of the validation line (smallest y on screen).
    top = blue_y[blue_x > 100].min()
    assert green_y.size > 20 and np.abs(green_y - top).min() < 14


@pytest.mark.parametrize(
    "args, message",
    [
        (["--prompts", "modelnet40", "--library", "nope"], "no library named 'nope'"),
        (["--prompts", "nope.txt"], "prompts 'nope.txt': no such file"),
        (["--prompts", "modelnet40", "--prompts", "modelnet40"], "repeat a name"),
        (["--prompts", "modelnet40", "--version", "3"], "--version needs --library"),
    ],
)
def test_eval_errors_are_one_clear_line(tmp_path, capsys, args, message):
    code = main(
        ["eval", *args, "--data-dir", str(tmp_path), "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_eval_keeps_a_finished_report_unless_forced(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("my annotated report")
    code = main(
        [
            "eval",
            "--prompts",
            "modelnet40",
            "--out",
            str(out),
            "--data-dir",
            str(tmp_path),
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "m",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and f"--out {out / 'report.md'} exists; pass --force to replace it" in err
    assert (out / "report.md").read_text() == "my annotated report"
