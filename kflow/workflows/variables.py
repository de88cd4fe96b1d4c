"""`{{...}}` substitution, as Argo's controller does it.

Argo substitutes variables in a template with fasttemplate (`{{` ... `}}`): a *simple*
tag (`{{inputs.parameters.x}}`, whitespace inside the braces allowed) is looked up in
a flat scope of strings; an *expression* tag (`{{= expr}}`) is evaluated by expr-lang
with that scope expanded into nested maps (`inputs.parameters.x` becomes
`inputs -> parameters -> x`) plus Argo's functions (`asInt`, `asFloat`, `jsonpath`,
`toJson`, `sprig.*`).

`strict=False` is Argo's `allowUnresolved`: an unknown simple tag, or an expression
that fails or yields nil, is written back unchanged so a later pass (with more of the
scope known) can resolve it. `strict=True` raises `UnresolvedVariable`
(`failed to resolve {{x}}`) or `ExpressionError` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def substitute(text: str, scope: Mapping[str, str], *, strict: bool) -> str:
    """Replace every `{{tag}}` and `{{= expr}}` in `text` from `scope`."""
    raise NotImplementedError("kflow.workflows.variables.substitute is being written")


def substitute_tree(value: T, scope: Mapping[str, str], *, strict: bool) -> T:
    """`substitute` applied to every string (not keys) of a JSON-like value."""
    raise NotImplementedError("kflow.workflows.variables.substitute_tree is being written")


def expression_env(scope: Mapping[str, object]) -> dict[str, object]:
    """The environment `{{= }}` expressions see: `scope` as nested maps, plus functions."""
    raise NotImplementedError("kflow.workflows.variables.expression_env is being written")


def tags(text: str) -> list[str]:
    """The simple tags `text` refers to (trimmed, in order, expression tags left out)."""
    raise NotImplementedError("kflow.workflows.variables.tags is being written")
