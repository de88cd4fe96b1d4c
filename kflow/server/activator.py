"""Holding requests for an InferenceService that has no ready replica (Knative's activator).

A service scaled to zero, or still starting, has no replica to send a request to.
Rather than fail it, the gateway holds it: it pokes the autoscaler (`activate`, so
the controller starts a replica now instead of at its next tick) and waits for the
replica table to show a ready address. Every request that arrives meanwhile waits on
the same wake-up and all go on together. A request whose every replica refused the
connection (one restarting, or removed by a scale-down the table has not seen yet)
waits the same way for the table to change, trying again at least every
`RETRY_REFUSED_SECONDS`. A request waits at most the predictor's `timeout`
(KServe's `spec.predictor.timeout`, 60 s unless set); then it gets a 503 that says
why and what to look at.
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
    """One request's wait for a replica; its deadline starts when it first waits."""

    def __init__(self, activator: Activator, namespace: str, name: str) -> None:
        self.activator = activator
        self.namespace, self.name = namespace, name
        self._deadline: float | None = None

    async def replicas(self, refused: frozenset[str] = frozenset()) -> list[str]:
        """Ready addresses, those that `refused` last; ServiceUnavailable if none comes."""
        table, key = self.activator.table, (self.namespace, self.name)
        loop = asyncio.get_running_loop()
        while True:
            ready = table.ready(*key)
            fresh = [a for a in ready if a not in refused]
            if fresh:
                return fresh
            timeout = scaling_settings(table.service(*key) or {}).timeout
            if self._deadline is None:
                self._deadline = loop.time() + timeout
            left = self._deadline - loop.time()
            if left <= 0:
                raise ServiceUnavailable(
                    f'inferenceservice "{self.name}" in namespace "{self.namespace}" has no '
                    f"ready replica yet: none became ready within {timeout:g}s "
                    f"(spec.predictor.timeout) (kubectl get isvc {self.name} -n "
                    f"{self.namespace}; kubectl get pods -l {c.ISVC_LABEL}={self.name} -n "
                    f"{self.namespace})"
                )
            if not ready:
                self.activator.traffic.activate(key)
            await table.wait_change(*key, min(left, RETRY_REFUSED_SECONDS) if ready else left)
            refused = frozenset()  # after a change or a pause, every replica is worth a try


class Activator:
    """Gives the gateway ready replicas, waiting for the first one if need be."""

    def __init__(self, table: ReplicaTable, traffic: ServingTraffic) -> None:
        self.table = table
        self.traffic = traffic

    def hold(self, namespace: str, name: str) -> Hold:
        return Hold(self, namespace, name)

    async def replicas(self, namespace: str, name: str) -> list[str]:
        """Ready addresses of InferenceService `name`, waiting for one if need be."""
        return await self.hold(namespace, name).replicas()
