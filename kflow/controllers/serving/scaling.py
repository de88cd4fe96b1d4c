"""The InferenceService controller's autoscaling: meters in, a replica count out.

`ReplicaScaler.replicas` is called by each reconcile (every couple of seconds, which
is Knative's autoscaler tick, and at once when the gateway holds a request for a
service at zero). It reads the InferenceService's scaling settings, averages its
meter over the stable and panic windows, and asks the pure `autoscaler.decide` for
the count, keeping the autoscaler's state per revision. Each component (predictor,
transformer) scales on its own meter: the gateway counts a request where it enters
the component, so a transformer's hop to its predictor is the predictor's load.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kflow.api import meta as m
from kflow.api.kserve import contracts as c
from kflow.api.kserve.autoscaling import scaling_settings
from kflow.controllers.serving.autoscaler import Decision, Observed, ScalerState, decide
from kflow.controllers.serving.traffic import Key, ServingTraffic

Obj = dict[str, Any]
WAITING_PERIOD_SECONDS = 0.05
"""How soon an InferenceService is looked at again while requests wait for its first
replica: readiness is noticed within this long of the server answering."""


@dataclasses.dataclass
class _Tracked:
    revision: str
    state: ScalerState
    last: Decision | None = None
    ever_ready: bool = False  # a replica of the revision has been ready


class ReplicaScaler:
    """Decides each InferenceService's replica count from the gateway's meters."""

    def __init__(self, traffic: ServingTraffic) -> None:
        self.traffic = traffic
        self._tracked: dict[Key, _Tracked] = {}

    def replicas(self, isvc: Obj, component: str, revision: str, current: int, ready: int) -> int:
        """How many replicas of a component's `revision` should run now."""
        key = (m.namespace_of(isvc), m.name_of(isvc), component)
        settings = scaling_settings(isvc, component)
        now = self.traffic.clock()
        tracked = self._tracked.get(key)
        if tracked is None or tracked.revision != revision:
            tracked = self._tracked[key] = _Tracked(revision, ScalerState(started=now))
        if not tracked.ever_ready:
            # as in Knative, a revision is not scaled down before it has been ready: its
            # windows start when its first replica is
            tracked.ever_ready = ready > 0
            tracked.state = dataclasses.replace(tracked.state, started=now)
        meter = self.traffic.meter(key)
        stable = meter.averages(now, settings.window)
        panic = meter.averages(now, settings.panic_window)
        pick = 0 if settings.metric == "concurrency" else 1
        observed = Observed(stable[pick], panic[pick], meter.in_flight, ready, current)
        decision = decide(settings, observed, tracked.state, now)
        tracked.state, tracked.last = decision.state, decision
        return decision.replicas

    def requeue_after(self, namespace: str, name: str, pending: float) -> float:
        """How soon to look again at a service whose replicas are not all ready."""
        waiting = any(
            self.traffic.meter((namespace, name, component)).in_flight for component in c.COMPONENTS
        )
        return WAITING_PERIOD_SECONDS if waiting else pending

    def forget(self, namespace: str, name: str) -> None:
        """The InferenceService is gone."""
        for component in c.COMPONENTS:
            self._tracked.pop((namespace, name, component), None)
            self.traffic.forget((namespace, name, component))
