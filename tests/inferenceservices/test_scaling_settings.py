"""KServe's scaling fields and Knative's autoscaling annotations: defaults, parsing, errors."""

from __future__ import annotations

from typing import Any

import pytest

from kflow.api import core, kserve  # noqa: F401  (registers the kinds)
from kflow.api.admission import admit
from kflow.api.errors import Invalid
from kflow.api.kinds import registry
from kflow.api.kserve import contracts as c
from kflow.api.kserve.autoscaling import parse_duration, scaling_settings


def _isvc(predictor: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND,
        "metadata": {"name": "digits", "namespace": "default", "annotations": annotations or {}},
        "spec": {"predictor": {"sklearn": {"storageUri": "/m"}, **predictor}},
    }


def _admit(obj: dict[str, Any]) -> dict[str, Any]:
    return admit(registry.by_resource(c.RESOURCE), obj, None, operation="CREATE", version=c.VERSION)


def test_defaults_are_kserve_and_knative_ones() -> None:
    settings = scaling_settings(_isvc({}))
    assert (settings.min_replicas, settings.max_replicas) == (1, 0)
    assert (settings.metric, settings.target, settings.target_utilization_percentage) == (
        "concurrency",
        100.0,
        70.0,
    )
    assert (settings.window, settings.panic_window) == (60.0, 6.0)
    assert settings.panic_threshold_percentage == 200.0
    assert settings.scale_to_zero_pod_retention_period == 0.0
    assert (settings.initial_scale, settings.timeout) == (1, 60.0)
    assert scaling_settings(_isvc({"scaleMetric": "rps"})).target == 200.0


def test_fields_and_annotations_are_read() -> None:
    settings = scaling_settings(
        _isvc(
            {
                "minReplicas": 0,
                "maxReplicas": 3,
                "scaleMetric": "rps",
                "scaleTarget": 5,
                "timeout": 7,
                # the predictor's annotations win over the InferenceService's
                "annotations": {"autoscaling.knative.dev/window": "8s"},
            },
            {
                "autoscaling.knative.dev/window": "1m",
                "autoscaling.knative.dev/scaleToZeroPodRetentionPeriod": "1m30s",
                "autoscaling.knative.dev/initial-scale": "0",
                "autoscaling.knative.dev/target-utilization-percentage": "100",
            },
        )
    )
    assert (settings.min_replicas, settings.max_replicas, settings.metric) == (0, 3, "rps")
    assert (settings.target_value, settings.timeout, settings.window) == (5.0, 7.0, 8.0)
    assert (settings.scale_to_zero_pod_retention_period, settings.initial_scale) == (90.0, 0)
    # the annotation works where the field is not set, as in KServe's older examples
    assert scaling_settings(_isvc({}, {"autoscaling.knative.dev/target": "3"})).target == 3.0
    assert _admit(_isvc({"minReplicas": 0, "scaleMetric": "concurrency", "scaleTarget": 1}))


def test_go_durations() -> None:
    assert parse_duration("60s") == 60.0
    assert parse_duration("1m30s") == 90.0
    assert parse_duration("1h") == 3600.0
    assert parse_duration("500ms") == 0.5
    assert parse_duration("0") == 0.0
    for bad in ("", "60", "1x", "-5s", "s"):
        with pytest.raises(ValueError):
            parse_duration(bad)


@pytest.mark.parametrize(
    ("predictor", "annotations", "field", "message"),
    [
        (
            {"scaleMetric": "cpu"},
            {},
            "spec.predictor.scaleMetric",
            'Unsupported value: "cpu": [cpu] is not a supported metric; kflow scales like '
            'Knative\'s pod autoscaler, on "concurrency" or "rps"',
        ),
        ({"scaleMetric": "memory"}, {}, "spec.predictor.scaleMetric", "[memory] is not"),
        (
            {"scaleMetric": "rps", "scaleTarget": 0},
            {},
            "spec.predictor.scaleTarget",
            "Invalid value: 0: the target for rps should be greater than 1",
        ),
        ({"timeout": 0}, {}, "spec.predictor.timeout", "must be greater than 0"),
        (
            {},
            {"autoscaling.knative.dev/window": "3s"},
            "metadata.annotations[autoscaling.knative.dev/window]",
            'Invalid value: "3s": expected a duration such as 60s, 6s <= value <= 3600s',
        ),
        (
            {},
            {"autoscaling.knative.dev/scale-to-zero-pod-retention-period": "soon"},
            "metadata.annotations[autoscaling.knative.dev/scale-to-zero-pod-retention-period]",
            'Invalid value: "soon": expected a duration such as 60s, 0s <= value',
        ),
        (
            {},
            {"autoscaling.knative.dev/panicThresholdPercentage": "50"},
            "metadata.annotations[autoscaling.knative.dev/panicThresholdPercentage]",
            'Invalid value: "50": expected a number, 110 <= value <= 1000',
        ),
    ],
)
def test_bad_scaling_is_refused_naming_the_field(
    predictor: dict[str, Any], annotations: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(Invalid) as caught:
        _admit(_isvc(predictor, annotations))
    causes = {cause.field: cause.message for cause in caught.value.causes}
    assert field in causes, causes
    assert message in causes[field]
