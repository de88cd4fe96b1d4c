"""The autoscaler as a pure function of time, and the meter it reads.

Time is passed in: a test walks a clock forward instead of sleeping.
"""

from __future__ import annotations

import dataclasses

import pytest

from kflow.api.kserve.autoscaling import ScalingSettings, scaling_settings
from kflow.controllers.serving.autoscaler import Observed, ScalerState, decide
from kflow.controllers.serving.scaling import ReplicaScaler
from kflow.controllers.serving.traffic import Meter, ServingTraffic


def _settings(**changes: object) -> ScalingSettings:
    base = scaling_settings({"spec": {"predictor": {}}})
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _seen(stable: float, panic: float | None = None, **counts: int) -> Observed:
    fields = {"in_flight": 0, "ready": 1, "current": 1} | counts
    return Observed(stable, stable if panic is None else panic, **fields)


OLD = ScalerState(started=-1000.0)
"""A revision the autoscaler has watched for longer than any window."""


def test_desired_replicas_is_observed_over_target_at_the_utilization() -> None:
    # Knative's defaults: 100 concurrent requests per replica at 70%
    default = _settings()
    assert default.target_value == pytest.approx(70.0)
    assert decide(default, _seen(70.0), OLD, 0).replicas == 1
    assert decide(default, _seen(71.0), OLD, 0).replicas == 2
    exact = _settings(target=10.0, target_utilization_percentage=100.0)
    assert decide(exact, _seen(35.0, ready=4, current=4), OLD, 0).replicas == 4


def test_bounds_and_the_scale_down_rate() -> None:
    settings = _settings(target=1.0, target_utilization_percentage=100.0, max_replicas=3)
    assert decide(settings, _seen(9.0, ready=3, current=3), OLD, 0).replicas == 3
    unbounded = dataclasses.replace(settings, max_replicas=0, min_replicas=2)
    # at most half of the ready replicas go in one decision
    assert decide(unbounded, _seen(0.0, ready=8, current=8), OLD, 0).replicas == 4
    assert decide(unbounded, _seen(0.0, ready=3, current=3), OLD, 0).replicas == 2


def test_panic_mode_scales_up_at_once_and_holds_for_a_stable_window() -> None:
    settings = _settings(target=1.0, target_utilization_percentage=100.0, window=60.0)
    # a burst: the panic window sees 4 in flight, the stable window hardly anything yet
    burst = decide(settings, _seen(0.5, panic=4.0), OLD, 0.0)
    assert burst.panicking and burst.replicas == 4
    # the burst is over: panic mode keeps the count while a stable window passes
    quiet = _seen(0.5, panic=0.0, ready=4, current=4)
    held = decide(settings, quiet, burst.state, 30.0)
    assert held.panicking and held.replicas == 4
    calm = decide(settings, quiet, held.state, 61.0)
    assert not calm.panicking and calm.replicas == 2  # halved at most: the scale-down rate
    # below the threshold (200% of the ready replicas) there is no panic
    steady = decide(settings, _seen(3.0, panic=3.0, ready=2, current=2), OLD, 0.0)
    assert not steady.panicking and steady.replicas == 3


def test_scale_to_zero_after_a_quiet_stable_window_and_the_retention_period() -> None:
    settings = _settings(min_replicas=0, window=6.0, scale_to_zero_pod_retention_period=10.0)
    first = decide(settings, _seen(0.0), OLD, 100.0)
    assert first.replicas == 1  # zero is wanted, but the last replica is retained
    assert decide(settings, _seen(0.0), first.state, 109.0).replicas == 1
    assert decide(settings, _seen(0.0), first.state, 110.0).replicas == 0
    # any request in the stable window keeps a replica
    assert decide(settings, _seen(0.01), first.state, 110.0).replicas == 1
    # minReplicas 1 (KServe's default) never goes to zero
    assert decide(_settings(window=6.0), _seen(0.0), OLD, 100.0).replicas == 1


def test_a_held_request_asks_for_a_replica_of_a_service_at_zero() -> None:
    settings = _settings(min_replicas=0, window=6.0)
    at_zero = _seen(0.0, ready=0, current=0)
    assert decide(settings, at_zero, OLD, 0.0).replicas == 0
    held = dataclasses.replace(at_zero, in_flight=3)
    assert decide(settings, held, OLD, 0.0).replicas == 1


def test_a_new_revision_starts_at_initial_scale_and_waits_a_window_to_scale_down() -> None:
    settings = _settings(min_replicas=0, window=6.0, initial_scale=2)
    fresh = ScalerState(started=0.0)
    assert decide(settings, _seen(0.0, ready=0, current=0), fresh, 0.0).replicas == 2
    assert decide(settings, _seen(0.0, ready=2, current=2), fresh, 5.9).replicas == 2
    assert decide(settings, _seen(0.0, ready=2, current=2), fresh, 6.0).replicas == 1
    none = _settings(min_replicas=0, window=6.0, initial_scale=0)
    assert decide(none, _seen(0.0, ready=0, current=0), fresh, 0.0).replicas == 0


def test_the_meter_averages_concurrency_over_time_and_counts_arrivals() -> None:
    meter = Meter(now=0.0)
    meter.begin(0.5)
    meter.begin(1.0)
    meter.end(2.5)  # one request in flight 0.5..2.5, another 1.0..4.0
    meter.end(4.0)
    meter.begin(9.0)
    concurrency, rps = meter.averages(10.0, window=10.0)
    assert concurrency == pytest.approx((2.0 + 3.0 + 1.0) / 10.0)
    assert rps == pytest.approx(3 / 10.0)
    assert meter.in_flight == 1
    # a window shorter than the meter's life looks at the recent past only
    recent, _ = meter.averages(10.0, window=2.0)
    assert recent == pytest.approx(1.0 / 2.0)
    # a request in flight for a long time counts at every second of it
    long = Meter(now=0.0)
    long.begin(0.0)
    assert long.averages(100.0, window=60.0)[0] == pytest.approx(1.0)


def test_traffic_tells_its_listeners_when_a_request_waits() -> None:
    clock = [5.0]
    traffic = ServingTraffic(clock=lambda: clock[0])
    woken: list[tuple[str, str]] = []
    traffic.on_activate(woken.append)
    traffic.begin(("ml", "digits", "predictor"))
    traffic.activate(("ml", "digits", "predictor"))
    assert woken == [("ml", "digits", "predictor")]
    assert traffic.meter(("ml", "digits", "predictor")).in_flight == 1
    clock[0] = 6.0
    traffic.end(("ml", "digits", "predictor"))
    assert traffic.meter(("ml", "digits", "predictor")).averages(6.0, 60.0)[0] == pytest.approx(1.0)


def test_the_controller_side_scales_on_requests_per_second_from_the_meter() -> None:
    clock = [0.0]
    traffic = ServingTraffic(clock=lambda: clock[0])
    scaler = ReplicaScaler(traffic)
    isvc = {
        "metadata": {
            "name": "digits",
            "namespace": "ml",
            "annotations": {
                "autoscaling.knative.dev/window": "6s",
                "autoscaling.knative.dev/target-utilization-percentage": "100",
            },
        },
        "spec": {"predictor": {"scaleMetric": "rps", "scaleTarget": 2, "minReplicas": 0}},
    }
    revision = "digits-predictor-00001"
    assert scaler.replicas(isvc, "predictor", revision, current=0, ready=0) == 1  # initial scale
    assert (
        scaler.replicas(isvc, "predictor", revision, current=1, ready=1) == 1
    )  # ready: windows start
    for tick in range(60):  # ten quick requests a second for six seconds
        clock[0] = tick / 10 + 0.05
        traffic.begin(("ml", "digits", "predictor"))
        traffic.end(("ml", "digits", "predictor"))
    clock[0] = 6.0
    assert (
        scaler.replicas(isvc, "predictor", revision, current=1, ready=1) == 5
    )  # 10 rps / 2 per replica
    clock[0] = 13.0  # a quiet stable window later: half at most, then zero
    assert scaler.replicas(isvc, "predictor", revision, current=5, ready=5) == 2
    clock[0] = 20.0
    assert scaler.replicas(isvc, "predictor", revision, current=1, ready=1) == 0
