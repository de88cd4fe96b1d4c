"""How an InferenceService scales: KServe's fields and Knative's annotations, in one table.

KServe (serverless mode) hands scaling to Knative's pod autoscaler (KPA):
`minReplicas`/`maxReplicas` bound the replica count, `scaleMetric` (`concurrency` or
`rps`) and `scaleTarget` say what one replica should carry, and the revision's
`autoscaling.knative.dev/*` annotations — taken from the InferenceService's metadata
or the predictor's — tune the windows. The defaults are Knative's
`config-autoscaler`. `scaling_settings` reads them into one typed value for the
controller and the gateway; `validate_scaling` gives admission KServe's and
Knative's errors, with the field they are about.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from kflow.api.errors import Cause

Obj = dict[str, Any]

PREFIX = "autoscaling.knative.dev/"
METRICS = ("concurrency", "rps")
"""What the KPA scales on. KServe's `cpu` and `memory` need the HPA, which kflow lacks."""
DEFAULT_TARGETS = {"concurrency": 100.0, "rps": 200.0}
"""Knative's `container-concurrency-target-default` and `requests-per-second-target-default`."""
DEFAULT_MIN_REPLICAS = 1
"""KServe's default `minReplicas`; 0 asks for scale to zero."""
DEFAULT_TIMEOUT_SECONDS = 60
"""How long a request may wait (for a replica too) when `spec.predictor.timeout` is unset."""
MAX_SCALE_UP_RATE = 1000.0
MAX_SCALE_DOWN_RATE = 2.0
"""Knative's `max-scale-up-rate` and `max-scale-down-rate`: per decision, at most 1000x
more replicas, and at least half of the ready ones kept."""


@dataclasses.dataclass(frozen=True)
class Knob:
    """One per-revision annotation: its key (and Knative's older camelCase key), default,
    and bounds."""

    key: str
    old_key: str
    default: float
    low: float
    high: float
    duration: bool = False  # a Go duration ("60s", "1m30s"), else a number


KNOBS = {
    "window": Knob("window", "window", 60.0, 6.0, 3600.0, duration=True),
    "panic_window_percentage": Knob(
        "panic-window-percentage", "panicWindowPercentage", 10.0, 1.0, 100.0
    ),
    "panic_threshold_percentage": Knob(
        "panic-threshold-percentage", "panicThresholdPercentage", 200.0, 110.0, 1000.0
    ),
    "target_utilization_percentage": Knob(
        "target-utilization-percentage", "targetUtilizationPercentage", 70.0, 1.0, 100.0
    ),
    "scale_to_zero_pod_retention_period": Knob(
        "scale-to-zero-pod-retention-period",
        "scaleToZeroPodRetentionPeriod",
        0.0,
        0.0,
        math.inf,
        duration=True,
    ),
    "initial_scale": Knob("initial-scale", "initialScale", 1.0, 0.0, math.inf),
}
"""Knative's annotations kflow honours, by setting name (`autoscaling.knative.dev/<key>`)."""


@dataclasses.dataclass(frozen=True)
class ScalingSettings:
    """Everything the autoscaler and the gateway need to know about one InferenceService."""

    min_replicas: int
    max_replicas: int  # 0: no limit (Knative's max-scale 0)
    metric: str  # "concurrency" or "rps"
    target: float  # per replica, before utilization
    target_utilization_percentage: float
    window: float  # the stable window, seconds
    panic_window_percentage: float
    panic_threshold_percentage: float
    scale_to_zero_pod_retention_period: float  # seconds
    initial_scale: int
    timeout: float  # seconds a request may take, waiting for a replica included

    @property
    def target_value(self) -> float:
        """What one replica should carry: the target at the utilization wanted."""
        return self.target * self.target_utilization_percentage / 100.0

    @property
    def panic_window(self) -> float:
        """A share of the stable window, never shorter than the meters' 1 s buckets."""
        return max(self.window * self.panic_window_percentage / 100.0, 1.0)


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (`60s`, `1m30s`, `500ms`, `0`); ValueError if it is not one."""
    text = text.strip()
    if text == "0":
        return 0.0
    if not text or _DURATION.sub("", text):
        raise ValueError(text)
    return sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))


def _annotations(isvc: Obj, component: str = "predictor") -> dict[str, str]:
    spec = (isvc.get("spec") or {}).get(component) or {}
    merged = dict((isvc.get("metadata") or {}).get("annotations") or {})
    merged.update(spec.get("annotations") or {})  # the component's own win
    return {str(k): str(v) for k, v in merged.items()}


def _knob(annotations: dict[str, str], knob: Knob) -> tuple[str, float]:
    """(the annotation found, its value); ValueError for a bad value."""
    for key in (PREFIX + knob.key, PREFIX + knob.old_key):
        if key in annotations:
            raw = annotations[key]
            try:
                value = parse_duration(raw) if knob.duration else float(raw)
            except ValueError:
                raise ValueError(raw) from None
            if not knob.low <= value <= knob.high or math.isnan(value):
                raise ValueError(raw)
            return key, value
    return PREFIX + knob.key, knob.default


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def validate_scaling(isvc: Obj) -> list[Cause]:
    """What is wrong with an InferenceService's scaling fields and annotations."""
    causes: list[Cause] = []
    predictor = (isvc.get("spec") or {}).get("predictor")
    if not isinstance(predictor, dict):
        return causes
    metric = predictor.get("scaleMetric")
    if metric is not None and metric not in METRICS:
        causes.append(
            Cause(
                "spec.predictor.scaleMetric",
                f'Unsupported value: "{metric}": [{metric}] is not a supported metric; kflow '
                "scales like Knative's pod autoscaler, on "
                + " or ".join(f'"{m}"' for m in METRICS),
                "FieldValueNotSupported",
            )
        )
    target = _int(predictor.get("scaleTarget"))
    if target is not None and target < 1:
        what = "rps" if metric == "rps" else "concurrency"
        causes.append(
            Cause(
                "spec.predictor.scaleTarget",
                f"Invalid value: {target}: the target for {what} should be greater than 1",
            )
        )
    timeout = _int(predictor.get("timeout"))
    if timeout is not None and timeout < 1:
        causes.append(
            Cause("spec.predictor.timeout", f"Invalid value: {timeout}: must be greater than 0")
        )
    annotations = _annotations(isvc)
    for knob in KNOBS.values():
        try:
            _knob(annotations, knob)
        except ValueError as exc:
            key = next(k for k in (PREFIX + knob.key, PREFIX + knob.old_key) if k in annotations)
            high = "" if math.isinf(knob.high) else f" <= {_shown(knob.high, knob)}"
            kind = "a duration such as 60s" if knob.duration else "a number"
            causes.append(
                Cause(
                    f"metadata.annotations[{key}]",
                    f'Invalid value: "{exc}": expected {kind}, '
                    f"{_shown(knob.low, knob)} <= value{high}",
                )
            )
    return causes


def _shown(value: float, knob: Knob) -> str:
    return f"{value:g}s" if knob.duration else f"{value:g}"


def scaling_settings(isvc: Obj, component: str = "predictor") -> ScalingSettings:
    """How one component (`predictor`, `transformer`) of the InferenceService scales,
    defaults filled in; a bad annotation (admission rejects them) falls back to its
    default."""
    predictor = (isvc.get("spec") or {}).get(component) or {}
    annotations = _annotations(isvc, component)
    values: dict[str, float] = {}
    for name, knob in KNOBS.items():
        try:
            values[name] = _knob(annotations, knob)[1]
        except ValueError:
            values[name] = knob.default
    metric = predictor.get("scaleMetric") or annotations.get(PREFIX + "metric") or "concurrency"
    metric = metric if metric in METRICS else "concurrency"
    target = _int(predictor.get("scaleTarget"))
    if target is None:
        try:
            target = int(float(annotations[PREFIX + "target"]))
        except (KeyError, ValueError):
            target = None
    low = _int(predictor.get("minReplicas"))
    return ScalingSettings(
        min_replicas=max(DEFAULT_MIN_REPLICAS if low is None else low, 0),
        max_replicas=max(_int(predictor.get("maxReplicas")) or 0, 0),
        metric=metric,
        target=float(target) if target and target > 0 else DEFAULT_TARGETS[metric],
        target_utilization_percentage=values["target_utilization_percentage"],
        window=values["window"],
        panic_window_percentage=values["panic_window_percentage"],
        panic_threshold_percentage=values["panic_threshold_percentage"],
        scale_to_zero_pod_retention_period=values["scale_to_zero_pod_retention_period"],
        initial_scale=int(values["initial_scale"]),
        timeout=float(_int(predictor.get("timeout")) or DEFAULT_TIMEOUT_SECONDS),
    )
