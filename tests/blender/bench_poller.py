"""Benchmark: how long the poller's main-thread tick takes while a job streams progress.

    .venv/bin/python tests/blender/bench_poller.py [--rounds 3]

Builds and installs the add-on in a throwaway Blender config, starts the test backend (scripted
LLM that answers slowly, tiny CLIP), runs a refine job without blocking and plays Blender's
event loop: poller.tick() every TICK_S, as the timer would. Prints the longest and mean tick
while progress streams, and separately the one tick that builds the result into the scene.
Goal: every progress tick under 2 ms.
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
import conftest  # noqa: E402  (sets a throwaway XDG_CONFIG_HOME before bpy loads)

import bpy  # noqa: E402


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
        assert bpy.ops.threedraw.refine(prompt="a chair drawn slowly", rounds=args.rounds, k=3,
                                        wait=False) == {"FINISHED"}
        act = poller.active(bpy.context.scene)
        progress: list[float] = []  # wall time of each tick
        cpu: list[float] = []  # the main thread's CPU time in it (without waits for the GIL or a core)
        texts = set()
        t0 = time.monotonic()
        while poller.active(bpy.context.scene) is not None:
            c0 = time.thread_time()
            poller.tick()
            c1 = time.thread_time()
            if poller.active(bpy.context.scene) is not None:
                progress.append(poller.tick_durations[-1])
                cpu.append(c1 - c0)
                texts.add(act.text)
            time.sleep(poller.TICK_S)
        final, final_cpu = poller.tick_durations[-1], c1 - c0
        print(f"job: {act.label}, {time.monotonic() - t0:.1f} s, outcome: {act.outcome[1]}")
        print(f"progress ticks: {len(progress)}, distinct stage texts: {len(texts)}")
        for name, xs in (("wall", progress), ("cpu", cpu)):
            print(f"progress tick {name}: longest {max(xs) * 1e3:.3f} ms, mean {statistics.mean(xs) * 1e3:.3f} ms, "
                  f"p99 {sorted(xs)[int(len(xs) * 0.99)] * 1e3:.3f} ms")
        print(f"result tick (builds {len(bpy.context.scene.objects)} curve objects): wall {final * 1e3:.2f} ms, "
              f"cpu {final_cpu * 1e3:.2f} ms")
    finally:
        conftest.stop_backend(proc)


if __name__ == "__main__":
    main()
