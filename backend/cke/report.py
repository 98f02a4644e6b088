"""The evaluation report: the paper's table, a score-by-epoch plot, contact sheets, all in one folder.

``write_report`` writes, for the methods ``threedraw.cke.evaluation.evaluate`` filled in:

    results.json        every number below, per prompt and per method
    table.md, table.csv the paper's layout: one row per method, one CLIP-ST column per set
                        (category = ModelNet40, fine-grained), the published numbers beside
    epochs.png          score by epoch of a learning run (validation, and training best)
    sheets/*.png        contact sheets of the drawn sketches, one tile per prompt
    sketches/...        every drawn sketch as JSON
    report.md, .html    all of it tied together

Images are drawn with Pillow from the project's own renderer.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..draw.prompt_sets import PromptSet
from ..llm.base import Usage
from ..rendering.images import contact_sheet, render_tiles
from ..shared.files import write_text_atomic
from ..shared.results.fields import Record
from ..shared.results.learn_cost import RunCost
from ..shared.results.learn_result import LearnEpoch
from ..shared.sketch import Sketch
from .evaluation import Method, PromptResult
from .run_record import ScoreRecord

# Published CLIP-ST (the paper's headline table); shown beside ours, never mixed with it.
PUBLISHED = (
    ("Diff3DS", {"modelnet40": 0.648, "fine-grained": 0.650}),
    ("Dream3DVG", {"modelnet40": 0.660, "fine-grained": 0.670}),
    ("3DrawAgent", {"modelnet40": 0.649, "fine-grained": 0.669}),
)
SET_TITLES = {"modelnet40": "Category", "fine-grained": "Fine-grained"}
TILE_SIZE = 192
PLOT_SIZE = (720, 420)


# ---------------------------------------------------------------------------
# The table


def table_columns(sets: Sequence[PromptSet]) -> list[str]:
    return [s.name for s in sets]


def _title(set_name: str) -> str:
    return SET_TITLES.get(set_name, set_name)


def _fmt(v: float | None, digits: int = 3) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.{digits}f}"


def table_rows(
    methods: Sequence[Method], sets: Sequence[PromptSet], published: bool = True
) -> list[list[str]]:
    """Header row, then one row per method: CLIP-ST per set, then structure per set."""
    names = table_columns(sets)
    header = ["Method", *[f"{_title(n)} CLIP-ST" for n in names], *[f"{_title(n)} structure" for n in names]]
    rows = [header]
    if published and any(n in SET_TITLES for n in names):
        for label, vals in PUBLISHED:
            rows.append([f"{label} (published)", *[_fmt(vals.get(n)) for n in names], *["-" for _ in names]])
    for m in methods:
        rows.append(
            [
                m.label,
                *[_fmt(m.mean(n, "clip")) for n in names],
                *[_fmt(m.mean(n, "structure")) for n in names],
            ]
        )
    return rows


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join("---" for _ in rows[0]) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# The score-by-epoch plot (Pillow: no plotting library needed for one chart)


def plot_epochs(epochs: Sequence[LearnEpoch], path: Path, title: str, best_epoch: int | None = None) -> Path:
    """Validation score (and training best, when known) by epoch, the kept epoch circled."""
    from PIL import Image, ImageDraw

    w, h = PLOT_SIZE
    left, right, top, bottom = 72, 24, 44, 64
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    # Validation last, so it is drawn on top of the training line.
    raw = [
        (
            "training best (mean reward)",
            (150, 150, 150),
            [(e.epoch, e.detail.train_best_mean) for e in epochs],
        ),
        ("validation score (mean reward)", (31, 119, 180), [(e.epoch, e.score) for e in epochs]),
    ]
    series: list[tuple[str, tuple[int, int, int], list[tuple[float, float]]]] = []
    for name, colour, pts in raw:
        kept = [(float(x), float(y)) for x, y in pts if y is not None and math.isfinite(y)]
        if kept:
            series.append((name, colour, kept))
    xs = [e.epoch for e in epochs] or [0]
    ys = [y for _, _, pts in series for _, y in pts] or [0.0, 1.0]
    x0, x1 = min(xs), max(max(xs), min(xs) + 1)
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.15 or 0.05
    lo, hi = lo - pad, hi + pad
    ticks = axis_ticks(lo, hi)
    lo, hi = min(lo, ticks[0][0]), max(hi, ticks[-1][0])  # the axis spans its outer ticks

    def px(x: float, y: float) -> tuple[float, float]:
        return (
            left + (x - x0) / (x1 - x0) * (w - left - right),
            top + (hi - y) / (hi - lo) * (h - top - bottom),
        )

    d.text((left, 12), title[:90], fill="black")
    d.rectangle((left, top, w - right, h - bottom), outline=(80, 80, 80))
    for y, label in axis_ticks(lo, hi):
        _, py = px(x0, y)
        d.line((left, py, w - right, py), fill=(230, 230, 230))
        d.text((8, py - 6), label, fill=(60, 60, 60))
    for x in range(int(x0), int(x1) + 1):
        pxx, _ = px(x, lo)
        d.line((pxx, h - bottom, pxx, h - bottom + 4), fill=(80, 80, 80))
        d.text((pxx - 3, h - bottom + 8), str(x), fill=(60, 60, 60))
    d.text(((w - left - right) // 2 + left - 16, h - bottom + 26), "epoch", fill="black")
    for n, (name, colour, line) in enumerate(series):
        coords = [px(x, y) for x, y in line]
        if len(coords) > 1:
            d.line(coords, fill=colour, width=3)
        for cx, cy in coords:
            d.ellipse((cx - 4, cy - 4, cx + 4, cy + 4), fill=colour)
        ly = h - 22
        lx = left + n * 260
        d.line((lx, ly + 6, lx + 24, ly + 6), fill=colour, width=3)
        d.text((lx + 30, ly), name, fill="black")
    if best_epoch is not None:
        for e in epochs:
            if e.epoch == best_epoch and e.score is not None:
                cx, cy = px(e.epoch, e.score)
                d.ellipse((cx - 10, cy - 10, cx + 10, cy + 10), outline=(44, 160, 44), width=3)
                d.text((cx + 12, cy - 18), "kept", fill=(44, 160, 44))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def axis_ticks(lo: float, hi: float, target: int = 5) -> list[tuple[float, str]]:
    """Tick values and labels for an axis over [lo, hi]: about ``target`` steps of 1, 2 or 5 x 10^k
    (a plotting library's "nice" locator; matplotlib is not a dependency), from the last multiple of
    the step at or below lo to the first at or above hi, each label with just the decimals that
    tell ticks apart."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        lo, hi = (lo, lo + 1.0) if math.isfinite(lo) else (0.0, 1.0)
    raw = (hi - lo) / target
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * 0.999)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    ticks = []
    for n in range(first, last + 1):
        text = f"{n * step:.{decimals}f}"
        ticks.append((round(n * step, decimals + 1), text.lstrip("-") if float(text) == 0 else text))
    return ticks


# ---------------------------------------------------------------------------
# Contact sheets and the report


def slug(text: str, n: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:n].strip("-") or "prompt"


def best_sheet(results: Sequence[PromptResult], size: int = TILE_SIZE) -> Any:
    """One tile per prompt (a three-quarter view), labelled with the prompt and its CLIP-ST."""
    tiles, labels = [], []
    for r in results:
        sketch = r.sketch or Sketch(prompt=r.prompt)
        tiles.append(render_tiles(sketch, views=1, size=size)[0])
        # The score first, so a long prompt wrapped (or, past three lines, cut) never hides it.
        score = f"CLIP {r.clip:.3f}" if r.clip is not None else f"structure {_fmt(r.structure, 2)}"
        labels.append(f"{score}  {r.index + 1}. {r.prompt}")
    return contact_sheet(tiles, labels)


def write_report(
    out: Path,
    methods: Sequence[Method],
    sets: Sequence[PromptSet],
    *,
    run: Record | None = None,
    score: Record | None = None,
    sheet_size: int = TILE_SIZE,
) -> dict[str, Path]:
    """Write the results, table, plot, sheets, sketches and report into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for m in methods:
        for r in m.results:
            if r.sketch is not None:
                p = out / "sketches" / slug(m.label, 30) / r.set / f"{r.index + 1:03d}-{slug(r.prompt)}.json"
                p.parent.mkdir(parents=True, exist_ok=True)
                r.sketch.save(p)
    results = {
        "format": "threedraw.eval/1",
        "sets": [{"name": s.name, "prompts": list(s.prompts)} for s in sets],
        "score": score or {},
        "methods": [m.to_dict() for m in methods],
        "means": {
            m.label: {
                s.name: {"clip_st": m.mean(s.name, "clip"), "structure": m.mean(s.name, "structure")}
                for s in sets
            }
            for m in methods
        },
    }
    if run is not None:
        results["run"] = {
            "id": run["run"]["id"],
            "epochs": run["epochs"],
            "cost": run["cost"],
            "best_epoch": run["run"]["best_epoch"],
        }
    paths["results"] = _write(out / "results.json", json.dumps(results, indent=1))
    rows = table_rows(methods, sets)
    paths["table_md"] = _write(out / "table.md", markdown_table(rows))
    table = io.StringIO(newline="")
    csv.writer(table).writerows(rows)
    paths["table_csv"] = _write(out / "table.csv", table.getvalue())
    if run is not None and run["epochs"]:
        paths["plot"] = plot_epochs(
            _epochs(run),
            out / "epochs.png",
            f"run {run['run']['id']}: score by epoch (library {run['run']['library']})",
            run["run"]["best_epoch"],
        )
    sheets = []
    for m in methods:
        for s in sets:
            res = m.of(s.name)
            if res:
                p = out / "sheets" / f"{slug(m.label, 30)}-{s.name}.png"
                p.parent.mkdir(parents=True, exist_ok=True)
                best_sheet(res, sheet_size).save(p)
                sheets.append((m.label, s.name, p))
    paths["report_md"] = _write(out / "report.md", _report_md(out, methods, sets, rows, run, sheets, score))
    paths["report_html"] = _write(
        out / "report.html", _report_html(out, methods, sets, rows, run, sheets, score)
    )
    return paths


def _write(path: Path, text: str) -> Path:
    write_text_atomic(path, text)
    return path


def _usage_line(methods: Sequence[Method]) -> str:
    n = sum(len(m.results) for m in methods)
    calls = sum(r.calls for m in methods for r in m.results)
    u = sum((r.usage for m in methods for r in m.results), Usage())
    cost = "unknown" if u.cost_usd is None else f"${u.cost_usd:.4f}"
    return (
        f"{n} drawings, {calls} LLM calls, {u.prompt_tokens} prompt + {u.completion_tokens} completion tokens"
        f"{u.details()}, cost {cost}"
    )


def _score_note(score: Record | None) -> str:
    rec = ScoreRecord.from_dict(score)
    if rec is None:
        return ""
    weights = rec.clip_pretrained or rec.clip_checkpoint
    if not rec.clip_model or not weights:
        return "No CLIP weights were configured: CLIP-ST is not measured; methods are ranked by structure."
    return f"CLIP {rec.clip_model} ({weights}), {rec.views} views of {rec.size} px."


def _cost_rows(run: Record) -> list[list[str]]:
    rows = [
        [
            "epoch",
            "objects",
            "calls / object",
            "draw calls",
            "judge calls",
            "prompt tokens / object",
            "completion tokens / object",
            "cached prompt tokens / object",
            "reasoning tokens / object",
            "cost / object",
        ]
    ]
    for e in RunCost.from_dict(run["cost"], "run.cost").epochs:
        p = e.per_object
        rows.append(
            [
                str(e.epoch),
                str(e.objects),
                f"{p.calls:.1f}",
                f"{p.draw_calls:.1f}",
                f"{p.judge_calls:.1f}",
                f"{p.prompt_tokens:.0f}",
                f"{p.completion_tokens:.0f}",
                f"{p.cached_prompt_tokens:.0f}",
                f"{p.reasoning_tokens:.0f}",
                "unknown" if p.cost_usd is None else f"${p.cost_usd:.4f}",
            ]
        )
    return rows


def _epochs(run: Record) -> list[LearnEpoch]:
    """A run export's epochs, typed (the learn result's epochs are the same)."""
    return [LearnEpoch.from_dict(e, f"run.epochs[{i}]") for i, e in enumerate(run["epochs"])]


def _report_md(out: Path, methods, sets, rows, run, sheets, score) -> str:
    lines = ["# threedraw evaluation", ""]
    note = _score_note(score)
    if note:
        lines += [note, ""]
    lines += ["## CLIP-ST and structure (mean per set)", "", markdown_table(rows), _usage_line(methods), ""]
    if run is not None:
        lines += [f"## Learning run {run['run']['id']}", ""]
        if (out / "epochs.png").exists():
            lines += ["![score by epoch](epochs.png)", ""]
        lines += ["| epoch | library version | validation score |", "|---|---|---|"]
        for e in _epochs(run):
            kept = " (kept)" if e.epoch == run["run"]["best_epoch"] else ""
            lines.append(f"| {e.epoch}{kept} | {e.version} | {_fmt(e.score, 4)} |")
        lines += ["", "LLM calls and tokens per object:", "", markdown_table(_cost_rows(run))]
    lines += ["## Sketches", ""]
    for label, set_name, p in sheets:
        lines += [
            f"### {label}: {set_name}",
            "",
            f"![{label} {set_name}]({p.relative_to(out).as_posix()})",
            "",
        ]
    lines += ["## Per prompt", ""]
    header = ["set", "#", "prompt"] + [f"{m.label} CLIP-ST | {m.label} structure" for m in methods]
    lines += [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in range(3 + 2 * len(methods))) + "|",
    ]
    for s in sets:
        for i, prompt in enumerate(s.prompts):
            cells = []
            for m in methods:
                r = next((x for x in m.of(s.name) if x.index == i), None)
                cells += [_fmt(r.clip if r else None), _fmt(r.structure if r else None)]
            lines.append("| " + " | ".join([s.name, str(i + 1), prompt.replace("|", "/"), *cells]) + " |")
    return "\n".join(lines) + "\n"


def _report_html(out: Path, methods, sets, rows, run, sheets, score) -> str:
    e = html.escape

    def table(rs: Sequence[Sequence[str]]) -> str:
        head = "".join(f"<th>{e(c)}</th>" for c in rs[0])
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rs[1:])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>threedraw evaluation</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}"
        "img{max-width:100%}</style></head><body><h1>threedraw evaluation</h1>",
    ]
    note = _score_note(score)
    if note:
        parts.append(f"<p>{e(note)}</p>")
    parts += [
        "<h2>CLIP-ST and structure (mean per set)</h2>",
        table(rows),
        f"<p>{e(_usage_line(methods))}</p>",
    ]
    if run is not None:
        parts.append(f"<h2>Learning run {e(run['run']['id'])}</h2>")
        if (out / "epochs.png").exists():
            parts.append("<img src='epochs.png' alt='score by epoch'>")
        ep = [["epoch", "library version", "validation score"]] + [
            [
                f"{x.epoch}{' (kept)' if x.epoch == run['run']['best_epoch'] else ''}",
                str(x.version),
                _fmt(x.score, 4),
            ]
            for x in _epochs(run)
        ]
        parts += [table(ep), "<p>LLM calls and tokens per object:</p>", table(_cost_rows(run))]
    parts.append("<h2>Sketches</h2>")
    for label, set_name, p in sheets:
        parts.append(
            f"<h3>{e(label)}: {e(set_name)}</h3><img src='{e(p.relative_to(out).as_posix())}' "
            f"alt='{e(label)} {e(set_name)}'>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
