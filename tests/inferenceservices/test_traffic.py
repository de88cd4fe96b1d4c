"""The gateway's routing decisions alone: route names, shares from the status, the picker."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from kflow.server.serving_routes import Route, UnknownTag, entry_component, parse_component_route
from kflow.server.traffic import RevisionPicker


def test_component_and_tag_routes_are_parsed_like_knative_hosts() -> None:
    assert parse_component_route("digits") is None
    assert parse_component_route("digits-predictor") == Route("digits", "predictor")
    assert parse_component_route("latest-digits-predictor") == Route(
        "digits", "predictor", "latest"
    )
    assert parse_component_route("prev-my-model-transformer") == Route(
        "my-model", "transformer", "prev"
    )
    assert parse_component_route("-predictor") is None
    assert parse_component_route("latest-predictor") == Route("latest", "predictor")
    assert entry_component({"spec": {"predictor": {}}}) == "predictor"
    assert entry_component({"spec": {"transformer": {"containers": [{}]}}}) == "transformer"


def _isvc(traffic: list[dict[str, object]] | None) -> dict[str, object]:
    predictor = {} if traffic is None else {"traffic": traffic}
    return {"status": {"components": {"predictor": predictor}}}


def test_weights_come_from_the_status_traffic() -> None:
    split = [
        {"revisionName": "d-2", "percent": 10, "latestRevision": True, "tag": "latest"},
        {"revisionName": "d-1", "percent": 90, "latestRevision": False, "tag": "prev"},
    ]
    assert Route("d", "predictor").weights(_isvc(split)) == {"d-2": 10, "d-1": 90}
    assert Route("d", "predictor", "latest").weights(_isvc(split)) == {"d-2": 100}
    assert Route("d", "predictor", "prev").weights(_isvc(split)) == {"d-1": 100}
    same = [
        {"revisionName": "d-1", "percent": 10, "latestRevision": True},
        {"revisionName": "d-1", "percent": 90, "latestRevision": False, "tag": "prev"},
    ]
    assert Route("d", "predictor").weights(_isvc(same)) == {"d-1": 100}
    assert Route("d", "predictor").weights(_isvc(None)) is None
    with pytest.raises(UnknownTag, match="enable-tag-routing"):
        Route("d", "predictor", "latest").weights(_isvc(same))
    with pytest.raises(UnknownTag, match="canaryTrafficPercent"):
        Route("d", "predictor", "prev").weights(_isvc(None))


def test_the_picker_gives_each_revision_exactly_its_share_spread_out() -> None:
    picker = RevisionPicker()
    picks = [picker.choose_revision("r", {"old": 90, "new": 10}) for _ in range(100)]
    assert Counter(picks) == {"old": 90, "new": 10}
    canary = [i for i, p in enumerate(picks) if p == "new"]
    assert all(b - a == 10 for a, b in itertools.pairwise(canary))
    thirds = Counter(picker.choose_revision("s", {"a": 1, "b": 1, "c": 1}) for _ in range(30))
    assert thirds == {"a": 10, "b": 10, "c": 10}
    # new weights start over; revisions without a share are never chosen
    assert Counter(picker.choose_revision("r", {"old": 0, "new": 100}) for _ in range(5)) == {
        "new": 5
    }
    assert picker.choose_revision("r", {"old": 0}) is None
    assert picker.choose_revision("r", {}) is None
