"""An InferenceService's status, as KServe writes it, from what the controller observed.

One `Observed` per component (predictor, transformer) says what its revisions are
doing; `inference_service_status` turns them into KServe's status: `url`, `address`,
`components.<component>` (revisions, traffic with the tagged routes' URLs), each
component's ready condition with Knative's reasons (`RevisionMissing` while the
latest revision is not ready yet, `RevisionFailed` when it failed to load), `Ready`
over all of them as Knative's condition sets compute it, and `modelStatus` for the
predictor. A revision that is not ready never takes traffic, so a failed rollout
keeps serving the previous revision while the conditions say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kflow.api import meta as m
from kflow.api.kserve import contracts as c
from kflow.controllers.serving.rollout import Rollout, Target

Obj = dict[str, Any]


@dataclass
class Observed:
    """One component of an InferenceService, as one reconcile found it."""

    component: str  # `predictor` or `transformer`
    rollout: Rollout  # its revisions after this reconcile
    traffic: list[Target]  # the share of requests each revision takes
    wanted: int  # replicas the latest created revision should have
    ready_replicas: int  # of those, how many answer their readiness probe
    serving: bool  # some revision taking traffic has a ready replica
    failed: list[str] = field(default_factory=list)  # latest revision's pods that failed
    failures: dict[str, str] = field(default_factory=dict)  # pod name -> its load error
    retired: list[Obj] = field(default_factory=list)  # pods to delete once status is written
    scaled_to_zero: bool = False  # idle, no replica: the gateway holds requests and wakes it

    @property
    def ready(self) -> bool:
        """Whether the latest created revision is fully ready (Knative's ConfigurationsReady);
        a revision scaled to zero is, as in Knative."""
        return self.scaled_to_zero or (self.wanted > 0 and self.ready_replicas >= self.wanted)

    def failure(self, namespace: str) -> str:
        """Why the latest revision failed, in the server's words or where to look."""
        pod = self.failed[0]
        return self.failures.get(pod) or (
            f"the server exited and is restarting (kflow logs {pod} -n {namespace})"
        )


def _condition(ctype: str, status: str, now: str, reason: str = "", message: str = "") -> Obj:
    cond: Obj = {"type": ctype, "status": status, "lastTransitionTime": now}
    if status != "True":
        cond["reason"] = reason
        cond["message"] = message
    return cond


def component_condition(observed: Observed, name: str, namespace: str, now: str) -> Obj:
    """`PredictorReady` / `TransformerReady`: the latest revision's state, Knative's way."""
    ctype = c.READY_CONDITIONS[observed.component]
    created = observed.rollout.latest_created or ""
    if observed.ready:
        return _condition(ctype, "True", now)
    if observed.failed:
        message = f'Revision "{created}" failed with message: {observed.failure(namespace)}.'
        if observed.serving:
            message += f" Traffic stays on {_serving_revisions(observed)}."
        return _condition(ctype, "False", now, c.REASON_REVISION_FAILED, message)
    configuration = c.component_service_name(name, observed.component)
    message = (
        f'Configuration "{configuration}" is waiting for a Revision to become ready: '
        f"{observed.ready_replicas} of {observed.wanted} replicas of {created} are ready."
    )
    return _condition(ctype, "Unknown", now, c.REASON_REVISION_MISSING, message)


def _serving_revisions(observed: Observed) -> str:
    return ", ".join(sorted({t.revision for t in observed.traffic if t.percent > 0}))


def ready_condition(dependents: list[Obj], now: str) -> Obj:
    """`Ready` from its dependents as a Knative condition set: True when all are, else the
    first False one's reason, else the first Unknown one's."""
    for status in ("False", "Unknown"):
        for cond in dependents:
            if cond["status"] == status:
                return _condition(c.CONDITION_READY, status, now, cond["reason"], cond["message"])
    return _condition(c.CONDITION_READY, "True", now)


def component_status(observed: Observed, gateway_url: str, name: str, namespace: str) -> Obj:
    """`status.components.<component>`: its route, revisions and traffic."""
    route = c.component_service_name(name, observed.component)
    status: Obj = {"url": f"{gateway_url}{c.gateway_path(namespace, route)}"}
    status.update(observed.rollout.to_status())
    if observed.traffic:
        entries = []
        for target in observed.traffic:
            entry = target.to_status()
            if target.tag:
                tagged = c.tag_route_name(target.tag, name, observed.component)
                entry["url"] = f"{gateway_url}{c.gateway_path(namespace, tagged)}"
            entries.append(entry)
        status["traffic"] = entries
    return status


def model_status(predictor: Observed, namespace: str, previous: Obj | None = None) -> Obj:
    """KServe's `modelStatus`: what serves now (`active`) and what is rolling out (`target`).
    At zero, as KServe writes it then: no copies, the target Pending until a request
    comes, the active state as it was."""
    if predictor.scaled_to_zero:
        states = (previous or {}).get("states") or {}
        return {
            "states": {
                "activeModelState": states.get("activeModelState") or "",
                "targetModelState": "Pending",
            },
            "transitionStatus": "InProgress",
            "copies": {"totalCopies": 0, "failedCopies": 0},
        }
    waiting = "FailedToLoad" if predictor.failed else "Pending"
    status: Obj = {
        "states": {
            "activeModelState": "Loaded" if predictor.serving else waiting,
            "targetModelState": "Loaded" if predictor.ready else waiting,
        },
        "transitionStatus": "UpToDate"
        if predictor.ready
        else ("BlockedByFailedLoad" if predictor.failed else "InProgress"),
        "copies": {
            "totalCopies": predictor.ready_replicas,
            "failedCopies": len(predictor.failed),
        },
    }
    if predictor.failed:
        status["lastFailureInfo"] = {
            "location": predictor.failed[0],
            "reason": "ModelLoadFailed",
            "message": predictor.failure(namespace),
            "modelRevisionName": predictor.rollout.latest_created,
        }
    return status


def inference_service_status(
    isvc: Obj, observed: dict[str, Observed], gateway_url: str, now: str
) -> Obj:
    """The whole status, keeping the transition time of conditions that did not change."""
    name, namespace = m.name_of(isvc), m.namespace_of(isvc)
    entry = c.TRANSFORMER if c.TRANSFORMER in observed else c.PREDICTOR
    dependents = [_condition(c.CONDITION_INGRESS_READY, "True", now)]
    dependents += [component_condition(o, name, namespace, now) for o in observed.values()]
    conditions = [*dependents, ready_condition(dependents, now)]
    previous = (isvc.get("status") or {}).get("conditions") or []
    for cond in conditions:
        was = next((x for x in previous if x.get("type") == cond["type"]), None)
        if was and was.get("status") == cond["status"]:
            cond["lastTransitionTime"] = was.get("lastTransitionTime", now)
    service = c.component_service_name(name, entry)
    return {
        "url": f"{gateway_url}{c.gateway_path(namespace, name)}",
        "address": {"url": f"http://{service}.{namespace}.svc.cluster.local"},
        "conditions": conditions,
        "components": {
            component: component_status(o, gateway_url, name, namespace)
            for component, o in observed.items()
        },
        "modelStatus": model_status(
            observed[c.PREDICTOR], namespace, (isvc.get("status") or {}).get("modelStatus")
        ),
        "observedGeneration": int(m.meta(isvc).get("generation") or 1),
    }
