"""`{{...}}` substitution, as Argo's controller does it.

Argo substitutes variables in a template with fasttemplate (`{{` ... `}}`): a *simple*
tag (`{{inputs.parameters.x}}`, whitespace inside the braces allowed) is looked up in
a flat scope of strings; an *expression* tag (`{{=expr}}`, the `=` right after the
braces) is evaluated by expr-lang with that scope expanded into nested maps
(`inputs.parameters.x` becomes `inputs -> parameters -> x`) plus Argo's functions
(`asInt`, `asFloat`, `jsonpath`, `toJson`, `sprig.*`). A string result is inserted
as-is, any other as JSON (`[1,2]`, `3`, `true`).

`strict=False` is Argo's `allowUnresolved`: an unknown simple tag, or an expression
that fails or yields nil, is written back unchanged so a later pass (with more of the
scope known) can resolve it; so is an expression naming `retries`, `lastRetry.*`,
`workflow.status` or `workflow.failures` before those exist. `strict=True` raises
`UnresolvedVariable` (`failed to resolve {{x}}`) or `ExpressionError` instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar, cast

from kflow.workflows.errors import ExpressionError, TemplateError, UnresolvedVariable
from kflow.workflows.expr import compile_expression
from kflow.workflows.expr_lexer import tokenize
from kflow.workflows.functions import ARGO_FUNCTIONS
from kflow.workflows.govalues import go_json

T = TypeVar("T")

# variables that only exist late (in a retry, in an exit handler): an expression naming
# them waits for them instead of reading nil
_LATE_VARIABLES = (
    "retries",
    "lastRetry.exitCode",
    "lastRetry.status",
    "lastRetry.duration",
    "lastRetry.message",
    "workflow.status",
    "workflow.failures",
)


def _split(text: str) -> Iterator[tuple[str, str | None]]:
    """fasttemplate's scan: (literal text, tag between the braces or None at the end)."""
    at = 0
    while True:
        start = text.find("{{", at)
        if start < 0:
            yield text[at:], None
            return
        end = text.find("}}", start + 2)
        if end < 0:
            raise TemplateError(
                f'cannot find end tag="}}}}" in the template={text!r} starting from {text[start:]!r}'
            )
        yield text[at:start], text[start + 2 : end]
        at = end + 2


def tags(text: str) -> list[str]:
    """The simple tags `text` refers to (trimmed, in order, expression tags left out)."""
    return [tag.strip() for _, tag in _split(text) if tag is not None and not tag.startswith("=")]


def substitute(text: str, scope: Mapping[str, str], *, strict: bool) -> str:
    """Replace every `{{tag}}` and `{{=expr}}` in `text` from `scope`."""
    if "{{" not in text:
        return text
    out: list[str] = []
    env: dict[str, object] | None = None
    for literal, tag in _split(text):
        out.append(literal)
        if tag is None:
            continue
        if tag.startswith("="):
            if env is None:
                env = expression_env(scope)
            out.append(_expression(tag[1:], scope, env, strict=strict))
        else:
            out.append(_simple(tag, scope, strict=strict))
    return "".join(out)


def _simple(tag: str, scope: Mapping[str, str], *, strict: bool) -> str:
    replacement = scope.get(tag.strip())
    if replacement is not None:
        return replacement
    nested = tag.rfind("{{")
    if nested > 0 and tag[nested + 2 :] in scope:
        # `{{a.{{b}}}}`: resolve the inner tag and leave the outer one for the next pass
        return "{{" + tag[:nested] + scope[tag[nested + 2 :]]
    if strict:
        raise UnresolvedVariable(tag)
    return "{{" + tag + "}}"


def _mentions(expression: str, variable: str) -> bool:
    if variable not in expression:
        return False
    try:
        tokens = [token.value for token in tokenize(expression)]
        wanted = [token.value for token in tokenize(variable)][:-1]
    except ExpressionError:
        return False
    return any(tokens[i : i + len(wanted)] == wanted for i in range(len(tokens) - len(wanted) + 1))


def _expression(
    expression: str, scope: Mapping[str, str], env: Mapping[str, object], *, strict: bool
) -> str:
    unchanged = "{{=" + expression + "}}"
    if not strict and any(_mentions(expression, v) and v not in scope for v in _LATE_VARIABLES):
        return unchanged
    try:
        result = compile_expression(expression).evaluate(env)
    except ExpressionError as error:
        if not strict:
            return unchanged
        raise ExpressionError(f"failed to evaluate expression: {error}") from None
    if result is None:
        if not strict:
            return unchanged
        raise ExpressionError(f'failed to evaluate expression "{expression}"')
    if isinstance(result, str):
        return result
    try:
        return go_json(result)
    except ValueError as error:
        if not strict:
            return unchanged
        raise ExpressionError(f"failed to marshal evaluated expression: {error}") from None


def expand(scope: Mapping[str, object]) -> dict[str, object]:
    """Dotted keys as nested maps; a key that is also a parent (`a` beside `a.b`) is dropped."""
    keys = sorted(scope)
    parents = {keys[i] for i in range(len(keys) - 1) if keys[i + 1].startswith(keys[i] + ".")}
    nested: dict[str, object] = {}
    for key in keys:
        if key in parents:
            continue
        *path, last = key.split(".")
        level = nested
        for part in path:
            child = level.get(part)
            if not isinstance(child, dict):
                child = level[part] = {}
            level = cast(dict[str, object], child)
        level[last] = scope[key]
    return nested


def expression_env(scope: Mapping[str, object]) -> dict[str, object]:
    """The environment `{{= }}` expressions see: `scope` as nested maps, plus functions."""
    env = expand(scope)
    env.update(ARGO_FUNCTIONS)
    return env


def substitute_tree(value: T, scope: Mapping[str, str], *, strict: bool) -> T:
    """`substitute` applied to every string of a JSON-like value (keys included, as Argo
    substitutes the whole marshalled object)."""
    if isinstance(value, str):
        return cast(T, substitute(value, scope, strict=strict))
    if isinstance(value, dict):
        return cast(
            T,
            {
                substitute(str(k), scope, strict=strict): substitute_tree(v, scope, strict=strict)
                for k, v in value.items()
            },
        )
    if isinstance(value, list):
        return cast(T, [substitute_tree(v, scope, strict=strict) for v in value])
    return value
