"""The REST view of trials' observation logs, through the app as the dashboard and CLI
reach it: reads, pushes, filters, errors, and the authorizer's questions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import kflow.api.katib  # noqa: F401  (registers the Trial kind)
from kflow.api.katib.observations import Observation
from kflow.server.app import create_app
from kflow.server.identity import Identity, LocalAuthenticator
from kflow.store.memory import MemoryStore
from kflow.store.memory_observations import MemoryObservationLog
from tests.support import FakeRuntime, RecordingAuthorizer, create_namespace

pytestmark = pytest.mark.anyio

URL = "/apis/kubeflow.org/v1beta1/namespaces/team-a/trials/{}/observationlog"
BOB = Identity("bob", ("team-a",))


def trial(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Trial",
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": {},
    }


@pytest.fixture
def katib_store() -> Iterator[MemoryStore]:
    store = MemoryStore()
    create_namespace(store, "team-a")
    store.create("trials.kubeflow.org", trial("t1"))
    yield store
    store.close()


@pytest.fixture
def observations() -> MemoryObservationLog:
    return MemoryObservationLog()


@pytest.fixture
def authorizer() -> RecordingAuthorizer:
    return RecordingAuthorizer()


@pytest.fixture
async def client(
    katib_store: MemoryStore, observations: MemoryObservationLog, authorizer: RecordingAuthorizer
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        store=katib_store,
        runtime=FakeRuntime(),
        authenticator=LocalAuthenticator(BOB),
        authorizer=authorizer,
        observations=observations,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kflow") as c:
        yield c


async def test_read_with_filters(
    client: httpx.AsyncClient, observations: MemoryObservationLog, authorizer: RecordingAuthorizer
) -> None:
    observations.append(
        "team-a",
        "t1",
        [
            Observation("loss", "0.9", "2026-11-25T10:00:00Z", 0),
            Observation("accuracy", "0.5", "2026-11-25T10:00:01Z"),
            Observation("loss", "0.4", "2026-11-25T10:00:02.5Z", 1),
        ],
    )
    response = await client.get(URL.format("t1"))
    assert response.status_code == 200
    assert response.json() == {
        "metricLogs": [
            {
                "timeStamp": "2026-11-25T10:00:00Z",
                "metric": {"name": "loss", "value": "0.9"},
                "step": 0,
            },
            {"timeStamp": "2026-11-25T10:00:01Z", "metric": {"name": "accuracy", "value": "0.5"}},
            {
                "timeStamp": "2026-11-25T10:00:02.5Z",
                "metric": {"name": "loss", "value": "0.4"},
                "step": 1,
            },
        ]
    }
    assert authorizer.asked == [("get", "trials.kubeflow.org", "team-a", "t1")]
    response = await client.get(
        URL.format("t1"),
        params={"metricName": "loss", "startTime": "2026-11-25T11:00:01+01:00"},
    )
    assert [m["metric"]["value"] for m in response.json()["metricLogs"]] == ["0.4"]
    response = await client.get(URL.format("t1"), params={"endTime": "2026-11-25T10:00:01Z"})
    assert len(response.json()["metricLogs"]) == 2


async def test_push_then_read(
    client: httpx.AsyncClient, observations: MemoryObservationLog, authorizer: RecordingAuthorizer
) -> None:
    body = {
        "metricLogs": [
            {
                "timeStamp": "2026-11-25T10:00:00Z",
                "metric": {"name": "accuracy", "value": 0.75},
                "step": 3,
            },
            {"metric": {"name": "loss", "value": "0.5"}},
        ]
    }
    response = await client.post(URL.format("t1"), json=body)
    assert response.status_code == 201, response.text
    assert authorizer.asked == [("update", "trials.kubeflow.org/status", "team-a", "t1")]
    rows = observations.read("team-a", "t1")
    assert rows[0] == Observation("accuracy", "0.75", "2026-11-25T10:00:00Z", 3)
    assert rows[1].metric == "loss" and rows[1].timestamp.endswith("Z")
    response = await client.get(URL.format("t1"))
    assert [m["metric"]["name"] for m in response.json()["metricLogs"]] == ["accuracy", "loss"]


async def test_unknown_trials_are_404(
    client: httpx.AsyncClient, observations: MemoryObservationLog
) -> None:
    response = await client.get(URL.format("nope"))
    assert response.status_code == 404
    assert response.json()["kind"] == "Status"
    assert 'trials.kubeflow.org "nope" not found' in response.json()["message"]
    push = await client.post(URL.format("nope"), json={"metricLogs": []})
    assert push.status_code == 404
    # a deleted trial's rows stay readable while the log holds them
    observations.append("team-a", "gone", [Observation("m", "1", "2026-11-25T10:00:00Z")])
    assert (await client.get(URL.format("gone"))).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"logs": []}, 'an object with a "metricLogs" list'),
        ({"metricLogs": [{"metric": {"value": "1"}}]}, "metricLogs[0].metric.name: required"),
        ({"metricLogs": [{"metric": {"name": "a", "value": True}}]}, "metricLogs[0].metric.value"),
        (
            {"metricLogs": [{"metric": {"name": "a", "value": 1}, "timeStamp": "noon"}]},
            'metricLogs[0].timeStamp: "noon" is not an RFC 3339 time',
        ),
        (
            {"metricLogs": [{"metric": {"name": "a", "value": 1}, "step": "3"}]},
            "metricLogs[0].step",
        ),
    ],
)
async def test_bad_pushes_say_what_is_wrong(
    client: httpx.AsyncClient, observations: MemoryObservationLog, body: Any, message: str
) -> None:
    response = await client.post(URL.format("t1"), json=body)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert observations.read("team-a", "t1") == []


async def test_bad_times_and_methods(client: httpx.AsyncClient) -> None:
    response = await client.get(URL.format("t1"), params={"startTime": "soon"})
    assert response.status_code == 400
    assert 'startTime "soon" is not an RFC 3339 time' in response.json()["message"]
    assert (await client.delete(URL.format("t1"))).status_code == 405


async def test_the_authorizer_decides(
    katib_store: MemoryStore, observations: MemoryObservationLog
) -> None:
    app = create_app(
        store=katib_store,
        runtime=FakeRuntime(),
        authenticator=LocalAuthenticator(BOB),
        authorizer=RecordingAuthorizer(
            "get trials.kubeflow.org", "update trials.kubeflow.org/status"
        ),
        observations=observations,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kflow"
    ) as denied:
        response = await denied.get(URL.format("t1"))
        assert response.status_code == 403
        assert "bob" in response.json()["message"]
        push = await denied.post(URL.format("t1"), json={"metricLogs": []})
        assert push.status_code == 403
    assert observations.trials_named("t1") == []


async def test_without_a_log_the_path_is_the_resource_routes(katib_store: MemoryStore) -> None:
    app = create_app(store=katib_store, runtime=FakeRuntime())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kflow"
    ) as plain:
        assert (await plain.get(URL.format("t1"))).status_code == 404
