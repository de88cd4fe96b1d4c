"""An artifact's lineage: the task that made it, that task's inputs, and theirs, recursively.

An artifact is named by its digest or by a URI of the store (`.../sha256/<ab>/<hex>`,
local or in the artifact repository). Its producer is the first execution that wrote
that content — a KFP task from the pipeline metadata, or an Argo step from the
namespace's workflows — with the parameters and input artifacts it read; later
producers of the same content (other runs, cache hits) are listed beside it without
their own history. Only runs of the namespace asked about are shown. The walk stops
at a depth limit and at cycles.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.errors import BadRequest
from kflow.artifacts.digests import hex_of
from kflow.pipelines.metadata import Execution, ExecutionState, PipelineMetadata
from kflow.server.rundata.artifacts import LOGS_ARTIFACT, pod_nodes
from kflow.server.rundata.resolve import KFP_RUN_LABEL
from kflow.store.interface import Store

Obj = dict[str, Any]
MAX_DEPTH = 32


def digest_of(text: str) -> str:
    """`sha256:<hex>` from a digest or a stored artifact's URI; BadRequest otherwise."""
    text = text.strip()
    try:
        if text.startswith("sha256:"):
            return f"sha256:{hex_of(text)}"
        parts = text.removeprefix("file://").rstrip("/").split("/")
        for i in range(len(parts) - 2):
            if parts[i] == "sha256" and parts[i + 2][:2] == parts[i + 1]:
                return f"sha256:{hex_of('sha256:' + parts[i + 2])}"
    except ValueError:
        pass
    raise BadRequest(
        f'artifact "{text}": expected a digest (sha256:<64 hex digits>) or the URI of a stored '
        "artifact (.../blobs/sha256/<ab>/<digest>)"
    )


class Lineage:
    """Lineage lookups within one namespace."""

    def __init__(self, store: Store, namespace: str, meta: PipelineMetadata | None) -> None:
        self.namespace = namespace
        self.meta = meta
        self.workflows = store.list(c.WORKFLOWS, namespace).items
        self._uids = {str(m.meta(w).get("uid")) for w in self.workflows}

    def _visible(self, execution: Execution) -> bool:
        if execution.namespace:
            return execution.namespace == self.namespace
        return execution.run in self._uids  # recorded before executions had a namespace

    def _kfp(self, digest: str) -> Iterator[Obj]:
        if self.meta is None:
            return
        for e in self.meta.producers(digest):
            if not self._visible(e) or e.state is ExecutionState.FAILED:
                continue
            origin = self.meta.get(e.cached_from) if e.cached_from else None
            inputs = [
                {"name": name, "digest": str(ref.get("digest") or ""), "uri": str(ref.get("uri"))}
                for name, refs in sorted(e.input_artifacts().items())
                for ref in refs
            ]
            yield {
                "source": "kfp",
                "run": {"name": e.run_name, "namespace": self.namespace, "uid": e.run},
                "task": e.task,
                "execution": e.id,
                "state": e.state.value,
                "cachedFrom": f"{origin.run_name}/{origin.task}" if origin else "",
                "created": e.created,
                "parameters": dict(e.inputs.get("parameters") or {}),
                "inputs": inputs,
            }

    def _argo(self, digest: str) -> Iterator[Obj]:
        for wf in self.workflows:
            for node in pod_nodes(wf):
                made = [
                    a
                    for a in (node.get("outputs") or {}).get("artifacts") or []
                    if a.get("name") != LOGS_ARTIFACT
                    and (a.get("kflow") or {}).get("key") == digest
                ]
                if not made:
                    continue
                declared = node.get("inputs") or {}
                yield {
                    "source": "argo",
                    "run": {
                        "name": m.name_of(wf),
                        "namespace": self.namespace,
                        "uid": str(m.meta(wf).get("uid") or ""),
                        "kfpRunId": m.labels_of(wf).get(KFP_RUN_LABEL, ""),
                    },
                    "task": str(node.get("displayName") or ""),
                    "node": str(node.get("id") or ""),
                    "state": str(node.get("phase") or ""),
                    "created": str(node.get("startedAt") or ""),
                    "artifact": str(made[0].get("name")),
                    "parameters": {
                        str(p.get("name")): p.get("value") for p in declared.get("parameters") or []
                    },
                    "inputs": [
                        {"name": str(a.get("name")), "digest": str(a["kflow"]["key"])}
                        for a in declared.get("artifacts") or []
                        if isinstance(a.get("kflow"), dict) and a["kflow"].get("key")
                    ],
                }

    def of(self, digest: str, *, depth: int = 0, path: frozenset[str] = frozenset()) -> Obj:
        """The lineage tree of the artifact with `digest`."""
        node: Obj = {"digest": digest, "producer": None, "alsoProducedBy": []}
        if depth >= MAX_DEPTH or digest in path:
            node["truncated"] = True
            return node
        kfp = list(self._kfp(digest))
        made = [p for p in kfp if p["state"] == ExecutionState.SUCCEEDED.value] or kfp
        producers = made + [p for p in kfp if p not in made] + list(self._argo(digest))
        if not producers:
            return node
        first, *others = producers
        for given in first["inputs"]:
            if given["digest"]:
                given["lineage"] = self.of(given["digest"], depth=depth + 1, path=path | {digest})
        node["producer"] = first
        node["alsoProducedBy"] = [
            {"source": p["source"], "run": p["run"], "task": p["task"], "state": p["state"]}
            for p in others
        ]
        return node
