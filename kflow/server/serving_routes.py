"""What `/serving/<namespace>/<route>/...` names: an InferenceService, a component, a tag.

Knative gives an InferenceService's parts hosts of their own: `<name>.<ns>.<domain>`
enters at the transformer when there is one, else at the predictor;
`<name>-predictor.<ns>.<domain>` reaches the predictor directly (a transformer's
hop uses it); and a tagged revision has `<tag>-<name>-predictor.<ns>.<domain>`
(`latest-` with `serving.kserve.io/enable-tag-routing: "true"`, `prev-` while a
canary splits traffic). kflow's gateway takes the first label of those hosts as the
route in its path. An InferenceService whose own name matches wins over a component
or tag route of another (Knative's hosts would collide the same way).

`Route.weights` reads the share each revision takes from the status the controller
wrote (`status.components.<component>.traffic`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kflow.api.kserve import contracts as c

_COMPONENT_ROUTE = re.compile(
    rf"^(?:({c.LATEST_TAG}|{c.PREV_TAG})-)?(.+)-({'|'.join(c.COMPONENTS)})$"
)


@dataclass(frozen=True)
class Route:
    """Where a request goes: one component of one InferenceService, maybe one tag."""

    name: str  # the InferenceService
    component: str  # `predictor` or `transformer`
    tag: str | None = None  # `latest` / `prev`: only the revision with that tag

    def weights(self, isvc: Mapping[str, Any]) -> dict[str, int] | None:
        """Revision -> percent of requests, from the status; None when the status has no
        traffic yet (any ready replica will do). A tag the traffic lacks is an error."""
        components = (isvc.get("status") or {}).get("components") or {}
        status = components.get(self.component) if isinstance(components, dict) else None
        traffic = (status or {}).get("traffic") if isinstance(status, dict) else None
        if not isinstance(traffic, list):
            if self.tag:
                raise UnknownTag(self)
            return None
        weights: dict[str, int] = {}
        for target in traffic:
            if not isinstance(target, dict) or not target.get("revisionName"):
                continue
            revision = str(target["revisionName"])
            if self.tag:
                if target.get("tag") == self.tag:
                    return {revision: 100}
                continue
            weights[revision] = weights.get(revision, 0) + int(target.get("percent") or 0)
        if self.tag:
            raise UnknownTag(self)
        return weights


class UnknownTag(LookupError):
    """The route names a tag that no revision of the component has."""

    def __init__(self, route: Route) -> None:
        hint = (
            f'; annotate the InferenceService {c.TAG_ROUTING_ANNOTATION}: "true"'
            if route.tag == c.LATEST_TAG
            else "; it exists while canaryTrafficPercent splits traffic"
        )
        super().__init__(
            f'inferenceservice "{route.name}" has no revision tagged "{route.tag}" '
            f"on its {route.component}{hint}"
        )


def entry_component(isvc: Mapping[str, Any]) -> str:
    """The component a request to the InferenceService itself reaches first."""
    transformer = (isvc.get("spec") or {}).get(c.TRANSFORMER)
    return (
        c.TRANSFORMER
        if isinstance(transformer, dict) and transformer.get("containers")
        else c.PREDICTOR
    )


def parse_component_route(segment: str) -> Route | None:
    """`latest-digits-predictor` -> Route("digits", "predictor", "latest"); None if the
    segment is not shaped like a component or tag route."""
    found = _COMPONENT_ROUTE.match(segment)
    if not found or not found.group(2):
        return None
    return Route(found.group(2), found.group(3), found.group(1))
