"""Benchmark: how long the poller's main-thread tick takes while a job streams progress or strokes.

    .venv/bin/python tests/blender/bench_poller.py [--rounds 3]

Builds and installs the add-on in a throwaway Blender config, starts the test backend (scripted
LLM, tiny CLIP) and plays Blender's event loop: poller.tick() every TICK_S, as the timer would.
Two jobs, without blocking: a refine whose LLM answers slowly (progress only), then a draw of
K=3 candidates whose 24-stroke replies stream at 40 tokens/s (live strokes grow in the scene).
For each it prints the longest and mean tick while the job runs, and separately the one tick
that builds the result. Goal: every tick while a job runs under 2 ms.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bpy  # noqa: E402

import conftest  # noqa: E402  (sets a throwaway XDG_CONFIG_HOME before bpy loads)

LIVE_PROMPT = "a ladder stroke by stroke"  # backend_stack: the 24-stroke reply, streamed


def follow(poller) -> None:
    """Tick until the scene's job ends; print what the ticks cost."""
    act = poller.active(bpy.context.scene)
    running: list[float] = []  # wall time of each tick
    cpu: list[float] = []  # the main thread's CPU time in it (without waits for the GIL or a core)
    building: list[float] = []  # wall time of the ticks that built live curves
    shown = 0
    t0 = time.monotonic()
    while poller.active(bpy.context.scene) is not None:
        before = act.live.strokes if act.live is not None else 0
        c0 = time.thread_time()
        poller.tick()
        c1 = time.thread_time()
        if poller.active(bpy.context.scene) is not None:
            running.append(poller.SESSION.tick_durations[-1])
            cpu.append(c1 - c0)
            if act.live is not None and act.live.strokes > before:
                building.append(poller.SESSION.tick_durations[-1])
                shown = act.live.strokes
        time.sleep(poller.TICK_S)
    final, final_cpu = poller.SESSION.tick_durations[-1], c1 - c0
    print(f"job: {act.label}, {time.monotonic() - t0:.1f} s, outcome: {act.outcome[1]}")
    print(
        f"  ticks while it ran: {len(running)}; ticks that built live curves: {len(building)} "
        f"({shown} strokes shown before the result)"
    )
    for name, xs in (("wall", running), ("cpu", cpu), ("wall, building live curves", building)):
        if xs:
            print(
                f"  tick {name}: longest {max(xs) * 1e3:.3f} ms, mean {statistics.mean(xs) * 1e3:.3f} ms, "
                f"p99 {sorted(xs)[int(len(xs) * 0.99)] * 1e3:.3f} ms"
            )
    print(
        f"  result tick (the scene then holds {len(bpy.context.scene.objects)} objects): "
        f"wall {final * 1e3:.2f} ms, cpu {final_cpu * 1e3:.2f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(conftest.ROOT))
    import build_addon

    tmp = Path(tempfile.mkdtemp(prefix="threedraw-bench-"))
    conftest.install(build_addon.build(tmp / "dist"))
    poller = importlib.import_module(f"{conftest.MODULE}.jobs.poller")
    proc, info = conftest.start_backend(tmp / "backend")
    try:
        prefs = conftest.addon_prefs()
        prefs.backend_url, prefs.token_file = info["url"], info["token_file"]
        bpy.ops.threedraw.import_sketch(filepath=str(conftest.ROOT / "examples" / "chair.json"))
        for o in bpy.context.scene.objects:
            o.select_set(True)
        assert bpy.ops.threedraw.refine(
            prompt="a chair drawn slowly", rounds=args.rounds, k=3, wait=False
        ) == {"FINISHED"}
        follow(poller)
        assert bpy.ops.threedraw.draw(prompt=LIVE_PROMPT, k=3, wait=False) == {"FINISHED"}
        follow(poller)
    finally:
        conftest.stop_backend(proc)


if __name__ == "__main__":
    main()
