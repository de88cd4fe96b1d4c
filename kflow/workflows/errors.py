"""The exceptions of Argo's template language, as one small tree.

`TemplateError` is the root, and a `ValueError`: every one of them means the workflow's
text is wrong (or refers to something that does not exist yet), never that kflow is
broken. Messages follow Argo's own wording (`failed to resolve {{inputs.parameters.x}}`,
`Invalid 'when' expression ...`) so users can search for them upstream.
"""

from __future__ import annotations


class TemplateError(ValueError):
    """A template, expression or parameter that Argo would refuse."""


class UnresolvedVariable(TemplateError):
    """A `{{...}}` tag names a variable that is not in scope (yet)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        super().__init__(f"failed to resolve {{{{{tag}}}}}")


class ExpressionError(TemplateError):
    """An expr-lang expression that does not parse or fails while evaluating.

    `position` is the 0-based character offset in `source` where the problem is, when
    known; `str()` shows it as `line:column` under the source like expr-lang does.
    """

    def __init__(self, message: str, source: str = "", position: int | None = None) -> None:
        self.message = message
        self.source = source
        self.position = position
        super().__init__(self._render())

    def _render(self) -> str:
        if self.position is None or not self.source:
            return self.message
        before = self.source[: self.position]
        line = before.count("\n") + 1
        column = self.position - (before.rfind("\n") + 1)
        text = self.source.splitlines()[line - 1] if self.source.strip() else self.source
        return f"{self.message} ({line}:{column + 1})\n | {text}\n | {'.' * column}^"


class WhenError(TemplateError):
    """A `when` condition that govaluate would reject or that is not a boolean."""


class DependsError(TemplateError):
    """A DAG task's `depends` expression that is malformed or names an unknown result."""


class ParameterError(TemplateError):
    """A parameter, loop (`withItems`/`withParam`/`withSequence`) or JSONPath that is unusable."""
