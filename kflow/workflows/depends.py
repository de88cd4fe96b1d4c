"""DAG task dependencies: `depends` expressions and the older `dependencies` list.

Argo rewrites every bare task name `A` in `depends` into
`(A.Succeeded || A.Skipped || A.Daemoned)` (plus `A.Failed`/`A.Errored` when A has
`continueOn`), and `dependencies: [A, B]` into the same terms joined by `&&`. A task
runs once all the tasks it names are fulfilled and the expression is true; when they
are all fulfilled and it is false, the task is Omitted.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kflow.workflows.errors import DependsError, ExpressionError
from kflow.workflows.expr import Expression, compile_expression

# Argo's taskNameRegex: `name.Result` first, else a bare task name
_OPERAND = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*?\.[A-Z][a-zA-Z]+)|([a-zA-Z0-9][-a-zA-Z0-9]*)")
# phases after which a node will not change (NodeStatus.Fulfilled)
FULFILLED_PHASES = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})


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

    @property
    def fulfilled(self) -> bool:
        """The node is done (a started daemon counts as done for its dependants)."""
        return self.phase in FULFILLED_PHASES or (self.daemoned and self.phase != "Pending")

    def results(self) -> dict[str, bool]:
        """The `A.<Result>` values `depends` sees for this node (Argo's TaskResults)."""
        children = list(self.children) if self.is_group else []
        return {
            TaskResult.SUCCEEDED.value: self.phase == "Succeeded",
            TaskResult.FAILED.value: self.phase == "Failed",
            TaskResult.ERRORED.value: self.phase == "Error",
            TaskResult.SKIPPED.value: self.phase == "Skipped",
            TaskResult.OMITTED.value: self.phase == "Omitted",
            TaskResult.DAEMONED.value: self.daemoned and self.phase != "Pending",
            TaskResult.ANY_SUCCEEDED.value: any(p == "Succeeded" for p in children),
            TaskResult.ALL_FAILED.value: bool(children) and all(p == "Failed" for p in children),
        }


class Readiness(str, enum.Enum):
    """What the controller should do with a task, given its dependencies."""

    WAIT = "Wait"  # a dependency has not finished yet
    RUN = "Run"  # all dependencies finished and the logic holds
    OMIT = "Omit"  # all dependencies finished and the logic is false: mark it Omitted


def expand_dependency(task: str, continue_on: ContinueOn | None = None) -> str:
    """What a bare `task` means in `depends` (Argo's expandDependency)."""
    results = [TaskResult.SUCCEEDED, TaskResult.SKIPPED, TaskResult.DAEMONED]
    if continue_on is not None and continue_on.error:
        results.append(TaskResult.ERRORED)
    if continue_on is not None and continue_on.failed:
        results.append(TaskResult.FAILED)
    return "(" + " || ".join(f"{task}.{result.value}" for result in results) + ")"


class Depends:
    """A task's dependency logic, parsed once.

    `expression` is the resolved logic, with every bare task name expanded, as Argo
    evaluates it; `tasks()` the names it refers to.
    """

    def __init__(self, expression: str, tasks: frozenset[str], source: str | None = None) -> None:
        self.expression = expression
        self.source = expression if source is None else source  # what the user wrote
        self._tasks = tasks
        self._program: Expression | None = None
        if expression.strip():
            try:
                # expr-lang identifiers cannot hold `-`: Argo evaluates `a_b` for task `a-b`
                self._program = compile_expression(expression.replace("-", "_"))
            except ExpressionError as error:
                raise DependsError(
                    f"invalid depends expression '{self.source}' (read as '{expression}'): {error.message}"
                ) from None

    @classmethod
    def parse(cls, depends: str, continue_on: Mapping[str, ContinueOn] | None = None) -> Depends:
        """`depends: "A && (B.Failed || !C.Skipped)"`; `continue_on` is each task's `continueOn`."""
        continue_on = continue_on or {}
        tasks: set[str] = set()
        expansions: list[tuple[int, int, str]] = []
        for match in _OPERAND.finditer(depends):
            if match.group(1):
                task, result = match.group(1).split(".")
                if result not in TaskResult._value2member_map_:
                    raise DependsError(f"task result '{result}' for task '{task}' is invalid")
                tasks.add(task)
            else:
                task = match.group(2)
                tasks.add(task)
                expansions.append((match.start(2), match.end(2), task))
        resolved = depends
        for start, end, task in reversed(expansions):
            resolved = (
                resolved[:start] + expand_dependency(task, continue_on.get(task)) + resolved[end:]
            )
        return cls(resolved, frozenset(tasks), depends)

    @classmethod
    def from_dependencies(
        cls, dependencies: Sequence[str], continue_on: Mapping[str, ContinueOn] | None = None
    ) -> Depends:
        """`dependencies: [A, B]`, which Argo reads as `A && B`."""
        continue_on = continue_on or {}
        logic = " && ".join(expand_dependency(name, continue_on.get(name)) for name in dependencies)
        return cls(logic, frozenset(dependencies))

    def tasks(self) -> frozenset[str]:
        """The tasks this logic waits for."""
        return self._tasks

    def evaluate(self, phases: Mapping[str, TaskOutcome]) -> bool:
        """The logic's value once every task in `tasks()` has an outcome."""
        if self._program is None:
            return True
        missing = sorted(self._tasks - phases.keys())
        if missing:
            raise DependsError(
                f"depends '{self.expression}' needs the outcome of {', '.join(missing)}"
            )
        scope = {name.replace("-", "_"): phases[name].results() for name in self._tasks}
        try:
            result = self._program.evaluate(scope)
        except ExpressionError as error:
            raise DependsError(
                f"unable to evaluate expression '{self.expression}': {error}"
            ) from None
        if not isinstance(result, bool):
            raise DependsError(f"unable to evaluate expression '{self.expression}': not a boolean")
        return result

    def readiness(self, phases: Mapping[str, TaskOutcome | None]) -> Readiness:
        """Wait while a dependency is unfinished; then Run if the logic holds, else Omit."""
        finished: dict[str, TaskOutcome] = {}
        for name in self._tasks:
            outcome = phases.get(name)
            if outcome is None or not outcome.fulfilled:
                return Readiness.WAIT
            finished[name] = outcome
        return Readiness.RUN if self.evaluate(finished) else Readiness.OMIT
