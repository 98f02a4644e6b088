"""What the routes share: the settings, the job manager and the stores of one running server."""

from __future__ import annotations

from fastapi import Request

from ..library.store import LibraryStore
from ..storage import Database, StorageError
from .jobs.kinds import job_kinds
from .jobs.manager import JobManager
from .jobs.scoring_model import ScoringModel
from .jobs.store import JobStore
from .settings import ServerSettings


class ServerState:
    """Opened before the server listens, so a bad data dir is reported before it starts."""

    def __init__(self, settings: ServerSettings):
        self.settings = settings
        self.store = JobStore(settings.db_path)
        try:
            self.library_db = Database.open(settings.data_dir)
            self.libraries = LibraryStore(self.library_db)
        except StorageError:
            self.store.close()
            raise
        self.scoring = ScoringModel(settings.score)
        self.jobs = JobManager(settings, self.store, job_kinds(self.library_db), warm_up=self.scoring.warm_up)

    def close(self) -> None:
        self.jobs.stop()
        self.store.close()
        self.library_db.close()


def server_state(request: Request) -> ServerState:
    return request.app.state.server
