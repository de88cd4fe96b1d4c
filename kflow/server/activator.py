"""Holding requests for an InferenceService that has no ready replica (Knative's activator).

A service scaled to zero, or still starting, has no replica to send a request to.
Rather than fail it, the gateway holds it: it pokes the autoscaler (`activate`, so
the controller starts a replica now instead of at its next tick) and waits for the
replica table to change. Every request that arrives meanwhile waits on the same
wake-up and all go on together. A request whose every replica refused the
connection (one restarting, or removed by a scale-down the table has not seen yet)
waits the same way, trying again at least every `RETRY_REFUSED_SECONDS`. A request
waits at most the predictor's `timeout` (KServe's `spec.predictor.timeout`, 60 s
unless set); then it gets a 503 that says why and what to look at.
"""

from __future__ import annotations

import asyncio

from kflow.api.errors import ServiceUnavailable
from kflow.api.kserve import contracts as c
from kflow.api.kserve.autoscaling import scaling_settings
from kflow.controllers.serving.traffic import ServingTraffic
from kflow.server.replica_table import ReplicaTable

RETRY_REFUSED_SECONDS = 0.1
"""How soon replicas that refused a connection are tried again if nothing changed."""


class Hold:
    """One request's wait for a replica of one component; its deadline starts when it
    first waits."""

    def __init__(self, activator: Activator, namespace: str, name: str, component: str) -> None:
        self.activator = activator
        self.namespace, self.name, self.component = namespace, name, component
        self._deadline: float | None = None

    async def wait(self, *, any_ready: bool) -> None:
        """Wait for the replicas to change: at once when none is ready (`any_ready`
        False: the autoscaler is asked for one), else for a short retry pause.
        ServiceUnavailable once the request has waited its timeout."""
        table, key = self.activator.table, (self.namespace, self.name)
        loop = asyncio.get_running_loop()
        timeout = scaling_settings(table.service(*key) or {}).timeout
        if self._deadline is None:
            self._deadline = loop.time() + timeout
        left = self._deadline - loop.time()
        if left <= 0:
            raise ServiceUnavailable(
                f'inferenceservice "{self.name}" in namespace "{self.namespace}" has no '
                f"ready replica yet ({self.component}): none became ready within "
                f"{timeout:g}s (spec.predictor.timeout) (kubectl get isvc {self.name} -n "
                f"{self.namespace}; kubectl get pods -l {c.ISVC_LABEL}={self.name} -n "
                f"{self.namespace})"
            )
        if not any_ready:
            self.activator.traffic.activate((*key, self.component))
        await table.wait_change(*key, min(left, RETRY_REFUSED_SECONDS) if any_ready else left)


class Activator:
    """Makes the holds of the gateway's requests."""

    def __init__(self, table: ReplicaTable, traffic: ServingTraffic) -> None:
        self.table = table
        self.traffic = traffic

    def hold(self, namespace: str, name: str, component: str = c.PREDICTOR) -> Hold:
        return Hold(self, namespace, name, component)
