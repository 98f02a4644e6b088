"""What the routes share: the settings, the job manager and the stores of one running server."""

from __future__ import annotations

from fastapi import Request

from ..library.runs import RunStore
from ..library.store import LibraryStore
from ..storage import Database, StorageError
from .jobs.kinds import job_kinds
from .jobs.manager import JobManager
from .jobs.scoring_model import ScoringModel
from .jobs.store import JobStore
from .lock import DataDirLock
from .settings import ServerSettings


class ServerState:
    """Opened before the server listens, so a bad data dir is reported before it starts.

    The data folder's lock comes first: no other server's jobs are touched (``owner``, the
    server's URL, is what a second server is told)."""

    def __init__(self, settings: ServerSettings, owner: str = ""):
        self.settings = settings
        self.lock = DataDirLock(settings.data_dir, owner)
        try:
            self.store = JobStore(settings.db_path)
        except StorageError:
            self.lock.release()
            raise
        try:
            self.library_db = Database.open(settings.data_dir)
            self.libraries = LibraryStore(self.library_db)
            self.runs = RunStore(self.library_db)
        except StorageError:
            self.store.close()
            self.lock.release()
            raise
        self.scoring = ScoringModel(settings.score)
        self.jobs = JobManager(settings, self.store, job_kinds(self.library_db), warm_up=self.scoring.warm_up)

    def close(self) -> None:
        try:
            self.jobs.stop()
            self.store.close()
            self.library_db.close()
        finally:
            self.lock.release()


def server_state(request: Request) -> ServerState:
    return request.app.state.server
