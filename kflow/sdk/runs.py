"""What a run left behind, from the server's run-data routes (`kflow.server.rundata`).

A run is a workflow name or a KFP run id. These are what `kflow describe run`,
`kflow get artifacts --run`, `kflow lineage` and `kflow logs workflow/NAME` (for
steps whose pods are gone) read; the JSON is the server's, unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from kflow.sdk.client import Client

Obj = dict[str, Any]
API = "/apis/runs.kflow.dev/v1"


def _prefix(client: Client, namespace: str | None) -> str:
    return f"{API}/namespaces/{quote(namespace or client.namespace, safe='')}"


def _run(client: Client, run: str, namespace: str | None, what: str = "") -> str:
    path = f"{_prefix(client, namespace)}/runs/{quote(run, safe='')}"
    return f"{path}/{what}" if what else path


def run_details(client: Client, run: str, *, namespace: str | None = None) -> Obj:
    """The run, its tasks (phase, pod, cached-from), artifacts and metrics."""
    body: Obj = client.call("GET", _run(client, run, namespace))
    return body


def run_artifacts(client: Client, run: str, *, namespace: str | None = None) -> list[Obj]:
    """The run's artifacts: producer, digest, size, URIs, type and metadata."""
    return list(client.call("GET", _run(client, run, namespace, "artifacts"))["items"])


def run_metrics(client: Client, run: str, *, namespace: str | None = None) -> list[Obj]:
    """The run's metrics (KFP Metrics, ClassificationMetrics, KFP v1 mlpipeline-metrics)."""
    return list(client.call("GET", _run(client, run, namespace, "metrics"))["items"])


def archived_logs(
    client: Client, run: str, *, namespace: str | None = None, node: str | None = None
) -> list[Obj]:
    """Each step's archived main log (`text`), with its task, node and pod names."""
    params = {"node": node} if node else None
    body = client.call("GET", _run(client, run, namespace, "logs"), params=params)
    return list(body["items"])


def lineage(client: Client, artifact: str, *, namespace: str | None = None) -> Obj:
    """The lineage tree of an artifact (a digest or a stored artifact's URI)."""
    body = client.call(
        "GET", f"{_prefix(client, namespace)}/lineage", params={"artifact": artifact}
    )
    return dict(body["artifact"])
