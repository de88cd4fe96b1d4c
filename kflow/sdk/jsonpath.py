"""The part of kubectl's JSONPath that `wait --for=jsonpath=` and `-o jsonpath=` use.

Supported: `{.a.b}`, `{.items[0]}`, `{.items[*].metadata.name}`, `{.a['x.y']}`, escaped
dots (`{.metadata.labels.app\\.kubernetes\\.io/name}`) and filters
(`{.status.conditions[?(@.type=="Ready")].status}`). Templates may mix text and
expressions: `name={.metadata.name}{"\\n"}`.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FILTER = re.compile(r"^\?\(@\.([A-Za-z0-9_.\-/]+)\s*(==|!=)\s*(['\"]?)(.*?)\3\)$")


class JsonPathError(ValueError):
    """A JSONPath expression kflow cannot read."""


def _steps(expr: str) -> list[str]:
    """Split `.a.b[0]['c.d']` into `a`, `b`, `[0]`, `['c.d']`, honouring `\\.`."""
    text = expr.strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == ".":
            i += 1
            name = []
            while i < len(text) and text[i] not in ".[":
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                name.append(text[i])
                i += 1
            if name:
                steps.append("".join(name))
        elif ch == "[":
            depth, j = 0, i
            while j < len(text):
                if text[j] == "[":
                    depth += 1
                elif text[j] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= len(text):
                raise JsonPathError(f"unclosed [ in {expr!r}")
            steps.append(text[i : j + 1])
            i = j + 1
        else:
            raise JsonPathError(f"unexpected {ch!r} in {expr!r}: paths start with '.'")
    return steps


def _apply(step: str, values: list[Any]) -> list[Any]:
    out: list[Any] = []
    if not step.startswith("["):
        return [v[step] for v in values if isinstance(v, dict) and step in v]
    inner = step[1:-1].strip()
    if inner == "*":
        for v in values:
            out.extend(v if isinstance(v, list) else v.values() if isinstance(v, dict) else [])
        return out
    if inner[:1] in "'\"" and inner[-1:] == inner[:1]:
        return _apply(inner[1:-1], values)
    if m := _FILTER.match(inner):
        path, op, _, wanted = m.groups()
        for v in values:
            for item in v if isinstance(v, list) else []:
                got = find(item, "." + path)
                hit = bool(got) and _text(got[0]) == wanted
                if hit == (op == "=="):
                    out.append(item)
        return out
    try:
        index = int(inner)
    except ValueError:
        raise JsonPathError(f"unsupported JSONPath step {step!r}") from None
    for v in values:
        if isinstance(v, list) and -len(v) <= index < len(v):
            out.append(v[index])
    return out


def find(obj: Any, expr: str) -> list[Any]:
    """Every value `expr` (with or without braces) selects in `obj`."""
    expr = expr.strip()
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1]
    values = [obj]
    for step in _steps(expr):
        values = _apply(step, values)
    return values


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def render(obj: Any, template: str) -> str:
    """Fill a kubectl-style template: text with `{expr}` parts."""
    out: list[str] = []
    i = 0
    while i < len(template):
        start = template.find("{", i)
        if start < 0:
            out.append(template[i:])
            break
        out.append(template[i:start])
        end = template.find("}", start)
        if end < 0:
            raise JsonPathError(f"unclosed {{ in {template!r}")
        expr = template[start + 1 : end].strip()
        if expr.startswith('"') and expr.endswith('"'):
            out.append(json.loads(expr))  # a quoted literal such as {"\n"}
        else:
            out.append(" ".join(_text(v) for v in find(obj, expr)))
        i = end + 1
    return "".join(out)


def text(value: Any) -> str:
    """A value as kubectl prints it in JSONPath output and compares it in `wait`."""
    return _text(value)
