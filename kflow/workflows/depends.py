"""DAG task dependencies: `depends` expressions and the older `dependencies` list.

Argo rewrites every bare task name `A` in `depends` into
`(A.Succeeded || A.Skipped || A.Daemoned)` (plus `A.Failed`/`A.Errored` when A has
`continueOn`), and `dependencies: [A, B]` into the same terms joined by `&&`. A task
runs once all the tasks it names are fulfilled and the expression is true; when they
are all fulfilled and it is false, the task is Omitted.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


class TaskResult(str, enum.Enum):
    """What `depends` can ask of a task (`A.Succeeded`)."""

    SUCCEEDED = "Succeeded"  # the task's node Succeeded
    FAILED = "Failed"  # the node Failed
    ERRORED = "Errored"  # the node ended in Error
    SKIPPED = "Skipped"  # the node was Skipped (its `when` was false)
    OMITTED = "Omitted"  # the node was Omitted (its own `depends` was false)
    DAEMONED = "Daemoned"  # the node is a daemon that has started
    ANY_SUCCEEDED = "AnySucceeded"  # a loop task: at least one child Succeeded
    ALL_FAILED = "AllFailed"  # a loop task: it has children and all of them Failed


@dataclass(frozen=True)
class ContinueOn:
    """A dependency's `continueOn`: which failures its dependants still accept."""

    failed: bool = False
    error: bool = False


@dataclass(frozen=True)
class TaskOutcome:
    """What the controller knows of one finished (or running) dependency's node."""

    phase: str  # Argo node phase: Pending Running Succeeded Failed Error Skipped Omitted
    daemoned: bool = False  # the node runs a daemon template
    children: Sequence[str] = field(default_factory=tuple)  # children phases of a loop task
    is_group: bool = False  # the node is a TaskGroup (withItems/withParam/withSequence)


class Readiness(str, enum.Enum):
    """What the controller should do with a task, given its dependencies."""

    WAIT = "Wait"  # a dependency has not finished yet
    RUN = "Run"  # all dependencies finished and the logic holds
    OMIT = "Omit"  # all dependencies finished and the logic is false: mark it Omitted


class Depends:
    """A task's dependency logic, parsed once."""

    def __init__(self, expression: str) -> None:
        self.expression = expression

    @classmethod
    def parse(cls, depends: str, continue_on: Mapping[str, ContinueOn] | None = None) -> Depends:
        raise NotImplementedError("kflow.workflows.depends is being written")

    @classmethod
    def from_dependencies(
        cls, dependencies: Sequence[str], continue_on: Mapping[str, ContinueOn] | None = None
    ) -> Depends:
        raise NotImplementedError("kflow.workflows.depends is being written")

    def tasks(self) -> frozenset[str]:
        raise NotImplementedError("kflow.workflows.depends is being written")

    def evaluate(self, phases: Mapping[str, TaskOutcome]) -> bool:
        raise NotImplementedError("kflow.workflows.depends is being written")

    def readiness(self, phases: Mapping[str, TaskOutcome | None]) -> Readiness:
        raise NotImplementedError("kflow.workflows.depends is being written")
