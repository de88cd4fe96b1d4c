"""Katib's success/failure conditions: the GJSON subset they are written in."""

from __future__ import annotations

import pytest

from kflow.api.katib import contracts as c
from kflow.api.katib import gjson


def job(*conditions: tuple[str, str]) -> dict[str, object]:
    return {"status": {"conditions": [{"type": t, "status": s} for t, s in conditions]}}


@pytest.mark.parametrize(
    ("obj", "success", "failure"),
    [
        (job(("Complete", "True")), True, False),
        (job(("Failed", "True")), False, True),
        (job(("Complete", "False")), False, False),
        (job(), False, False),
        ({}, False, False),
        (job(("Suspended", "True"), ("Complete", "True")), True, False),
    ],
)
def test_katib_job_conditions(obj: dict[str, object], success: bool, failure: bool) -> None:
    assert gjson.holds(obj, c.JOB_SUCCESS_CONDITION) is success
    assert gjson.holds(obj, c.JOB_FAILURE_CONDITION) is failure


def test_kubeflow_job_conditions() -> None:
    running = job(("Created", "True"), ("Running", "True"))
    done = job(("Created", "True"), ("Running", "False"), ("Succeeded", "True"))
    assert not gjson.holds(running, c.KUBEFLOW_JOB_SUCCESS_CONDITION)
    assert gjson.holds(done, c.KUBEFLOW_JOB_SUCCESS_CONDITION)


def test_paths_queries_and_operators() -> None:
    doc = {
        "status": {"succeeded": 2, "failed": 0, "name.with.dots": "x"},
        "items": [{"n": 1, "tag": "alpha"}, {"n": 5, "tag": "beta"}],
    }
    assert gjson.get(doc, "status.succeeded") == 2
    assert gjson.get(doc, r"status.name\.with\.dots") == "x"
    assert gjson.get(doc, "items.#") == 2
    assert gjson.get(doc, "items.1.tag") == "beta"
    assert gjson.get(doc, "items.#.n") == [1, 5]
    assert gjson.get(doc, "items.#(n>2).tag") == "beta"
    assert gjson.get(doc, "items.#(n>=1)#.tag") == ["alpha", "beta"]
    assert gjson.get(doc, 'items.#(tag%"al*").n') == 1
    assert gjson.get(doc, 'items.#(tag!%"al*")#.n') == [5]
    assert gjson.get(doc, "items.#(n>9)") is None
    assert gjson.get(doc, "status.failed") == 0
    # Katib: only an object or a non-empty array makes a condition hold
    assert not gjson.holds(doc, "status.succeeded")
    assert gjson.holds(doc, "status")
    assert gjson.matched(job(("Failed", "True")), c.JOB_FAILURE_CONDITION) == {
        "type": "Failed",
        "status": "True",
    }


def test_a_malformed_path_never_matches() -> None:
    assert gjson.get({"a": 1}, "a.#(") is None
    assert not gjson.holds({"a": [1]}, "a.#(b==)#")
