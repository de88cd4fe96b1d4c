"""DAG `depends`/`dependencies`: Argo's expansion, task results and the Omitted rule."""

from __future__ import annotations

import pytest

from kflow.workflows.depends import ContinueOn, Depends, Readiness, TaskOutcome, expand_dependency
from kflow.workflows.errors import DependsError

SUCCEEDED = TaskOutcome("Succeeded")
FAILED = TaskOutcome("Failed")
ERRORED = TaskOutcome("Error")
SKIPPED = TaskOutcome("Skipped")
OMITTED = TaskOutcome("Omitted")
RUNNING = TaskOutcome("Running")
DAEMON = TaskOutcome("Running", daemoned=True)


@pytest.mark.parametrize(
    ("depends", "tasks"),
    [
        ("task1 && task2", {"task1", "task2"}),
        ("task1.Succeeded && task2", {"task1", "task2"}),
        ("(task1.Failed&&!task2)||task3.Failed", {"task1", "task2", "task3"}),
        ("(task-1.Succeeded&&!task-2)", {"task-1", "task-2"}),
        ("A.AnySucceeded || B.AllFailed", {"A", "B"}),
    ],
)
def test_tasks_are_found_like_argos_parser(depends: str, tasks: set[str]) -> None:
    assert Depends.parse(depends).tasks() == tasks


def test_bare_names_expand_with_continue_on() -> None:
    assert expand_dependency("A") == "(A.Succeeded || A.Skipped || A.Daemoned)"
    assert (
        expand_dependency("A", ContinueOn(failed=True, error=True))
        == "(A.Succeeded || A.Skipped || A.Daemoned || A.Errored || A.Failed)"
    )
    parsed = Depends.parse("A && !B.Failed")
    assert parsed.expression == "(A.Succeeded || A.Skipped || A.Daemoned) && !B.Failed"
    listed = Depends.from_dependencies(["A", "B"], {"B": ContinueOn(failed=True)})
    assert listed.expression == (
        "(A.Succeeded || A.Skipped || A.Daemoned) && (B.Succeeded || B.Skipped || B.Daemoned || B.Failed)"
    )


@pytest.mark.parametrize(
    ("depends", "outcomes", "expected"),
    [
        ("A", {"A": SUCCEEDED}, True),
        ("A", {"A": SKIPPED}, True),
        ("A", {"A": FAILED}, False),
        ("A", {"A": OMITTED}, False),
        ("A", {"A": DAEMON}, True),
        ("A.Failed", {"A": FAILED}, True),
        ("A.Errored", {"A": ERRORED}, True),
        ("A.Failed", {"A": ERRORED}, False),
        ("A.Omitted", {"A": OMITTED}, True),
        ("!A.Skipped", {"A": SUCCEEDED}, True),
        ("A && (B.Succeeded || C.Failed)", {"A": SUCCEEDED, "B": FAILED, "C": FAILED}, True),
        ("A && (B.Succeeded || C.Failed)", {"A": SUCCEEDED, "B": FAILED, "C": SUCCEEDED}, False),
        (
            "flip-coin.Succeeded && !heads-or-tails.Failed",
            {"flip-coin": SUCCEEDED, "heads-or-tails": SUCCEEDED},
            True,
        ),
        ("A.Succeeded || A.Failed", {"A": FAILED}, True),
    ],
)
def test_evaluates_task_results(
    depends: str, outcomes: dict[str, TaskOutcome], expected: bool
) -> None:
    assert Depends.parse(depends).evaluate(outcomes) is expected


def test_loop_results_look_at_the_children() -> None:
    some = TaskOutcome("Failed", is_group=True, children=("Failed", "Succeeded"))
    all_failed = TaskOutcome("Failed", is_group=True, children=("Failed", "Failed"))
    empty = TaskOutcome("Succeeded", is_group=True, children=())
    assert Depends.parse("A.AnySucceeded").evaluate({"A": some})
    assert not Depends.parse("A.AllFailed").evaluate({"A": some})
    assert Depends.parse("A.AllFailed").evaluate({"A": all_failed})
    assert not Depends.parse("A.AllFailed").evaluate({"A": empty})
    assert not Depends.parse("A.AnySucceeded").evaluate({"A": SUCCEEDED})  # not a loop


def test_readiness_waits_then_runs_or_omits() -> None:
    depends = Depends.parse("A && B.Failed")
    assert depends.readiness({"A": SUCCEEDED, "B": RUNNING}) is Readiness.WAIT
    assert depends.readiness({"A": SUCCEEDED}) is Readiness.WAIT
    assert depends.readiness({"A": SUCCEEDED, "B": None}) is Readiness.WAIT
    assert depends.readiness({"A": SUCCEEDED, "B": FAILED}) is Readiness.RUN
    assert depends.readiness({"A": SUCCEEDED, "B": SUCCEEDED}) is Readiness.OMIT
    assert Depends.parse("").readiness({}) is Readiness.RUN
    assert Depends.from_dependencies([]).evaluate({}) is True


@pytest.mark.parametrize(
    ("depends", "message"),
    [
        ("A.Completed", "task result 'Completed' for task 'A' is invalid"),
        ("A.Unknown && B", "task result 'Unknown' for task 'A' is invalid"),
        ("A &&", "invalid depends expression 'A &&'"),
    ],
)
def test_bad_depends_are_refused(depends: str, message: str) -> None:
    with pytest.raises(DependsError, match=message):
        Depends.parse(depends)


def test_evaluate_needs_every_outcome() -> None:
    with pytest.raises(DependsError, match="needs the outcome of B"):
        Depends.parse("A && B").evaluate({"A": SUCCEEDED})
