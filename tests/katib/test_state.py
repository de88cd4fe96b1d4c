"""The algorithm state in a Suggestion is used only if this control plane signed it."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

from kflow.controllers.katib import state
from kflow.controllers.katib.suggestions import history_of


def test_signed_attrs_come_back_and_altered_ones_do_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = state.new_key()
    entry = {"name": "t-1", "attrs": {"seq": 3, "optuna": {"cma:optimizer": "abc"}}}
    state.sign(key, entry)
    assert state.verified_attrs(key, entry) == entry["attrs"]
    assert state.verified_attrs(state.new_key(), entry) == {}  # another control plane's
    planted = {**entry, "attrs": {"seq": 3, "optuna": {"cma:optimizer": pickle.dumps(1).hex()}}}
    with caplog.at_level(logging.WARNING):
        assert state.verified_attrs(key, planted) == {}
    assert "not signed" in caplog.text
    assert state.verified_attrs(key, {"name": "t-2", "attrs": {"seq": 1}}) == {}  # unsigned


def test_the_key_is_made_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "pki" / "katib-state.key"
    key = state.load_key(path)
    assert len(key) == 32
    assert state.load_key(path) == key
    assert path.stat().st_mode & 0o077 == 0


def test_history_gives_the_algorithm_only_verified_state() -> None:
    key = state.new_key()
    good = {
        "name": "e-a",
        "parameterAssignments": [{"name": "x", "value": "1"}],
        "attrs": {"seq": 0},
    }
    state.sign(key, good)
    forged = {
        "name": "e-b",
        "parameterAssignments": [{"name": "x", "value": "2"}],
        "attrs": {"seq": 1},
        state.SIGNATURE: "0" * 64,
    }
    experiment = {"spec": {"objective": {"objectiveMetricName": "loss"}}}
    suggestion = {"status": {"suggestions": [good, forged]}}
    records = history_of(experiment, suggestion, [], None, key)
    assert [r.attrs for r in records] == [{"seq": 0}, {}]
    assert [r.parameters for r in records] == [{"x": "1"}, {"x": "2"}]
