"""The expr-lang subset Argo evaluates, without Python's `eval`.

Argo hands expressions to expr-lang (github.com/expr-lang/expr) in `{{= }}` tags,
`valueFrom.expression`, `retryStrategy.expression`, lifecycle hook expressions and DAG
`depends`. This module compiles such an expression once (`compile_expression`) into
a tree that can be evaluated many times against an environment of plain Python values
(str, int, float, bool, None, list, dict, callables).
"""

from __future__ import annotations

from collections.abc import Mapping


class Expression:
    """A parsed expression; `evaluate` runs it against an environment."""

    def __init__(self, source: str) -> None:
        self.source = source

    def evaluate(self, env: Mapping[str, object]) -> object:
        raise NotImplementedError("kflow.workflows.expr is being written")


def compile_expression(source: str) -> Expression:
    """Parse `source`; raises `ExpressionError` with the position of a syntax error."""
    raise NotImplementedError("kflow.workflows.expr.compile_expression is being written")


def evaluate(source: str, env: Mapping[str, object]) -> object:
    """Compile and run `source` against `env`."""
    raise NotImplementedError("kflow.workflows.expr.evaluate is being written")


def evaluate_bool(source: str, env: Mapping[str, object]) -> bool:
    """Run `source` and insist on a boolean, like Argo's `argoexpr.EvalBool`."""
    raise NotImplementedError("kflow.workflows.expr.evaluate_bool is being written")


def format_value(value: object) -> str:
    """`value` as Go's `fmt.Sprintf("%v", value)` prints it (what Argo stores)."""
    raise NotImplementedError("kflow.workflows.expr.format_value is being written")
