"""Argo Workflows' template language, as a pure library.

The workflow controller calls it; it knows nothing of the store, the runtime or HTTP.
It holds what Argo's controller evaluates while it walks a workflow:

- `variables`: `{{...}}` substitution and `{{=expr}}` expression tags;
- `expr`: the expr-lang subset Argo uses (`{{= }}`, `valueFrom.expression`,
  `retryStrategy.expression`, hook expressions, `depends`);
- `when`: step/task conditions with govaluate's semantics, after substitution;
- `depends`: DAG `depends`/`dependencies` logic and the Omitted rule;
- `params`: loops (`withItems`, `withParam`, `withSequence`), enums, JSONPath and
  aggregated loop outputs.

Every error is a `TemplateError` (a `ValueError`) whose message is Argo's.
"""

from kflow.workflows.depends import ContinueOn, Depends, Readiness, TaskOutcome, TaskResult
from kflow.workflows.errors import (
    DependsError,
    ExpressionError,
    ParameterError,
    TemplateError,
    UnresolvedVariable,
    WhenError,
)
from kflow.workflows.expr import Expression, compile_expression
from kflow.workflows.variables import substitute, substitute_tree
from kflow.workflows.when import evaluate_when

__all__ = [
    "ContinueOn",
    "Depends",
    "DependsError",
    "Expression",
    "ExpressionError",
    "ParameterError",
    "Readiness",
    "TaskOutcome",
    "TaskResult",
    "TemplateError",
    "UnresolvedVariable",
    "WhenError",
    "compile_expression",
    "evaluate_when",
    "substitute",
    "substitute_tree",
]
