"""Label and field selectors, parsed once and matched against object bodies.

Label selectors take the Kubernetes string syntax — equality (`a=b`, `a==b`,
`a!=b`) and set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`) — and the structured
`LabelSelector` (`matchLabels`/`matchExpressions`) that Services and jobs carry.
Field selectors support `metadata.name`, `metadata.namespace` and any other dotted
path into the object (`status.phase`, `spec.nodeName`) with `=`, `==` and `!=`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from kflow.api.errors import BadRequest

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_SET_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s+(?P<op>in|notin)\s+\((?P<values>[^)]*)\)\s*$")
_EQ_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s*(?P<op>==|!=|=)\s*(?P<value>[-A-Za-z0-9_.]*)\s*$")
_EXISTS_RE = re.compile(rf"^\s*(?P<neg>!?)\s*(?P<key>{_KEY})\s*$")


@dataclasses.dataclass(frozen=True)
class Requirement:
    """One clause of a label selector."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        # "!=" and "notin" match objects without the label, as Kubernetes does
        return not present or value not in self.values


@dataclasses.dataclass(frozen=True)
class LabelSelector:
    """A conjunction of requirements; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside `( ... )`."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in (s.strip() for s in parts) if p]


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `app=web,tier in (a,b),!legacy`; raise BadRequest naming the bad clause."""
    if not text or not text.strip():
        return LabelSelector()
    reqs: list[Requirement] = []
    for clause in _split_top_level(text):
        if m := _SET_RE.match(clause):
            values = frozenset(v.strip() for v in m["values"].split(",") if v.strip())
            reqs.append(Requirement(m["key"], m["op"], values))
        elif m := _EQ_RE.match(clause):
            op = "=" if m["op"] in ("=", "==") else "!="
            reqs.append(Requirement(m["key"], op, frozenset([m["value"]])))
        elif m := _EXISTS_RE.match(clause):
            reqs.append(Requirement(m["key"], "!" if m["neg"] else "exists"))
        else:
            raise BadRequest(
                f'unable to parse requirement: "{clause}": expected key=value, key!=value, '
                "key in (a,b), key notin (a,b), key or !key"
            )
    return LabelSelector(tuple(reqs))


def selector_from_spec(spec: Mapping[str, Any] | None) -> LabelSelector:
    """A selector from a structured `LabelSelector` or a Service's plain label map."""
    if not spec:
        return LabelSelector()
    if "matchLabels" not in spec and "matchExpressions" not in spec:
        return LabelSelector(
            tuple(Requirement(k, "=", frozenset([str(v)])) for k, v in spec.items())
        )
    reqs = [
        Requirement(k, "=", frozenset([str(v)])) for k, v in (spec.get("matchLabels") or {}).items()
    ]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in spec.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""))
        if op is None:
            raise BadRequest(f'"{expr.get("operator")}" is not a valid label selector operator')
        reqs.append(Requirement(expr["key"], op, frozenset(expr.get("values") or [])))
    return LabelSelector(tuple(reqs))


@dataclasses.dataclass(frozen=True)
class FieldRequirement:
    path: tuple[str, ...]
    value: str
    negate: bool


@dataclasses.dataclass(frozen=True)
class FieldSelector:
    """A conjunction of `path=value` / `path!=value` clauses."""

    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        for req in self.requirements:
            current: Any = obj
            for part in req.path:
                current = current.get(part) if isinstance(current, Mapping) else None
            actual = "" if current is None else str(current)
            if isinstance(current, bool):
                actual = str(current).lower()
            if (actual == req.value) == req.negate:
                return False
        return True

    @property
    def name(self) -> str | None:
        """The exact `metadata.name` asked for, so stores can look it up by key."""
        for req in self.requirements:
            if req.path == ("metadata", "name") and not req.negate:
                return req.value
        return None


def parse_field_selector(text: str | None) -> FieldSelector:
    if not text or not text.strip():
        return FieldSelector()
    reqs = []
    for clause in _split_top_level(text):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$", clause)
        if not m:
            raise BadRequest(
                f'invalid field selector: "{clause}": expected field=value or field!=value'
            )
        reqs.append(FieldRequirement(tuple(m[1].split(".")), m[3], m[2] == "!="))
    return FieldSelector(tuple(reqs))
