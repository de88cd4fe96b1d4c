"""KServe's canary rollout decisions, step by step as KServe's canary example walks them."""

from __future__ import annotations

from dataclasses import replace

from kflow.controllers.serving.rollout import (
    Rollout,
    Target,
    kept,
    latest_ready,
    propagate,
    remembered,
    revision_number,
    settle,
    traffic,
)

R1, R2, R3 = (f"m-predictor-0000{n}" for n in (1, 2, 3))


def _step(state: Rollout, created: str, ready: set[str], canary: int | None, tags: bool = False):
    """One reconcile: the revision of the spec, what is ready, then the settled traffic."""
    state = replace(
        state, latest_created=created, latest_ready=latest_ready(state.latest_ready, created, ready)
    )
    return settle(state, canary, tags)


def test_revision_numbers_and_latest_ready() -> None:
    assert revision_number(R3) == 3
    assert revision_number("no-number") == 0
    assert latest_ready(None, R2, set()) is None
    assert latest_ready(None, R2, {R1, R2}) == R2
    assert latest_ready(R1, R2, set()) == R1  # a pending revision leaves the old one
    assert latest_ready(R2, R2, {R1}) == R2  # a ready revision restarting stays latest
    assert latest_ready(R1, R1, {R2}) == R1  # nothing newer than the latest created


def test_first_revision_takes_everything_and_is_rolled_out() -> None:
    state, targets = _step(Rollout(), R1, set(), None)
    assert targets == []  # nothing ready yet
    state, targets = _step(state, R1, {R1}, None)
    assert targets == [Target(R1, 100, True)]
    assert state == Rollout(R1, R1, R1, None)


def test_canary_split_promotion_and_pinned_rollback() -> None:
    state, _ = _step(Rollout(), R1, {R1}, None)
    # canaryTrafficPercent: 10 with a new model; until R2 is ready R1 has it all
    state, targets = _step(state, R2, {R1}, 10)
    assert targets == [Target(R1, 10, True), Target(R1, 90, False, "prev")]
    assert state.latest_rolledout == R1 and state.latest_ready == R1
    state, targets = _step(state, R2, {R1, R2}, 10)
    assert targets == [Target(R2, 10, True), Target(R1, 90, False, "prev")]
    assert (state.latest_rolledout, state.previous_rolledout) == (R1, None)
    assert kept(state, targets, False) == {R1, R2}
    # pinned to the previous revision: canaryTrafficPercent 0
    state, targets = _step(state, R2, {R1, R2}, 0)
    assert targets == [Target(R2, 0, True), Target(R1, 100, False, "prev")]
    assert kept(state, targets, False) == {R1, R2}  # R2 is the latest created: it stays
    # promoted: canaryTrafficPercent removed
    state, targets = _step(state, R2, {R1, R2}, None)
    assert targets == [Target(R2, 100, True)]
    assert state == Rollout(R2, R2, R2, R1)
    assert kept(state, targets, False) == {R2}
    assert remembered(state, targets) == {R1, R2}


def test_rollback_after_a_full_rollout_goes_back_to_the_previous_revision() -> None:
    state = Rollout(R2, R2, R2, R1)
    state, targets = _step(state, R2, {R2}, 0)
    assert targets == [Target(R2, 0, True), Target(R1, 100, False, "prev")]
    assert state.latest_rolledout == R1
    assert kept(state, targets, False) == {R1, R2}
    # and forward again with a canary share
    state, targets = _step(state, R2, {R1, R2}, 30)
    assert targets == [Target(R2, 30, True), Target(R1, 70, False, "prev")]


def test_canary_100_promotes_like_no_canary() -> None:
    state, _ = _step(Rollout(), R1, {R1}, 100)
    state, targets = _step(state, R2, {R1, R2}, 100)
    assert targets == [Target(R2, 100, True)]
    assert (state.latest_rolledout, state.previous_rolledout) == (R2, R1)


def test_a_revision_that_never_gets_ready_takes_no_traffic() -> None:
    state, _ = _step(Rollout(), R1, {R1}, None)
    for canary in (None, 50):
        moved, targets = _step(state, R2, {R1}, canary)
        assert {t.revision for t in targets} == {R1}
        assert sum(t.percent for t in targets) == 100
        assert moved.latest_rolledout == R1
        assert kept(moved, targets, False) == {R1, R2}


def test_a_canary_on_a_canary_replaces_the_middle_revision() -> None:
    state, _ = _step(Rollout(), R1, {R1}, None)
    state, _ = _step(state, R2, {R1, R2}, 10)
    state, targets = _step(state, R3, {R1, R2}, 10)
    assert targets == [Target(R2, 10, True), Target(R1, 90, False, "prev")]
    assert kept(state, targets, False) == {R1, R2, R3}
    state, targets = _step(state, R3, {R1, R2, R3}, 10)
    assert targets == [Target(R3, 10, True), Target(R1, 90, False, "prev")]
    assert kept(state, targets, False) == {R1, R3}


def test_tag_routing_tags_the_latest_revision_and_keeps_it_at_zero() -> None:
    state, _ = _step(Rollout(), R1, {R1}, None, tags=True)
    state, targets = _step(state, R2, {R1, R2}, 20, tags=True)
    assert targets == [Target(R2, 20, True, "latest"), Target(R1, 80, False, "prev")]
    assert targets[0].to_status() == {
        "revisionName": R2,
        "percent": 20,
        "latestRevision": True,
        "tag": "latest",
    }
    state = replace(state, latest_created=R3)  # a newer spec, not ready: R2 keeps its route
    state, targets = settle(state, 0, True)
    assert targets == [Target(R2, 0, True, "latest"), Target(R1, 100, False, "prev")]
    assert kept(state, targets, True) == {R1, R2, R3}
    assert kept(state, targets, False) == {R1, R3}


def test_status_round_trip() -> None:
    state = Rollout(R2, R2, R1, None)
    assert state.to_status() == {
        "latestCreatedRevision": R2,
        "latestReadyRevision": R2,
        "latestRolledoutRevision": R1,
    }
    assert Rollout.from_status(state.to_status()) == state
    assert propagate(state, []) == state
    assert traffic(Rollout(), 10, True) == []
