"""The KFP platform in one object: its services over one backend, and the scheduler.

`kflow up` builds a `KfpPlatform` over the object store and the KFP record store,
starts it (the `Default` experiment exists from then on, and the recurring-run
scheduler ticks) and hands it to the routes.
"""

from __future__ import annotations

from kflow.server.kfp.backend import KfpBackend
from kflow.server.kfp.catalog import Catalog
from kflow.server.kfp.experiments import Experiments
from kflow.server.kfp.recurring import RecurringRuns
from kflow.server.kfp.run_control import RunControl
from kflow.server.kfp.runs import Runs
from kflow.server.kfp.scheduler import Scheduler


class KfpPlatform:
    """Pipelines, experiments, runs and recurring runs over one backend."""

    def __init__(self, backend: KfpBackend) -> None:
        self.backend = backend
        self.catalog = Catalog(backend)
        self.experiments = Experiments(backend)
        self.runs = Runs(backend, self.catalog, self.experiments)
        self.control = RunControl(self.runs)
        self.recurring = RecurringRuns(backend, self.catalog, self.experiments)
        self.scheduler = Scheduler(self.recurring, self.runs)

    async def start(self) -> None:
        self.experiments.default()
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
