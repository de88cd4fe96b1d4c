"""`dsl.If` / `Elif` / `Else` conditions: the IR's CEL, rewritten as an Argo expression.

The kfp compiler writes a task's `triggerPolicy.condition` in a small CEL subset:
`inputs.parameter_values['name']` operands (wrapped in `int(...)` for integers),
string, number and boolean literals (`double(...)` when an int meets a float), the six
comparisons, `!(...)`, `&&` and `||`. KFP's driver evaluates it against the task's
inputs; kflow parses it once, when the workflow is made, and renders the same tree as
an expr-lang expression over the Argo values the task's inputs come from, for the
DAG task's `when: "{{=...}}"`. The engine then skips the branch exactly as Argo would,
and `kubectl get workflow -o yaml` shows the test that was made.

Parameters travel as strings (`values.encode`), so each operand is typed on the way
in: `int(...)` for integers, `float(...)` for doubles, `== "true"` for booleans.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable

from kflow.pipelines.errors import SpecError
from kflow.pipelines.values import ParameterType

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
      | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\].])
      | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
    )""",
    re.VERBOSE,
)
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_CASTS = {"int": "int", "double": "float", "string": "string"}


@dataclasses.dataclass(frozen=True)
class Operand:
    """How a condition reaches one of its task's inputs in the Argo workflow."""

    expression: str  # an expr-lang expression giving the value (a string, or typed if `typed`)
    type: ParameterType
    typed: bool = False  # already a number/bool (a value picked from JSON), not a string


Resolver = Callable[[str], Operand]


def _tokens(text: str, field: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise SpecError(field, f"cannot read the condition {text!r} at {text[at:]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        at = match.end()
    return out


def _literal_string(token: str) -> str:
    body = token[1:-1]
    # CEL escapes are C-like; the compiler writes constants unescaped, so keep the text
    text = re.sub(r"\\(.)", r"\1", body)
    # JSON-quoted, and no `}}` that would end the `{{=...}}` tag early
    return json.dumps(text).replace("{", "\\u007b").replace("}", "\\u007d")


class _Parser:
    def __init__(self, text: str, field: str, resolve: Resolver) -> None:
        self.text = text
        self.field = field
        self.resolve = resolve
        self.tokens = _tokens(text, field)
        self.at = 0

    def fail(self, message: str) -> SpecError:
        return SpecError(self.field, f"unsupported condition {self.text!r}: {message}")

    def peek(self) -> str:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise self.fail("it ends too early")
        token = self.tokens[self.at]
        if expected is not None and token[1] != expected:
            raise self.fail(f"expected {expected!r}, found {token[1]!r}")
        self.at += 1
        return token

    def parse(self) -> str:
        out = self.disjunction()
        if self.at != len(self.tokens):
            raise self.fail(f"unexpected {self.peek()!r}")
        return out

    def disjunction(self) -> str:
        parts = [self.conjunction()]
        while self.peek() == "||":
            self.take()
            parts.append(self.conjunction())
        return " || ".join(parts)

    def conjunction(self) -> str:
        parts = [self.unary()]
        while self.peek() == "&&":
            self.take()
            parts.append(self.unary())
        return " && ".join(parts)

    def unary(self) -> str:
        if self.peek() == "!":
            self.take()
            return f"!{self.unary()}"
        left = self.operand()
        if self.peek() in _COMPARISONS:
            op = self.take()[1]
            return f"{left} {op} {self.operand()}"
        return left

    def operand(self) -> str:
        kind, token = self.take()
        if token == "(":
            inner = self.disjunction()
            self.take(")")
            return f"({inner})"
        if kind == "string":
            return _literal_string(token)
        if kind == "number":
            return token
        if kind == "name" and token in ("true", "false"):
            return token
        if kind == "name" and token in _CASTS and self.peek() == "(":
            self.take("(")
            inner = self.disjunction()
            self.take(")")
            return f"{_CASTS[token]}({inner})"
        if kind == "name" and token == "inputs":
            self.take(".")
            self.take("parameter_values")
            self.take("[")
            kind, name = self.take()
            if kind != "string":
                raise self.fail("an input is named by a quoted string")
            self.take("]")
            return self.typed(self.resolve(json.loads(f'"{name[1:-1]}"')))
        raise self.fail(f"unexpected {token!r}")

    @staticmethod
    def typed(operand: Operand) -> str:
        if operand.typed or operand.type is ParameterType.STRING:
            return operand.expression
        if operand.type is ParameterType.NUMBER_INTEGER:
            return f"int({operand.expression})"
        if operand.type is ParameterType.NUMBER_DOUBLE:
            return f"float({operand.expression})"
        if operand.type is ParameterType.BOOLEAN:
            return f'({operand.expression} == "true")'
        return f"fromJSON({operand.expression})"


def to_expression(condition: str, resolve: Resolver, field: str) -> str:
    """The expr-lang twin of a CEL trigger condition (without the `{{= }}` braces)."""
    return _Parser(condition, field, resolve).parse()
