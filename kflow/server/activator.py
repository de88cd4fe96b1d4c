"""Holding requests for an InferenceService that has no ready replica (Knative's activator).

A service scaled to zero, or still starting, has no replica to send a request to.
Rather than fail it, the gateway holds it: it pokes the autoscaler (`activate`, so
the controller starts a replica now instead of at its next tick) and waits for the
replica table to show a ready address. Every request that arrives meanwhile waits on
the same wake-up and all go on together. A request waits at most the predictor's
`timeout` (KServe's `spec.predictor.timeout`, 60 s unless set); then it gets a 503
that says why and what to look at.
"""

from __future__ import annotations

from kflow.api.errors import ServiceUnavailable
from kflow.api.kserve import contracts as c
from kflow.api.kserve.autoscaling import scaling_settings
from kflow.controllers.serving.traffic import ServingTraffic
from kflow.server.replica_table import ReplicaTable


class Activator:
    """Gives the gateway ready replicas, waiting for the first one if need be."""

    def __init__(self, table: ReplicaTable, traffic: ServingTraffic) -> None:
        self.table = table
        self.traffic = traffic

    async def replicas(self, namespace: str, name: str) -> list[str]:
        """Ready addresses of InferenceService `name`; ServiceUnavailable if none comes."""
        ready = self.table.ready(namespace, name)
        if ready:
            return ready
        timeout = scaling_settings(self.table.service(namespace, name) or {}).timeout
        self.traffic.activate((namespace, name))
        ready = await self.table.wait_ready(namespace, name, timeout)
        if ready:
            return ready
        raise ServiceUnavailable(
            f'inferenceservice "{name}" in namespace "{namespace}" has no ready replica yet: '
            f"none became ready within {timeout:g}s (spec.predictor.timeout) "
            f"(kubectl get isvc {name} -n {namespace}; kubectl get pods -l "
            f"{c.ISVC_LABEL}={name} -n {namespace})"
        )
