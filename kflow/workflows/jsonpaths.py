"""JSONPath, the two ways Argo uses it.

`jsonpath(json, '$.a.b')` in expressions comes from github.com/evilmonkeyinc/jsonpath:
a definite path (`$.a[0].b`) yields the value itself, a wildcard, slice, filter or
recursive path yields the list of matches. `valueFrom.jsonPath` of a resource template
is kubectl's JSONPath template (`{.status.phase}`, text around the braces kept), whose
results are printed as kubectl prints them (maps and lists as JSON) and joined by spaces. Both use `jsonpath-ng`.
"""

from __future__ import annotations

import json
import re

from jsonpath_ng import jsonpath as nodes
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as parse_path

from kflow.workflows.errors import ParameterError
from kflow.workflows.govalues import go_format, go_json


def _compile(path: str) -> object:
    try:
        return parse_path(path)
    except (JsonPathLexerError, JsonPathParserError, Exception) as error:
        raise ParameterError(f"invalid JSONPath {path!r}: {error}") from None


def _definite(path: object) -> bool:
    """True when `path` names at most one place (no wildcard, slice, filter or `..`)."""
    if isinstance(path, (nodes.Root, nodes.This)):
        return True
    if isinstance(path, nodes.Child):
        return _definite(path.left) and _definite(path.right)
    if isinstance(path, nodes.Fields):
        return len(path.fields) == 1 and path.fields[0] != "*"
    return isinstance(path, nodes.Index) and len(getattr(path, "indices", [0])) == 1


def query(document: object, path: str) -> object:
    """The value (definite path) or list of values at `path` in a decoded JSON document."""
    compiled = _compile(path)
    matches = [match.value for match in compiled.find(document)]  # type: ignore[attr-defined]
    if _definite(compiled):
        if not matches:
            raise ParameterError(f"jsonpath {path!r}: key not found")
        return matches[0]
    return matches


def query_text(text: str, path: str) -> object:
    """`jsonpath(json, path)` of Argo's expressions: `text` is a JSON document."""
    try:
        document = json.loads(text)
    except (TypeError, json.JSONDecodeError) as error:
        raise ParameterError(f"jsonpath: the first argument is not JSON: {error}") from None
    return query(document, path)


def _kubectl_text(value: object) -> str:
    """client-go's PrintResults: maps and lists as compact JSON, the rest with `%v`."""
    if isinstance(value, (dict, list)):
        return go_json(value)
    return "null" if value is None else go_format(value)


_TEMPLATE_PART = re.compile(r"\{([^{}]*)\}")


def kubectl_template(document: object, template: str) -> str:
    """kubectl's `-o jsonpath=TEMPLATE` output for `document` (a decoded object)."""
    out: list[str] = []
    last = 0
    for part in _TEMPLATE_PART.finditer(template):
        out.append(template[last : part.start()])
        expression = part.group(1).strip()
        path = (
            expression
            if expression.startswith("$")
            else "$" + (expression if expression.startswith((".", "[")) else "." + expression)
        )
        compiled = _compile(path)
        values = [match.value for match in compiled.find(document)]  # type: ignore[attr-defined]
        if not values and _definite(compiled):
            raise ParameterError(f"{expression} is not found")
        out.append(" ".join(_kubectl_text(value) for value in values))
        last = part.end()
    out.append(template[last:])
    return "".join(out)
