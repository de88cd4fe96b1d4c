"""Katib inside `kflow up`: the observation log, the DB manager and the controllers.

Katib is three controllers and a DB manager (gRPC, port 6789) that trial code and the
SDK's `report_metrics` / `get_trial_metrics` reach as `katib-db-manager.kubeflow:6789`.
Here the observation log shares kflow's database, and the DB manager listens on port
6789 of a loopback address of its own (`127.75.x.y`, one per data directory, so
several `kflow up`s can run side by side); trial pods that push metrics get that
name mapped to that address (`hostAliases`). When no such address can be bound the
DB manager takes any free port on 127.0.0.1: pushing then needs the address passed
explicitly (`report_metrics(..., db_manager_address=...)`).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from kflow.controllers.events import EventRecorder
from kflow.controllers.katib import TrialController, katib_controllers
from kflow.controllers.katib.admission import register_search_validation
from kflow.controllers.katib.state import load_key
from kflow.controllers.manager import Manager
from kflow.runtime.interface import Runtime
from kflow.server.dbmanager import DBManager, store_resolver
from kflow.store.interface import Store
from kflow.store.observations import ObservationLog

log = logging.getLogger(__name__)

DB_MANAGER_PORT = 6789
"""Katib's DB manager port, as `kubeflow.katib.report_metrics` dials it."""


def loopback_candidates(home: Path, count: int = 8) -> list[str]:
    """Loopback addresses to try for the DB manager, stable for a data directory."""
    digest = hashlib.sha256(str(home).encode()).digest()
    return [f"127.75.{digest[2 * i]}.{max(digest[2 * i + 1], 1)}" for i in range(count)]


class TuningService:
    """Adds Katib's controllers to a manager and runs the DB manager beside them."""

    def __init__(
        self,
        home: Path,
        store: Store,
        runtime: Runtime,
        observations: ObservationLog,
        manager: Manager,
        recorder: EventRecorder,
    ) -> None:
        self.home = home
        register_search_validation()
        self.observations = observations
        self.manager = manager
        # signs the search state kept in Suggestions; under the data dir, like the token
        key = load_key(home / "pki" / "katib-state.key")
        self.controllers = katib_controllers(store, runtime, observations, recorder, key=key)
        for controller in self.controllers:
            manager.add(controller)
        self.db_manager = DBManager(
            observations, on_report=self._reported, resolve=store_resolver(store)
        )
        self.address: str | None = None

    def _reported(self, namespace: str, trial: str) -> None:
        """Pushed metrics: look at the trial now, not at its next poll."""
        self.manager.queue_of(TrialController.name).add((namespace, trial))

    async def start(self) -> None:
        for host in loopback_candidates(self.home):
            try:
                port = await self.db_manager.start(host, DB_MANAGER_PORT)
            except OSError:
                continue
            self._serving(host, port)
            return
        port = await self.db_manager.start("127.0.0.1", 0)
        self._serving("127.0.0.1", port, mapped=False)

    def _serving(self, host: str, port: int, *, mapped: bool = True) -> None:
        self.address = f"{host}:{port}"
        for controller in self.controllers:
            if isinstance(controller, TrialController) and mapped:
                controller.db_manager_ip = host
        log.info("Katib DB manager API on %s", self.address)

    async def stop(self) -> None:
        await self.db_manager.stop()
