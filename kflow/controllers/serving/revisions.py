"""Revision records: every component spec an InferenceService runs, kept under its name.

Knative keeps a Revision object per change of a Service's template, and KServe's
canary needs them: during a canary the previous revision's replicas keep running
the previous spec (a replica that dies is replaced from it), and a rollback after a
promotion starts them again. kflow keeps each revision as a ConfigMap named after it
(`digits-predictor-00002`), owned by the InferenceService and labelled like its pods,
holding the component's spec as JSON. A spec change is a new revision, numbered one
past the newest; a change of `canaryTrafficPercent` alone is not (it only moves
traffic, as in KServe, where it is part of the route and not of the template).
Records no revision state or traffic names any more are deleted.
"""

from __future__ import annotations

import contextlib
from typing import Any

import orjson

from kflow.api import meta as m
from kflow.api.errors import AlreadyExists, NotFound
from kflow.api.kserve import contracts as c
from kflow.api.selectors import parse_label_selector
from kflow.controllers.serving.rollout import revision_number
from kflow.store.interface import Store

Obj = dict[str, Any]
SPEC_KEY = "spec.json"
ROUTING_FIELDS = ("canaryTrafficPercent",)
"""Component fields that route traffic and so never make a new revision."""
MAX_NAME_ATTEMPTS = 20
"""How many revision numbers to try past names taken by another owner's records (an
InferenceService deleted and made again before its records were collected)."""


def template(spec: Obj) -> Obj:
    """The part of a component spec that makes a revision: all but the routing fields."""
    return {k: v for k, v in spec.items() if k not in ROUTING_FIELDS}


def _canonical(spec: Obj) -> bytes:
    return orjson.dumps(template(spec), option=orjson.OPT_SORT_KEYS)


class Revisions:
    """Reads and writes the revision records of InferenceServices."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _owned(self, isvc: Obj, record: Obj) -> bool:
        uid = m.meta(isvc).get("uid")
        return any(
            ref.get("controller") and ref.get("uid") == uid
            for ref in m.meta(record).get("ownerReferences") or []
        )

    def records(self, isvc: Obj, component: str) -> dict[str, Obj]:
        """Revision name -> its component spec, for one component of `isvc`."""
        selector = parse_label_selector(
            f"{c.ISVC_LABEL}={m.name_of(isvc)},{c.COMPONENT_LABEL}={component}"
        )
        found: dict[str, Obj] = {}
        for record in self.store.list("configmaps", m.namespace_of(isvc), labels=selector).items:
            if self._owned(isvc, record) and not m.meta(record).get("deletionTimestamp"):
                raw = (record.get("data") or {}).get(SPEC_KEY) or "{}"
                found[m.name_of(record)] = orjson.loads(raw)
        return found

    def ensure(self, isvc: Obj, component: str, spec: Obj) -> tuple[str, dict[str, Obj]]:
        """The revision running `spec` (recorded now if the spec changed), and all records."""
        records = self.records(isvc, component)
        newest = max(records, key=revision_number, default=None)
        if newest is not None and _canonical(records[newest]) == _canonical(spec):
            return newest, records
        number = revision_number(newest) if newest else 0
        for _ in range(MAX_NAME_ATTEMPTS):
            number += 1
            name = c.revision_name(m.name_of(isvc), number, component)
            if self._create(isvc, component, name, spec):
                records[name] = template(spec)
                return name, records
        raise RuntimeError(
            f"no free revision name for {component} of inferenceservice "
            f'"{m.namespace_of(isvc)}/{m.name_of(isvc)}" after {MAX_NAME_ATTEMPTS} tries'
        )

    def _create(self, isvc: Obj, component: str, name: str, spec: Obj) -> bool:
        record: Obj = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": m.namespace_of(isvc),
                "labels": {
                    c.ISVC_LABEL: m.name_of(isvc),
                    c.COMPONENT_LABEL: component,
                    c.REVISION_LABEL: name,
                },
                "ownerReferences": [m.owner_reference(isvc)],
            },
            "data": {SPEC_KEY: _canonical(spec).decode()},
        }
        try:
            self.store.create("configmaps", record)
        except AlreadyExists:
            return False
        return True

    def prune(self, isvc: Obj, component: str, keep: set[str]) -> None:
        """Delete the records of revisions not in `keep`."""
        for name in self.records(isvc, component):
            if name not in keep:
                with contextlib.suppress(NotFound):
                    self.store.delete("configmaps", m.namespace_of(isvc), name)
