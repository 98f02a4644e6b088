"""Benchmark of structure repair on a generated corpus: `python tests/bench_repair.py [--json]`.

The corpus is every sketch in examples/ and SYNTHETIC furniture-like drawings (tests/repair_corpus.py),
each made sloppy: 10 % of its strokes drawn again (some backwards), then every end of every
stroke moved by up to half the tolerance, its handle with it. Each sloppy sketch is repaired
with the clean sketch's default tolerance, and compared with the clean one:

- floating parts (the structure score's count of connected parts) equal to the clean sketch's;
- every added duplicate removed;
- the largest move of any control point, over the tolerance (at most 1);
- the torch renderer's stroke mask (ink > 0.5) of the repaired sketch against the clean one's,
  IoU on every view (the worst view of the worst sketch; the sloppy sketch's, for scale), and
  the share of each mask's ink within the tolerance of the other's: strokes 2 px wide shifted
  by the jitter (up to about 2.5 px at 224 px) barely overlap, whatever repair does;
- time to repair 256-stroke sketches: a lattice of boxes as drawn and made sloppy, and 256
  random curves crossing everywhere (the worst case: every end is near some curve).

Targets (issue 13): parts equal in 100 % of cases, duplicates removed in 100 %, largest move at
most the tolerance, IoU at least 0.95 on every view, a 256-stroke sketch in under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repair_corpus import big_sketch, examples, sloppy, synthetic  # noqa: E402

from threedraw.shared.meets import default_tolerance  # noqa: E402
from threedraw.shared.repair import repair  # noqa: E402
from threedraw.shared.sketch import Sketch  # noqa: E402

SYNTHETIC = 60
VIEWS = 8
SIZE = 224
INK = 0.5  # a pixel darker than this is stroke
TIME_TARGET_S = 0.050
IOU_TARGET = 0.95


def measure(synthetic_count: int = SYNTHETIC, seed: int = 0, views: int = VIEWS, size: int = SIZE) -> Dict[str, Any]:
    from threedraw.structure import structure_score

    timings = _timings()  # first: before torch is loaded and busy
    clean_sketches = examples() + synthetic(synthetic_count, seed)
    cases = []
    parts_equal = all_duplicates_gone = duplicates_added = duplicates_removed = 0
    worst_move = 0.0
    for n, clean in enumerate(clean_sketches):
        tol = default_tolerance(clean)
        noisy, dups = sloppy(clean, seed=seed * 1000 + n, tolerance=tol)
        fixed, changes = repair(noisy, tol)
        removed = sum(c.kind == "duplicate" for c in changes)
        parts_equal += structure_score(fixed, tol).details["parts"] == structure_score(clean, tol).details["parts"]
        all_duplicates_gone += removed == dups and len(fixed.strokes) == len(clean.strokes)
        duplicates_added += dups
        duplicates_removed += removed
        worst_move = max(worst_move, _largest_move(noisy, fixed) / tol)
        cases.append((clean, noisy, fixed))
    iou = _worst_iou(cases, views, size)
    count = len(cases)
    result: Dict[str, Any] = {
        "sketches": count,
        "examples": count - synthetic_count,
        "views": views,
        "size": size,
        "floating_parts_equal_pct": 100.0 * parts_equal / count,
        "duplicates_removed_pct": 100.0 * all_duplicates_gone / count,
        "duplicate_strokes": {"added": duplicates_added, "removed": duplicates_removed},
        "largest_move_over_tolerance": worst_move,
        "mask_iou_min": iou,
    }
    result.update(timings)
    result["targets_met"] = {
        "floating_parts": result["floating_parts_equal_pct"] == 100.0,
        "duplicates": result["duplicates_removed_pct"] == 100.0,
        "largest_move": worst_move <= 1.0 + 1e-9,
        "mask_iou": iou["repaired"] >= IOU_TARGET,
        "time_256_strokes": result["repair_256_sloppy_ms"] <= 1000 * TIME_TARGET_S,
    }
    return result


def _largest_move(before: Sketch, after: Sketch) -> float:
    old = {s.id: s.points for s in before.strokes}
    return max((math.dist(a, b) for s in after.strokes for a, b in zip(s.points, old[s.id])), default=0.0)


def _worst_iou(cases: List[tuple], views: int, size: int) -> Dict[str, float]:
    """The smallest stroke-mask IoU with the clean sketch over every view of every case, for the
    repaired and the sloppy sketch; and how much of each mask's ink lies within the tolerance (in
    pixels at the cube's centre) of the other's: whether the strokes agree to within it."""
    import torch

    from threedraw.camera import DEFAULT_DISTANCE, DEFAULT_FOV, CameraRig
    from threedraw.render import RenderConfig, render_passes

    cameras = CameraRig(views=views).cameras()
    config = RenderConfig(size=size)
    px_per_unit = (size / 2) / math.tan(math.radians(DEFAULT_FOV) / 2) / DEFAULT_DISTANCE
    worst = {"repaired": 1.0, "sloppy": 1.0, "repaired_within_tolerance": 1.0, "sloppy_within_tolerance": 1.0}
    batch = 8
    for start in range(0, len(cases), batch):
        chunk = cases[start:start + batch]
        masks = []
        for sketches in ([c[0] for c in chunk], [c[2] for c in chunk], [c[1] for c in chunk]):
            with torch.no_grad():
                images = torch.cat([img for _, _, img in render_passes(sketches, cameras, config)], dim=1)
            masks.append(images < INK)
        radii = [max(1, round(default_tolerance(c[0]) * px_per_unit)) for c in chunk]
        for name, other in (("repaired", masks[1]), ("sloppy", masks[2])):
            worst[name] = min(worst[name], float(_iou(masks[0], other).min()))
            for b, r in enumerate(radii):
                clean, mine = masks[0][b], other[b]
                # Share of each mask's ink lying within the tolerance of the other's ink.
                agree = torch.minimum(_share(mine, _widen(clean, r)), _share(clean, _widen(mine, r)))
                worst[f"{name}_within_tolerance"] = min(worst[f"{name}_within_tolerance"], float(agree.min()))
    return worst


def _iou(a: Any, b: Any) -> Any:
    return (a & b).sum(dim=(-2, -1)).double() / (a | b).sum(dim=(-2, -1)).double().clamp(min=1)


def _share(a: Any, b: Any) -> Any:
    """Per view, the share of a's pixels that b covers."""
    return (a & b).sum(dim=(-2, -1)).double() / a.sum(dim=(-2, -1)).double().clamp(min=1)


def _widen(mask: Any, r: int) -> Any:
    import torch

    return torch.nn.functional.max_pool2d(mask.float()[:, None], 2 * r + 1, stride=1, padding=r)[:, 0] > 0


def _timings() -> Dict[str, Any]:
    from threedraw.bench_scoring import random_sketch

    lattice = big_sketch()
    noisy, _ = sloppy(lattice, seed=1)
    noisy = Sketch(noisy.prompt, noisy.strokes[:256])  # the duplicates push it past 256: keep the limit
    tangle = random_sketch(256, seed=3)
    # CPU time of several runs: on a shared machine wall time mostly measures the others, and the
    # fastest run is the one the others disturbed least; the median is given beside it.
    out: Dict[str, Any] = {}
    for name, sketch, repeats in (("clean", lattice, 9), ("sloppy", noisy, 9), ("random_curves", tangle, 3)):
        fastest, median = _cpu_times(lambda: repair(sketch), repeats)
        out[f"repair_256_{name}_ms"] = 1000 * fastest
        out[f"repair_256_{name}_median_ms"] = 1000 * median
    # Dense random curves are the known limit of "repairing twice changes nothing": a move the
    # first pass refused (it would have taken an end past the tolerance) can be allowed the
    # second time, measured from the new positions.
    once = repair(tangle).sketch
    out["random_curves_second_repair_changes"] = len(repair(once).changes)
    return out


def _cpu_times(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(fastest, median) CPU seconds of ``repeats`` calls after a warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times), statistics.median(times)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--synthetic", type=int, default=SYNTHETIC, help="synthetic sketches (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = measure(args.synthetic, args.seed)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"corpus: {result['sketches']} sketches ({result['examples']} examples), {result['views']} views at "
          f"{result['size']} px")
    print(f"floating parts as in the clean sketch  {result['floating_parts_equal_pct']:.1f} % of cases")
    d = result["duplicate_strokes"]
    print(f"all duplicates removed                 {result['duplicates_removed_pct']:.1f} % of cases "
          f"({d['removed']} of {d['added']} strokes)")
    print(f"largest move / tolerance               {result['largest_move_over_tolerance']:.3f}")
    iou = result["mask_iou_min"]
    print(f"stroke-mask IoU with the clean sketch  {iou['repaired']:.3f} repaired, {iou['sloppy']:.3f} sloppy "
          f"(worst view of any sketch)")
    print(f"  share of ink within the tolerance of the other's  {iou['repaired_within_tolerance']:.3f} repaired, "
          f"{iou['sloppy_within_tolerance']:.3f} sloppy")
    print(f"repair of 256 strokes (CPU)            {result['repair_256_clean_ms']:.1f} ms as drawn, "
          f"{result['repair_256_sloppy_ms']:.1f} ms sloppy, {result['repair_256_random_curves_ms']:.1f} ms random "
          f"curves (fastest run; medians {result['repair_256_clean_median_ms']:.1f}, "
          f"{result['repair_256_sloppy_median_ms']:.1f}, {result['repair_256_random_curves_median_ms']:.1f})")
    print(f"random curves repaired twice           {result['random_curves_second_repair_changes']} more changes")
    met = result["targets_met"]
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
