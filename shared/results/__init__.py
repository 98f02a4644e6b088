"""What crosses between the backend and the add-on, typed: the server builds these, the add-on
reads them. Each has ``to_dict`` (exactly the JSON on the wire, documented in
backend/server/schemas.py) and a tolerant ``from_dict``: a missing optional field is its default,
a malformed one a ``ResultError`` naming it.

What each job kind returns (``GET /v1/jobs/{id}``'s ``result``):

    draw    draw_result.DrawResult      sketches (SketchItem), candidates (CandidateSummary), usage
    score   score_result.ScoreResult    one Score per sketch, the best's index
    render  render_result.RenderResult  one RenderView per camera, a contact sheet (Image), the rig
    refine  refine_result.RefineResult  the best sketch, lessons, one RoundSummary per round
    learn   learn_result.LearnResult    the run's epochs, the kept version, the library head, its cost
    polish  polish_result.PolishResult  the polished sketch, rewards before and after, its largest move

Read only, by the add-on (the server writes their JSON): job.JobStatus (a job as the add-on
follows it), server_info.ServerInfo (GET /v1/info) and LibraryView (a library's lessons.LessonView).
While a job runs: progress.JobProgress (where it stands), live_stroke.LiveStroke (a stroke of a
draw or refine job's reply as it streams in); job_error.JobError: why it did not succeed.

The parts: score.Score (reward, CLIP per view, StructureScore), sketch_item.SketchItem,
candidate.CandidateSummary, image.Image, usage.Usage, step_usage.StepUsage (a learning or refine
step's calls and tokens), lessons.Event (what applying a judge's operations did to the lessons),
cameras.CameraSet (a render's rig), learn_result.LearnEpoch (an epoch and its EpochScores),
learn_cost.RunCost (a run's calls, tokens and cost per epoch and object); fields.py reads JSON fields.
"""

from .candidate import CandidateSummary
from .draw_result import DrawResult
from .fields import ResultError
from .image import Image
from .job import JobStatus
from .job_error import JobError
from .learn_result import LearnResult
from .lessons import Event, LessonView, Operation
from .live_stroke import LiveStroke
from .polish_result import PolishResult
from .progress import JobProgress
from .refine_result import RefineResult, RoundSummary
from .render_result import RenderResult, RenderView
from .score import Score, StructureScore
from .score_result import ScoreResult
from .server_info import ClipInfo, LibraryView, ProviderInfo, ServerInfo, library_names
from .sketch_item import SketchItem
from .usage import Usage

# The result of any job kind (``manager.JobKind.run`` returns one; the job stores its to_dict()).
JobResult = DrawResult | ScoreResult | RenderResult | RefineResult | LearnResult | PolishResult

__all__ = [
    "CandidateSummary",
    "ClipInfo",
    "DrawResult",
    "Event",
    "Image",
    "JobError",
    "JobProgress",
    "JobStatus",
    "JobResult",
    "LearnResult",
    "LessonView",
    "LibraryView",
    "LiveStroke",
    "Operation",
    "PolishResult",
    "ProviderInfo",
    "RefineResult",
    "RenderResult",
    "RenderView",
    "RoundSummary",
    "ResultError",
    "Score",
    "ScoreResult",
    "ServerInfo",
    "SketchItem",
    "StructureScore",
    "Usage",
    "library_names",
]
