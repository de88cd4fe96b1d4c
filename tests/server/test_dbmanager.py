"""The DB manager on a real port, driven by the real Katib SDK: `report_metrics` pushes,
`KatibClient.get_trial_metrics` reads; and its message tables against Katib's own
generated descriptors (`katib_api_pb2`), so a field number cannot drift."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from kubeflow.katib import KatibClient, katib_api_pb2, report_metrics
from kubeflow.katib.utils import utils as katib_utils
from kubernetes import client as k8s_client

from kflow.api.katib.observations import Observation
from kflow.server import dbmanager
from kflow.server.dbmanager import DBManager, store_resolver
from kflow.server.protobuf import Schema
from kflow.store.memory import MemoryStore
from kflow.store.memory_observations import MemoryObservationLog
from kflow.store.observations import ObservationLog
from tests.support import create_namespace


class Running:
    """A DBManager served from an event loop on its own thread."""

    def __init__(self, service: DBManager) -> None:
        self.service = service
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = self.call(service.start("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.port}"

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def close(self) -> None:
        self.call(self.service.stop(0))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture
def observations() -> ObservationLog:
    return MemoryObservationLog()


@pytest.fixture
def reports() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def server(observations: ObservationLog, reports: list[tuple[str, str]]) -> Iterator[Running]:
    running = Running(DBManager(observations, on_report=lambda ns, t: reports.append((ns, t))))
    yield running
    running.close()


@pytest.fixture
def in_trial(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a trial's container sees: its namespace and KATIB_TRIAL_NAME."""
    monkeypatch.setattr(katib_utils, "get_current_k8s_namespace", lambda: "team-a")
    monkeypatch.setenv("KATIB_TRIAL_NAME", "random-abc123")


def katib_client() -> KatibClient:
    return KatibClient(client_configuration=k8s_client.Configuration(), namespace="team-a")


def test_report_metrics_then_get_trial_metrics(
    server: Running, observations: ObservationLog, reports: list[tuple[str, str]], in_trial: None
) -> None:
    observations.append("team-a", "random-abc123", [])  # the controller registers its trial
    report_metrics({"accuracy": 0.75, "loss": "0.5"}, db_manager_address=server.address)
    report_metrics({"accuracy": 0.875}, db_manager_address=server.address)

    rows = observations.read("team-a", "random-abc123")
    assert [(o.metric, o.value) for o in rows] == [
        ("accuracy", "0.75"),
        ("loss", "0.5"),
        ("accuracy", "0.875"),
    ]
    assert all(o.timestamp.endswith("Z") for o in rows)
    assert reports == [("team-a", "random-abc123")] * 2

    logs = katib_client().get_trial_metrics("random-abc123", db_manager_address=server.address)
    assert [(m.metric.name, m.metric.value) for m in logs] == [
        ("accuracy", "0.75"),
        ("loss", "0.5"),
        ("accuracy", "0.875"),
    ]
    assert logs[0].time_stamp == rows[0].timestamp


def test_unknown_trials_are_not_found(server: Running, in_trial: None) -> None:
    with pytest.raises(RuntimeError, match='trial "random-abc123" not found in any namespace'):
        report_metrics({"accuracy": 0.5}, db_manager_address=server.address)
    with pytest.raises(RuntimeError, match="NOT_FOUND"):
        katib_client().get_trial_metrics("nope", db_manager_address=server.address)


def test_trials_resolve_through_the_object_store(
    observations: ObservationLog, in_trial: None
) -> None:
    import kflow.api.katib  # noqa: F401  (registers the Trial kind)

    store = MemoryStore()
    create_namespace(store, "team-a")
    store.create(
        "trials.kubeflow.org",
        {
            "apiVersion": "kubeflow.org/v1beta1",
            "kind": "Trial",
            "metadata": {"name": "random-abc123", "namespace": "team-a"},
            "spec": {},
        },
    )
    running = Running(DBManager(observations, resolve=store_resolver(store)))
    try:
        report_metrics({"accuracy": 0.5}, db_manager_address=running.address)
        assert [o.value for o in observations.read("team-a", "random-abc123")] == ["0.5"]
    finally:
        running.close()
        store.close()


def stub(address: str) -> tuple[grpc.Channel, Any]:
    from kubeflow.katib import katib_api_pb2_grpc

    channel = grpc.insecure_channel(address)
    return channel, katib_api_pb2_grpc.DBManagerStub(channel)


def metric_log(stamp: str, name: str, value: str) -> Any:
    return katib_api_pb2.MetricLog(
        time_stamp=stamp, metric=katib_api_pb2.Metric(name=name, value=value)
    )


def test_katibs_rules_for_times_filters_and_delete(
    server: Running, observations: ObservationLog
) -> None:
    observations.append("ns", "t", [])
    channel, db = stub(server.address)
    with channel:
        db.ReportObservationLog(
            katib_api_pb2.ReportObservationLogRequest(
                trial_name="t",
                observation_log=katib_api_pb2.ObservationLog(
                    metric_logs=[
                        metric_log("2026-11-25T10:00:05+01:00", "loss", "0.3"),
                        metric_log("", "loss", "skipped: no time"),
                        metric_log("2026-11-25T09:00:01.5Z", "loss", "0.9"),
                        metric_log("2026-11-25T09:00:02Z", "accuracy", "0.6"),
                    ]
                ),
            )
        )
        reply = db.GetObservationLog(katib_api_pb2.GetObservationLogRequest(trial_name="t"))
        assert [(m.time_stamp, m.metric.value) for m in reply.observation_log.metric_logs] == [
            ("2026-11-25T09:00:01.5Z", "0.9"),  # ordered by time, as Katib's SQL does
            ("2026-11-25T09:00:02Z", "0.6"),
            ("2026-11-25T09:00:05Z", "0.3"),
        ]
        reply = db.GetObservationLog(
            katib_api_pb2.GetObservationLogRequest(
                trial_name="t", metric_name="loss", start_time="2026-11-25T09:00:02Z"
            )
        )
        assert [m.metric.value for m in reply.observation_log.metric_logs] == ["0.3"]

        with pytest.raises(grpc.RpcError) as bad:
            db.ReportObservationLog(
                katib_api_pb2.ReportObservationLogRequest(
                    trial_name="t",
                    observation_log=katib_api_pb2.ObservationLog(
                        metric_logs=[metric_log("yesterday", "loss", "1")]
                    ),
                )
            )
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert 'metric_logs[0].time_stamp "yesterday" is not an RFC 3339 time' in str(
            bad.value.details()
        )

        db.DeleteObservationLog(katib_api_pb2.DeleteObservationLogRequest(trial_name="t"))
        assert observations.read("ns", "t") == []
        assert observations.trials_named("t") == []


def test_a_name_in_two_namespaces_is_ambiguous(
    server: Running, observations: ObservationLog
) -> None:
    observations.append("a", "t", [Observation("m", "1", "2026-11-25T10:00:00Z")])
    observations.append("b", "t", [])
    channel, db = stub(server.address)
    with channel, pytest.raises(grpc.RpcError) as err:
        db.GetObservationLog(katib_api_pb2.GetObservationLogRequest(trial_name="t"))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "exists in namespaces a, b" in str(err.value.details())


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("ReportObservationLogRequest", dbmanager.REPORT_REQUEST),
        ("GetObservationLogRequest", dbmanager.GET_REQUEST),
        ("GetObservationLogReply", dbmanager.GET_REPLY),
        ("DeleteObservationLogRequest", dbmanager.DELETE_REQUEST),
        ("ReportObservationLogReply", dbmanager.EMPTY),
        ("DeleteObservationLogReply", dbmanager.EMPTY),
    ],
)
def test_tables_match_katibs_descriptors(name: str, schema: Schema) -> None:
    def check(descriptor: Any, table: Schema) -> None:
        assert {f.number: f.name for f in descriptor.fields} == {
            n: entry[0] for n, entry in table.items()
        }
        for field in descriptor.fields:
            _, kind, repeated = table[field.number]
            # protobuf 6 deprecates `label` for `is_repeated`; 4.x has only `label`
            is_repeated = (
                field.is_repeated
                if hasattr(type(field), "is_repeated")
                else field.label == field.LABEL_REPEATED
            )
            assert repeated == is_repeated
            if field.message_type is not None:
                assert isinstance(kind, dict)
                check(field.message_type, kind)
            else:
                assert kind == "string" and field.type == field.TYPE_STRING

    descriptor = katib_api_pb2.DESCRIPTOR.message_types_by_name[name]
    check(descriptor, schema)
    service = katib_api_pb2.DESCRIPTOR.services_by_name["DBManager"]
    assert service.full_name == dbmanager.SERVICE
    assert {m.name for m in service.methods} == {
        "ReportObservationLog",
        "GetObservationLog",
        "DeleteObservationLog",
    }
