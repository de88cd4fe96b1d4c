"""A run's artifacts and metrics, from its workflow's nodes and the pipeline metadata.

Argo steps record each stored output in `outputs.artifacts[].kflow`; KFP v2 tasks
record theirs in the pipeline metadata (type, metadata, digest, where a cached task's
outputs came from). Both become one list of entries: the artifact's name, its
producer (task, node, pod), digest, size, URIs and metadata. Metrics are KFP's
`Metrics` (scalars in the metadata) and `ClassificationMetrics` (confusion matrix,
confidence metrics), and the `mlpipeline-metrics` file of KFP v1 Argo steps.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from kflow.api.argo import contracts as c
from kflow.api.argo.naming import pod_name
from kflow.artifacts import ArtifactStore, StoredArtifact
from kflow.artifacts.digests import size_of
from kflow.pipelines.metadata import Execution, ExecutionState, PipelineMetadata

Obj = dict[str, Any]
LOGS_ARTIFACT = "main-logs"
V1_METRICS = "mlpipeline-metrics"
METRICS_TYPES = ("system.Metrics", "system.ClassificationMetrics")


def pod_nodes(wf: Obj) -> list[Obj]:
    """The workflow's Pod nodes, in the order they started."""
    nodes = (wf.get("status") or {}).get("nodes") or {}
    pods = [n for n in nodes.values() if n.get("type") == c.NodeType.POD.value]
    return sorted(pods, key=lambda n: (str(n.get("startedAt") or ""), str(n.get("name"))))


def _producer(wf: Obj, node: Obj) -> Obj:
    return {
        "task": str(node.get("displayName") or ""),
        "node": str(node.get("id") or ""),
        "nodeName": str(node.get("name") or ""),
        "podName": pod_name(
            str(wf["metadata"]["name"]), str(node.get("name")), str(node.get("templateName") or "")
        ),
        "phase": str(node.get("phase") or ""),
    }


def _argo_entries(wf: Obj, store: ArtifactStore) -> list[Obj]:
    entries: list[Obj] = []
    for node in pod_nodes(wf):
        for art in (node.get("outputs") or {}).get("artifacts") or []:
            record = art.get("kflow")
            if art.get("name") == LOGS_ARTIFACT or not isinstance(record, dict):
                continue
            stored = StoredArtifact.from_json(record)
            local = store.path_of(stored.key)
            entries.append(
                {
                    "name": str(art.get("name")),
                    "producer": _producer(wf, node),
                    "source": "argo",
                    "type": "",
                    "digest": stored.key,
                    "size": stored.size,
                    "directory": stored.directory,
                    "uri": stored.uri or str(local),
                    "localPath": str(local) if local.exists() else "",
                    "podPath": str(art.get("path") or ""),
                    "archive": stored.archive,
                    "metadata": {},
                }
            )
    return entries


def _task_nodes(wf: Obj) -> dict[str, Obj]:
    return {str(n.get("displayName")): n for n in pod_nodes(wf)}


def kfp_entry(execution: Execution, name: str, ref: Obj, origin: Execution | None) -> Obj:
    """One KFP artifact reference (from the pipeline metadata) as a listed artifact."""
    uri = str(ref.get("uri") or "")
    local = Path(uri) if uri and "://" not in uri else None
    schema = ref.get("type") or {}
    return {
        "name": name,
        "producer": {
            "task": execution.task.rsplit("/", 1)[-1],
            "taskPath": execution.task,
            "execution": execution.id,
            "state": execution.state.value,
            "cachedFrom": f"{origin.run_name}/{origin.task}" if origin else "",
            "run": execution.run_name,
        },
        "source": "kfp",
        "type": str(schema.get("schemaTitle") or ""),
        "digest": str(ref.get("digest") or ""),
        "size": size_of(local) if local is not None and local.exists() else None,
        "directory": bool(local is not None and local.is_dir()),
        "uri": str(ref.get("remote_uri") or uri),
        "localPath": str(local) if local is not None and local.exists() else "",
        "metadata": dict(ref.get("metadata") or {}),
    }


def _kfp_entries(wf: Obj, meta: PipelineMetadata | None) -> list[Obj]:
    if meta is None:
        return []
    nodes = _task_nodes(wf)
    entries: list[Obj] = []
    for execution in meta.run_executions(str(wf["metadata"].get("uid") or "")):
        if execution.state is ExecutionState.FAILED:
            continue
        origin = meta.get(execution.cached_from) if execution.cached_from else None
        for name, ref in sorted(execution.output_artifacts().items()):
            entry = kfp_entry(execution, name, ref, origin)
            node = nodes.get(entry["producer"]["task"])
            if node is not None:
                extra = _producer(wf, node)
                entry["producer"].update(node=extra["node"], podName=extra["podName"])
            entries.append(entry)
    return entries


def run_artifacts(wf: Obj, store: ArtifactStore, meta: PipelineMetadata | None) -> list[Obj]:
    """Every artifact the run's steps and tasks produced."""
    return [*_argo_entries(wf, store), *_kfp_entries(wf, meta)]


def _file_bytes(store: ArtifactStore, stored: StoredArtifact) -> bytes:
    """The one file an artifact holds (a metrics file), packed (older records) or not."""
    if stored.packed:
        with tarfile.open(fileobj=io.BytesIO(store.pack(stored)), mode="r:*") as tar:
            member = next(m for m in tar.getmembers() if m.isfile())
            extracted = tar.extractfile(member)
            return extracted.read() if extracted is not None else b""
    path = store.available(stored.key)
    if path.is_dir():
        path = next(p for p in sorted(path.rglob("*")) if p.is_file())
    return path.read_bytes()


def _v1_metrics(entry: Obj, store: ArtifactStore, record: Obj) -> list[Obj]:
    try:
        body = json.loads(_file_bytes(store, StoredArtifact.from_json(record)) or b"{}")
    except (OSError, StopIteration, ValueError, tarfile.TarError) as error:
        return [{**entry, "kind": "error", "message": f"unreadable {V1_METRICS}: {error}"}]
    rows = body.get("metrics") if isinstance(body, dict) else None
    return [
        {
            **entry,
            "kind": "scalar",
            "name": str(row.get("name")),
            "value": row.get("numberValue"),
            "format": str(row.get("format") or "RAW"),
        }
        for row in rows or []
        if isinstance(row, dict)
    ]


def run_metrics(wf: Obj, store: ArtifactStore, meta: PipelineMetadata | None) -> list[Obj]:
    """The run's metrics: KFP v2 Metrics and ClassificationMetrics, KFP v1 mlpipeline-metrics."""
    found: list[Obj] = []
    for node in pod_nodes(wf):
        for art in (node.get("outputs") or {}).get("artifacts") or []:
            if art.get("name") == V1_METRICS and isinstance(art.get("kflow"), dict):
                entry = {"task": str(node.get("displayName")), "artifact": V1_METRICS}
                found += _v1_metrics(entry, store, art["kflow"])
    for artifact in _kfp_entries(wf, meta):
        if artifact["type"] not in METRICS_TYPES:
            continue
        entry = {"task": artifact["producer"]["task"], "artifact": artifact["name"]}
        md = artifact["metadata"]
        if artifact["type"] == "system.ClassificationMetrics":
            found.append({**entry, "kind": "classification", **md})
            continue
        for name, value in sorted(md.items()):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                found.append({**entry, "kind": "scalar", "name": name, "value": value})
    return found
