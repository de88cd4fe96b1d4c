"""The functions Argo adds to every expression's environment.

Argo's `GetFuncMap` puts `asInt` and `asFloat` (expr-lang's `int`/`float`, kept for
backwards compatibility), `jsonpath`, `toJson` (Go's compact `json.Marshal`) and the
`sprig` namespace beside the variables, overriding any variable of the same name.
"""

from __future__ import annotations

from collections.abc import Callable

from kflow.workflows.expr_builtins import to_float, to_int
from kflow.workflows.govalues import go_json
from kflow.workflows.jsonpaths import query_text
from kflow.workflows.sprig import SPRIG


def _jsonpath(text: object, path: object) -> object:
    if not isinstance(text, str) or not isinstance(path, str):
        raise TypeError("jsonpath(json, path) takes two strings")
    return query_text(text, path)


ARGO_FUNCTIONS: dict[str, object] = {
    "asInt": to_int,
    "asFloat": to_float,
    "jsonpath": _jsonpath,
    "toJson": lambda value: go_json(value),
    "sprig": dict[str, Callable[..., object]](SPRIG),
}
