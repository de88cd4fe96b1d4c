"""The replica count an InferenceService wants: Knative's pod autoscaler (KPA), as a function.

One decision is `decide(settings, observed, state, now)`: no clock, no store, no
I/O, so tests drive time by passing `now`. It follows Knative's KPA:

- desired = ceil(observed / target) for the metric averaged over the **stable
  window** (60 s by default) and over the **panic window** (10% of it);
- a decision moves at most `MAX_SCALE_UP_RATE` times up and keeps at least
  1 / `MAX_SCALE_DOWN_RATE` of the ready replicas;
- **panic mode** starts when the panic-window count reaches the panic threshold
  (200%) of the ready replicas: while it lasts (until a stable window passes
  without reaching it again) the count follows the panic window and never goes down;
- **scale to zero** happens only with `minReplicas: 0`, once no request was in flight
  for a whole stable window, and after the last replica's
  `scale-to-zero-pod-retention-period`; a request waiting for a replica (the
  gateway holds it) always asks for at least one;
- a new revision starts at `initial-scale` and is not scaled down before the
  autoscaler has watched it for a stable window (the caller starts that window when
  the revision's first replica is ready);
- the result is kept within [minReplicas, maxReplicas].
"""

from __future__ import annotations

import dataclasses
import math

from kflow.api.kserve.autoscaling import MAX_SCALE_DOWN_RATE, MAX_SCALE_UP_RATE, ScalingSettings


@dataclasses.dataclass(frozen=True)
class Observed:
    """What the gateway and the controller saw at the moment of a decision."""

    stable: float  # the metric averaged over the stable window
    panic: float  # the metric averaged over the panic window
    in_flight: int  # requests in flight now (held ones included)
    ready: int  # ready replicas of the current revision
    current: int  # replicas of the current revision, ready or not


@dataclasses.dataclass(frozen=True)
class ScalerState:
    """What the autoscaler remembers between decisions for one revision."""

    started: float  # when the autoscaler first looked at this revision
    panic_since: float | None = None  # when panic mode was last (re)entered
    max_panic: int = 0  # the most replicas panic mode has asked for
    zero_since: float | None = None  # when scaling to zero was first wanted


@dataclasses.dataclass(frozen=True)
class Decision:
    replicas: int
    state: ScalerState
    panicking: bool


def decide(
    settings: ScalingSettings, observed: Observed, state: ScalerState, now: float
) -> Decision:
    """The replica count to converge to, and the state to pass to the next decision."""
    target = max(settings.target_value, 1e-9)
    ready = max(observed.ready, 1)
    max_up = math.ceil(MAX_SCALE_UP_RATE * ready)
    max_down = math.floor(ready / MAX_SCALE_DOWN_RATE) if observed.ready else 0
    stable_count = math.ceil(observed.stable / target)
    panic_count = math.ceil(observed.panic / target)
    want_stable = min(max(stable_count, max_down), max_up)
    want_panic = min(max(panic_count, max_down), max_up)

    over_threshold = panic_count / ready >= settings.panic_threshold_percentage / 100.0
    panic_since, max_panic = state.panic_since, state.max_panic
    if over_threshold:
        panic_since = now
    elif panic_since is not None and now - panic_since > settings.window:
        panic_since, max_panic = None, 0
    desired = want_stable
    if panic_since is not None:
        max_panic = max(max_panic, want_panic)
        desired = max_panic

    if observed.in_flight:  # a held request needs somewhere to go
        desired = max(desired, 1)
    if now - state.started < settings.window:  # too little seen to scale down yet
        desired = max(desired, observed.current, settings.initial_scale)
    desired = max(desired, settings.min_replicas)

    zero_since = state.zero_since
    if desired == 0 and observed.current:
        zero_since = now if zero_since is None else zero_since
        if now - zero_since < settings.scale_to_zero_pod_retention_period:
            desired = 1
    elif desired:
        zero_since = None
    if settings.max_replicas:
        desired = min(desired, settings.max_replicas)
    return Decision(
        desired,
        dataclasses.replace(
            state, panic_since=panic_since, max_panic=max_panic, zero_since=zero_since
        ),
        panic_since is not None,
    )
