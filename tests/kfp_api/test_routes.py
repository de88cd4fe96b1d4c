"""The KFP routes in process (an ASGI client, memory stores): KFP's RBAC verbs and
resources reach kflow's authorizer, a denial is KFP's PermissionDenied, the custom
verbs after `:` dispatch, and the Kubernetes routes still answer beside them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kflow.api import (
    argo,  # noqa: F401  (registers the Workflow kind)
    core,  # noqa: F401  (registers the core kinds)
)
from kflow.server.app import create_app
from kflow.server.identity import Identity, LocalAuthenticator
from kflow.server.kfp.backend import KfpBackend
from kflow.server.kfp.platform import KfpPlatform
from kflow.store.memory import MemoryStore
from kflow.store.memory_kfp_records import MemoryKfpRecords
from tests.support import RecordingAuthorizer

pytestmark = pytest.mark.anyio
ALICE = Identity("alice", ("system:authenticated",))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def app_parts() -> AsyncIterator[tuple[httpx.AsyncClient, RecordingAuthorizer, KfpPlatform]]:
    store = MemoryStore()
    store.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubeflow"}}
    )
    platform = KfpPlatform(KfpBackend(store, MemoryKfpRecords()))
    platform.experiments.default()
    recorder = RecordingAuthorizer("create runs.pipelines.kubeflow.org")
    app = create_app(
        store=store, authenticator=LocalAuthenticator(ALICE), authorizer=recorder, kfp=platform
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kflow") as client:
        yield client, recorder, platform
    store.close()


async def test_kfp_verbs_reach_the_authorizer_and_denials_are_permission_denied(
    app_parts: tuple[httpx.AsyncClient, RecordingAuthorizer, KfpPlatform],
) -> None:
    client, recorder, _ = app_parts
    created = await client.post(
        "/apis/v2beta1/experiments", json={"display_name": "e", "namespace": "kubeflow"}
    )
    assert created.status_code == 200
    experiment_id = created.json()["experiment_id"]
    assert ("create", "experiments.pipelines.kubeflow.org", "kubeflow", "") in recorder.asked
    archived = await client.post(f"/apis/v2beta1/experiments/{experiment_id}:archive")
    assert archived.status_code == 200 and archived.json() == {}
    assert ("archive", "experiments.pipelines.kubeflow.org", "kubeflow", "e") in recorder.asked
    assert (await client.get(f"/apis/v2beta1/experiments/{experiment_id}")).json()[
        "storage_state"
    ] == "ARCHIVED"
    denied = await client.post(
        "/apis/v2beta1/runs", json={"display_name": "r", "experiment_id": experiment_id}
    )
    body: dict[str, Any] = denied.json()
    assert denied.status_code == 403 and body["code"] == 7
    assert 'cannot create resource "runs" in API group "pipelines.kubeflow.org"' in body["message"]


async def test_custom_verbs_dispatch_and_kubernetes_routes_still_answer(
    app_parts: tuple[httpx.AsyncClient, RecordingAuthorizer, KfpPlatform],
) -> None:
    client, _, platform = app_parts
    default_id = platform.experiments.default()["experiment_id"]
    wrong_method = await client.get(f"/apis/v2beta1/experiments/{default_id}:archive")
    assert wrong_method.status_code == 404 and wrong_method.json()["code"] == 5
    unknown_verb = await client.post(f"/apis/v2beta1/experiments/{default_id}:explode")
    assert unknown_verb.status_code == 404
    listed = await client.get("/apis/v2beta1/experiments", params={"filter": '{"predicates": []}'})
    assert [e["display_name"] for e in listed.json()["experiments"]] == ["Default"]
    namespaces = await client.get("/api/v1/namespaces")
    assert namespaces.status_code == 200 and namespaces.json()["kind"] == "NamespaceList"


async def test_lists_by_experiment_are_authorized_in_the_experiments_namespace(
    app_parts: tuple[httpx.AsyncClient, RecordingAuthorizer, KfpPlatform],
) -> None:
    client, recorder, _ = app_parts
    created = await client.post(
        "/apis/v2beta1/experiments", json={"display_name": "e", "namespace": "kubeflow"}
    )
    experiment_id = created.json()["experiment_id"]
    for path, resource in (("runs", "runs"), ("recurringruns", "jobs")):
        qualified = f"{resource}.pipelines.kubeflow.org"
        recorder.asked.clear()
        by_experiment = await client.get(
            f"/apis/v2beta1/{path}", params={"experiment_id": experiment_id, "namespace": "x"}
        )
        assert by_experiment.status_code == 200
        assert recorder.asked == [("list", qualified, "kubeflow", "")]
        recorder.asked.clear()
        by_namespace = await client.get(f"/apis/v2beta1/{path}", params={"namespace": "team-a"})
        assert by_namespace.status_code == 200 and by_namespace.json() == {}
        assert recorder.asked == [("list", qualified, "team-a", "")]
