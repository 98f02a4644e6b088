"""Benchmarks whose numbers go in the notes, not in timed tests: `threedraw bench NAME`.

Each module named in BENCHMARKS defines ``run_benchmark(args) -> dict`` of figures; adding a
benchmark (``bench parser``, ``bench repair``) is one module and one line here.
"""

BENCHMARKS = {
    "scoring": "threedraw.bench.scoring",  # render and CLIP-encode speed on this machine
    "draw": "threedraw.bench.draw",  # what the drawing pipeline adds to the LLM's own time
    "parser": "threedraw.bench.parser",  # worst-case parse times against the linear-time targets
    "repair": "threedraw.bench.repair",  # structure repair on a jittered corpus: parts, moves, IoU, speed
    "learn": "threedraw.bench.learn",  # batched learning and concurrent eval against the LLM's floor
    "stream": "threedraw.bench.stream",  # live strokes: first and last stroke of a streamed reply
    "cost": "threedraw.bench.cost",  # prompt-cache hits and DeepSeek cost of a learning epoch
    "loops": "threedraw.bench.loops",  # loop cut-off: how soon a looping reply stops, and nothing else
    "polish": "threedraw.bench.polish",  # one polish step vs CLIP, the default run, joints kept on a corpus
    "server": "threedraw.bench.server",  # health under event-stream replays and half-sent request floods
}
