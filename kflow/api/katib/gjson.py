"""The part of GJSON path syntax Katib's success and failure conditions use.

Katib judges a trial's workload with GJSON paths over the workload object, e.g.
`status.conditions.#(type=="Complete")#|#(status=="True")#`: a condition holds when
the path yields something non-empty. This evaluates that subset: dotted keys (with
`\\.` escapes), array indexes, `#` (length), `#.key` (map), queries `#(path op
value)` (first match) and `#(...)#` (all matches) with `== != < <= > >= % !%`, and
`|` pipes. Anything else simply yields nothing, so a malformed condition never
matches rather than crashing the controller. A condition holds when the path selects
an object or a non-empty array (Katib's `GetDeployedJobStatus`); the first element
gives the trial's reason and message.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

_MISSING = object()
_QUERY = re.compile(
    r"^#\((?P<path>[^=!<>%]+?)\s*(?P<op>==|!=|<=|>=|<|>|!%|%)\s*(?P<value>.+)\)(?P<all>#?)$"
)


def _split(path: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses, honouring backslash escapes."""
    parts, depth, current, escaped = [], 0, "", False
    for char in path:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
            if sep != ".":
                current += char
        elif char == "(":
            depth += 1
            current += char
        elif char == ")":
            depth -= 1
            current += char
        elif char == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


def _compare(left: Any, op: str, right: Any) -> bool:
    if op in ("%", "!%"):
        hit = isinstance(left, str) and fnmatch.fnmatchcase(left, str(right))
        return hit if op == "%" else not hit
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    try:
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        return False


def _step(value: Any, part: str, rest: list[str]) -> Any:
    if part == "#":
        if not isinstance(value, list):
            return _MISSING
        if not rest:
            return len(value)
        mapped = [_walk(item, rest) for item in value]
        return [item for item in mapped if item is not _MISSING]
    query = _QUERY.match(part)
    if query:
        if not isinstance(value, list):
            return _MISSING
        key, op, want = query["path"].strip(), query["op"], _literal(query["value"])
        hits = [item for item in value if _compare(_walk(item, _split(key, ".")), op, want)]
        if query["all"]:  # the rest of the path applies to each match
            mapped = [_walk(hit, rest) for hit in hits]
            return [item for item in mapped if item is not _MISSING]
        return _walk(hits[0], rest) if hits else _MISSING
    if isinstance(value, dict):
        return _walk(value[part], rest) if part in value else _MISSING
    if isinstance(value, list) and part.isdigit():
        index = int(part)
        return _walk(value[index], rest) if index < len(value) else _MISSING
    return _MISSING


def _walk(value: Any, parts: list[str]) -> Any:
    if not parts:
        return value
    return _step(value, parts[0], parts[1:])


def get(document: Any, path: str) -> Any:
    """What `path` selects in `document`, or None when it selects nothing."""
    value: Any = document
    for piece in _split(path, "|"):
        value = _walk(value, _split(piece.strip(), "."))
        if value is _MISSING:
            return None
    return value


def matched(document: Any, path: str) -> dict[str, Any] | None:
    """The condition `path` selects, if it holds (Katib's test: an object, or a
    non-empty array whose first element stands for it); else None."""
    value = get(document, path)
    if isinstance(value, list) and value:
        value = value[0]
        return value if isinstance(value, dict) else {}
    return value if isinstance(value, dict) else None


def holds(document: Any, path: str) -> bool:
    """True when `path` selects an object or a non-empty array, as Katib judges a
    workload by its success and failure conditions (a bare scalar does not count)."""
    return matched(document, path) is not None
