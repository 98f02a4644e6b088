"""Prompts ordered for prompt caching: what the requests of one batch share comes
first (role, format, example, rules, the library's lessons), the object and the sketches last."""

from __future__ import annotations

import os

from threedraw import prompts
from threedraw.cke import judge
from threedraw.draw import agent
from threedraw.library.lessons import Lesson
from threedraw.shared.results.score import Score
from threedraw.shared.sketch import Sketch, Stroke

LESSONS = ["Connect every leg to the seat.", "Keep  the back\nupright."]


def flat(messages) -> str:
    """A request as a cache sees it: its messages in order."""
    return "".join(f"<{m.role}>{m.content}" for m in messages)


def sketch(prompt: str, z: float) -> Sketch:
    return Sketch(prompt, [Stroke("s1", ((0, 0, z), (0.1, 0, z), (0.2, 0, z), (0.3, 0, z)))])


def test_two_drawing_requests_of_a_batch_share_everything_up_to_the_objects_name():
    for json_mode in (False, True):
        a = flat(agent.build_messages("a wooden chair", LESSONS, json_mode=json_mode))
        b = flat(agent.build_messages("a lamp", LESSONS, json_mode=json_mode))
        shared = os.path.commonprefix([a, b])
        assert a[len(shared) :].startswith("wooden chair") and b[len(shared) :].startswith("lamp")
        assert shared.endswith("Draw: a ") and "2. Keep the back upright." in shared
        # The lessons reach the model exactly as the experience block, numbered from 1.
        block = prompts.render(
            "experience.md", lessons="1. Connect every leg to the seat.\n2. Keep the back upright."
        )
        assert block.strip() in shared


def test_refining_puts_the_current_sketch_after_the_lessons():
    a = flat(agent.build_messages("a chair", LESSONS, sketch("a chair", 0.0)))
    b = flat(agent.build_messages("a lamp", LESSONS, sketch("a lamp", 0.5)))
    shared = os.path.commonprefix([a, b])
    assert "2. Keep the back upright." in shared and "An artist has already drawn" in shared
    assert a.index("draw_bezier[(0, 0, 0)") < a.index("Draw: a chair")


def test_two_judge_requests_of_a_batch_share_everything_up_to_the_object_and_sketches():
    lessons = [Lesson("L1", "Share end points exactly where parts meet.", "t", "t")]
    score = Score(clip_mean=None, clip_per_view=[], structure=None, reward=0.5)

    def ask(prompt: str, z: float) -> str:
        better, worse = judge.Side(sketch(prompt, z), score), judge.Side(sketch(prompt, -z), score)
        return flat(judge.build_messages(prompt, better, worse, lessons))

    a, b = ask("a chair", 0.25), ask("a lamp", 0.75)
    shared = os.path.commonprefix([a, b])
    assert shared.endswith("Prompt: a ") and "[G1] Share end points exactly where parts meet." in shared
    assert "BETTER sketch" not in shared
    assert a.index("Prompt: a chair") < a.index("BETTER sketch") < a.index("WORSE sketch")
