"""The InferenceService controller's autoscaling: meters in, a replica count out.

`ReplicaScaler.replicas` is called by each reconcile (every couple of seconds, which
is Knative's autoscaler tick, and at once when the gateway holds a request for a
service at zero). It reads the InferenceService's scaling settings, averages its
meter over the stable and panic windows, and asks the pure `autoscaler.decide` for
the count, keeping the autoscaler's state per revision. `scaled_to_zero_status` is
the status KServe writes while there is no replica: the service stays Ready (the
gateway holds requests and starts one), no model copy is loaded, and the target
state is Pending until a request arrives.
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

    def replicas(self, isvc: Obj, revision: str, current: int, ready: int) -> int:
        """How many replicas of `revision` should run now."""
        key = (m.namespace_of(isvc), m.name_of(isvc))
        settings = scaling_settings(isvc)
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

    def requeue_after(self, key: Key, pending: float) -> float:
        """How soon to look again at a service whose replicas are not all ready."""
        return WAITING_PERIOD_SECONDS if self.traffic.meter(key).in_flight else pending

    def panicking(self, key: Key) -> bool:
        tracked = self._tracked.get(key)
        return bool(tracked and tracked.last and tracked.last.panicking)

    def forget(self, key: Key) -> None:
        self._tracked.pop(key, None)
        self.traffic.forget(key)


def scaled_to_zero_status(status: Obj, previous: Obj, revision: str) -> Obj:
    """`status` as KServe shows a service with no replica: Ready as it was (True for a
    revision that never ran), the latest revision taking the traffic, no copies."""
    was = {x.get("type"): x for x in previous.get("conditions") or []}
    for cond in status.get("conditions") or []:
        before = was.get(cond["type"]) or {"status": "True"}
        cond["status"] = before.get("status", "True")
        cond["lastTransitionTime"] = before.get("lastTransitionTime", cond["lastTransitionTime"])
        for field in ("reason", "message"):
            cond.pop(field, None)
            if before.get(field):
                cond[field] = before[field]
    component = status.setdefault("components", {}).setdefault(c.PREDICTOR, {})
    if not component.get("latestReadyRevision"):
        component["latestReadyRevision"] = revision
        component["latestRolledoutRevision"] = revision
        component["traffic"] = [{"revisionName": revision, "percent": 100, "latestRevision": True}]
    states = ((previous.get("modelStatus") or {}).get("states")) or {}
    status["modelStatus"] = {
        "states": {
            "activeModelState": states.get("activeModelState") or "",
            "targetModelState": "Pending",
        },
        "transitionStatus": "InProgress",
        "copies": {"totalCopies": 0, "failedCopies": 0},
    }
    return status
