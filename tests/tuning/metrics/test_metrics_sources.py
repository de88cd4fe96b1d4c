"""The Prometheus parser on expositions `prometheus_client` renders, and the dispatcher
from an Experiment's `metricsCollectorSpec` to what the controller reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from kflow.api.katib.models import MetricsCollectorSpec, ObjectiveSpec
from kflow.tuning.metrics import (
    DEFAULT_FILTER,
    HttpEndpoint,
    SourceKind,
    collector_source,
    parse_prometheus,
)
from kflow.tuning.metrics.prometheus import parse_selector

NOW = dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=dt.timezone.utc)
LATER = NOW + dt.timedelta(seconds=5)
OBJECTIVE = {"objectiveMetricName": "accuracy", "additionalMetricNames": ["loss", "accuracy"]}


def test_scrapes_record_changes_only() -> None:
    registry = CollectorRegistry()
    accuracy = Gauge("accuracy", "validation accuracy", registry=registry)
    loss = Gauge("loss", "training loss", ["split"], registry=registry)
    steps = Counter("steps", "optimizer steps", registry=registry)
    accuracy.set(float("nan"))
    loss.labels("train").set(0.5)
    loss.labels("test").set(0.75)
    steps.inc(3)
    names = ["accuracy", 'loss{split="test"}', "steps_total"]

    first = parse_prometheus(generate_latest(registry).decode(), metric_names=names, now=NOW)
    assert [(o.metric, o.value, o.timestamp) for o in first.observations] == [
        ('loss{split="test"}', "0.75", "2026-11-25T10:00:00Z"),
        ("steps_total", "3", "2026-11-25T10:00:00Z"),
    ]

    accuracy.set(0.9)
    steps.inc()
    second = parse_prometheus(
        generate_latest(registry).decode(), metric_names=names, now=LATER, cursor=first.cursor
    )
    assert [(o.metric, o.value, o.timestamp) for o in second.observations] == [
        ("accuracy", "0.9", "2026-11-25T10:00:05Z"),
        ("steps_total", "4", "2026-11-25T10:00:05Z"),
    ]
    unchanged = parse_prometheus(
        generate_latest(registry).decode(), metric_names=names, now=LATER, cursor=second.cursor
    )
    assert unchanged.observations == []


def test_sample_timestamps_and_bad_bodies() -> None:
    body = "# TYPE accuracy gauge\naccuracy 0.5 1764064800250\n"
    collected = parse_prometheus(body, metric_names=["accuracy"], now=NOW)
    assert [(o.value, o.timestamp) for o in collected.observations] == [
        ("0.5", "2025-11-25T10:00:00.25Z")
    ]
    bad = parse_prometheus("accuracy{ 0.5\n", metric_names=["accuracy"], now=NOW)
    assert bad.observations == []
    assert bad.problems and "not a Prometheus text exposition" in bad.problems[0]
    odd = parse_prometheus(body, metric_names=["val-accuracy", "accuracy"], now=NOW)
    assert [o.metric for o in odd.observations] == ["accuracy"]
    assert odd.problems == [
        "'val-accuracy' is not a Prometheus metric name or name{label=\"value\"}"
    ]


def test_selectors() -> None:
    assert parse_selector('acc{split="test", k="a\\"b"}') == ("acc", {"split": "test", "k": 'a"b'})
    assert parse_selector("acc") == ("acc", {})
    with pytest.raises(ValueError, match="label matchers"):
        parse_selector("acc{split=test}")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, {"kind": SourceKind.STDOUT, "filters": ()}),
        (
            {
                "collector": {"kind": "StdOut"},
                "source": {"filter": {"metricsFormat": [DEFAULT_FILTER]}},
            },
            {"kind": SourceKind.STDOUT, "filters": (DEFAULT_FILTER,)},
        ),
        (
            {
                "collector": {"kind": "File"},
                "source": {
                    "fileSystemPath": {"path": "/tmp/m.json", "kind": "File", "format": "JSON"}
                },
            },
            {"kind": SourceKind.FILE, "path": "/tmp/m.json", "format": "JSON"},
        ),
        (
            {"collector": {"kind": "File"}},
            {"kind": SourceKind.FILE, "path": "/var/log/katib/metrics.log", "format": "TEXT"},
        ),
        (
            {
                "collector": {"kind": "TensorFlowEvent"},
                "source": {"fileSystemPath": {"path": "/logs", "kind": "Directory"}},
            },
            {"kind": SourceKind.TFEVENT, "path": "/logs"},
        ),
        (
            {
                "collector": {"kind": "PrometheusMetric"},
                "source": {"httpGet": {"port": 9090, "scheme": "HTTP"}},
            },
            {"kind": SourceKind.PROMETHEUS, "http": HttpEndpoint(port=9090, path="/metrics")},
        ),
        ({"collector": {"kind": "Push"}}, {"kind": SourceKind.PUSH, "reads": False}),
        ({"collector": {"kind": "None"}}, {"kind": SourceKind.NONE, "reads": False}),
        ({"collector": {"kind": "Custom"}}, {"kind": SourceKind.CUSTOM, "reads": False}),
    ],
)
def test_collector_source(spec: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    source = collector_source(spec, OBJECTIVE)
    assert source.metric_names == ("accuracy", "loss")
    assert source.objective == "accuracy"
    for name, value in expected.items():
        assert getattr(source, name) == value


def test_collector_source_takes_models_and_parses_chunks() -> None:
    spec = MetricsCollectorSpec.model_validate(
        {
            "collector": {"kind": "File"},
            "source": {"fileSystemPath": {"path": "/m", "format": "JSON"}},
        }
    )
    source = collector_source(spec, ObjectiveSpec.model_validate(OBJECTIVE))
    parsed = source.parse_chunk(b'{"accuracy": "0.5"}\n', now=NOW)
    assert [o.value for o in parsed.observations] == ["0.5"]
    text = collector_source(None, OBJECTIVE).parse_chunk(b"loss=1\naccuracy=2", now=NOW, final=True)
    assert [o.value for o in text.observations] == ["1", "2"]
    with pytest.raises(ValueError, match="not a byte stream"):
        collector_source({"collector": {"kind": "Push"}}, OBJECTIVE).parse_chunk(b"", now=NOW)


def test_collector_source_errors_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"collector\.kind: unsupported value 'Sidecar'"):
        collector_source({"collector": {"kind": "Sidecar"}}, OBJECTIVE)
    with pytest.raises(ValueError, match=r"fileSystemPath\.format: unsupported value 'YAML'"):
        collector_source(
            {"collector": {"kind": "File"}, "source": {"fileSystemPath": {"format": "YAML"}}},
            OBJECTIVE,
        )
    with pytest.raises(ValueError, match=r"metricsFormat\[0\]"):
        collector_source({"source": {"filter": {"metricsFormat": ["(x)"]}}}, OBJECTIVE)
