"""A run's archived step logs: each Pod node's `main-logs` artifact.

The workflow controller keeps every step's main log in the artifact store when the
step ends, so it outlives the pod (`podGC`, a deadline, a deleted pod). These are
what `kflow logs workflow/NAME` prints for steps whose pods are gone.
"""

from __future__ import annotations

from typing import Any

from kflow.api.argo.naming import pod_name
from kflow.artifacts import ArtifactStore, StoredArtifact
from kflow.server.rundata.artifacts import LOGS_ARTIFACT, pod_nodes
from kflow.server.rundata.resolve import Obj


def archived_logs(wf: Obj, store: ArtifactStore, node: str | None = None) -> list[Obj]:
    """The archived main log of each step (or of the one `node` names: id, name or display
    name), oldest step first."""
    found: list[Obj] = []
    for n in pod_nodes(wf):
        if node is not None and node not in (n.get("id"), n.get("name"), n.get("displayName")):
            continue
        logs = next(
            (
                a
                for a in (n.get("outputs") or {}).get("artifacts") or []
                if a.get("name") == LOGS_ARTIFACT and isinstance(a.get("kflow"), dict)
            ),
            None,
        )
        if logs is None:
            continue
        stored = StoredArtifact.from_json(logs["kflow"])
        try:
            text = store.read_bytes(stored.key).decode(errors="replace")
        except FileNotFoundError:
            continue
        entry: dict[str, Any] = {
            "node": str(n.get("id")),
            "nodeName": str(n.get("name")),
            "task": str(n.get("displayName")),
            "podName": pod_name(
                str(wf["metadata"]["name"]), str(n.get("name")), str(n.get("templateName") or "")
            ),
            "phase": str(n.get("phase") or ""),
            "startedAt": n.get("startedAt"),
            "digest": stored.key,
            "text": text,
        }
        found.append(entry)
    return found
