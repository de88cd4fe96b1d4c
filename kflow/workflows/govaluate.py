"""govaluate's evaluation (github.com/Knetic/govaluate), as Argo's `when` needs it.

Tokens (`govaluate_lexer`) are planned by precedence, lowest first: `,` (arrays for
`in`), ternaries `? : ??`, `||`, `&&`, bitwise `& | ^`, shifts, comparators
(`== != > >= < <= =~ !~ in`), `+ -`, `* / %`, `**`, then prefixes `- ! ~`. Numbers
are float64; `==` is deep equality (so `1 == '1'` is false); `+` concatenates when
either side is a string; `&&`/`||` short-circuit and want booleans.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from kflow.workflows.govaluate_lexer import GovaluateError, Token
from kflow.workflows.govalues import go_format

_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({","}),
    frozenset({"?", ":", "??"}),
    frozenset({"||"}),
    frozenset({"&&"}),
    frozenset({"&", "|", "^"}),
    frozenset({"<<", ">>"}),
    frozenset({"==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"}),
    frozenset({"+", "-"}),
    frozenset({"*", "/", "%"}),
    frozenset({"**"}),
)
_OPERATOR_KINDS = frozenset({"SEPARATOR", "TERNARY", "LOGICALOP", "MODIFIER", "COMPARATOR"})


def _number(value: object) -> bool:
    return isinstance(value, float)


def _type_error(kind: str, value: object, symbol: str, wanted: str = "") -> GovaluateError:
    if kind == "prefix":
        return GovaluateError(
            f"Value '{go_format(value)}' cannot be used with the prefix '{symbol}'"
        )
    return GovaluateError(
        f"Value '{go_format(value)}' cannot be used with the {kind} '{symbol}', it is not a {wanted}"
    )


class Planned:
    """An evaluable govaluate expression."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.root = self._level(0)

    def evaluate(self) -> object:
        return self.root()

    def _level(self, level: int) -> Callable[[], object]:
        if level == len(_LEVELS):
            return self._prefix()
        left = self._level(level + 1)
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            if token.kind not in _OPERATOR_KINDS or token.value not in _LEVELS[level]:
                break
            self.at += 1
            right = self._level(level + 1)
            left = _binary(str(token.value), left, right)
        return left

    def _prefix(self) -> Callable[[], object]:
        token = self.tokens[self.at]
        if token.kind == "PREFIX":
            self.at += 1
            operand = self._prefix()
            return _prefix(str(token.value), operand)
        return self._value()

    def _value(self) -> Callable[[], object]:
        token = self.tokens[self.at]
        self.at += 1
        if token.kind == "CLAUSE":
            inner = self._level(0)
            self.at += 1  # the balanced `)`
            return inner
        if token.kind == "CLAUSE_CLOSE":  # `()`: an empty clause is nil
            self.at -= 1
            return lambda: None
        if token.kind == "ACCESSOR":
            name = token.value[0] if isinstance(token.value, list) else token.value

            def missing() -> object:
                raise GovaluateError(f"No parameter '{name}' found.")

            return missing
        if token.kind == "VARIABLE":
            variable = token.value

            def unknown() -> object:
                raise GovaluateError(f"No parameter '{variable}' found.")

            return unknown
        value = token.value
        return lambda: value


def _prefix(symbol: str, operand: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        value = operand()
        if symbol == "!":
            if not isinstance(value, bool):
                raise _type_error("prefix", value, symbol)
            return not value
        if not _number(value):
            raise _type_error("prefix", value, symbol)
        assert isinstance(value, float)
        return -value if symbol == "-" else float(~int(value))

    return run


def _regex(pattern: object) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(str(pattern))
    except re.error as error:
        raise GovaluateError(f"Unable to compile regexp pattern '{pattern}': {error}") from None


def _equal(left: object, right: object) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _equal(a, b) for a, b in zip(left, right, strict=True)
        )
    return left == right


def _compare(symbol: str, left: object, right: object) -> object:
    if symbol == "==":
        return _equal(left, right)
    if symbol == "!=":
        return not _equal(left, right)
    if symbol in ("=~", "!~"):
        if not isinstance(left, str):
            raise _type_error("comparator", left, symbol, "string")
        if not isinstance(right, (str, re.Pattern)):
            raise _type_error("comparator", right, symbol, "string")
        found = _regex(right).search(left) is not None
        return found if symbol == "=~" else not found
    if symbol == "in":
        if not isinstance(right, list):
            raise _type_error("comparator", right, symbol, "array")
        return any(_equal(left, item) for item in right)
    if not (
        (_number(left) and _number(right)) or (isinstance(left, str) and isinstance(right, str))
    ):
        raise _type_error("comparator", left, symbol, "number")
    table: dict[str, Callable[[object, object], bool]] = {
        ">": lambda a, b: a > b,  # type: ignore[operator]
        ">=": lambda a, b: a >= b,  # type: ignore[operator]
        "<": lambda a, b: a < b,  # type: ignore[operator]
        "<=": lambda a, b: a <= b,  # type: ignore[operator]
    }
    return table[symbol](left, right)


def _modify(symbol: str, left: object, right: object) -> object:
    if symbol == "+" and (isinstance(left, str) or isinstance(right, str)):
        return go_format(left) + go_format(right)
    for value in (left, right):
        if not _number(value):
            raise _type_error("modifier", value, symbol, "number")
    assert isinstance(left, float) and isinstance(right, float)
    if symbol in ("&", "|", "^", "<<", ">>"):
        a, b = int(left), int(right)
        bitwise = {
            "&": a & b,
            "|": a | b,
            "^": a ^ b,
            "<<": a << b if b >= 0 else 0,
            ">>": a >> b if b >= 0 else 0,
        }
        return float(bitwise[symbol])
    if symbol == "/" and right == 0:
        return math.nan if left == 0 else math.copysign(math.inf, left)
    if symbol == "%":
        return math.fmod(left, right) if right != 0 else math.nan
    arithmetic = {"+": left + right, "-": left - right, "*": left * right}
    if symbol in arithmetic:
        return arithmetic[symbol]
    return left / right if symbol == "/" else math.pow(left, right)


def _binary(
    symbol: str, left: Callable[[], object], right: Callable[[], object]
) -> Callable[[], object]:
    def run() -> object:
        first = left()
        if symbol in ("&&", "||"):
            if first is (symbol == "||"):  # short-circuit, before any type check
                return first
            if not isinstance(first, bool):
                raise _type_error("logical operator", first, symbol, "bool")
            second = right()
            if not isinstance(second, bool):
                raise _type_error("logical operator", second, symbol, "bool")
            return second
        if symbol == "??":
            return first if first is not None else right()
        if symbol == "?":
            if not isinstance(first, bool):
                raise _type_error("ternary operator", first, symbol, "bool")
            return right() if first else None
        if symbol == ":":
            return first if first is not None else right()
        second = right()
        if symbol == ",":
            return [*first, second] if isinstance(first, list) else [first, second]
        if symbol in _LEVELS[6]:
            return _compare(symbol, first, second)
        return _modify(symbol, first, second)

    return run


def plan(tokens: list[Token]) -> Planned:
    """Turn `=~`/`!~` string operands into compiled patterns (govaluate's optimizer) and plan."""
    for index, token in enumerate(tokens[:-1]):
        if (
            token.kind == "COMPARATOR"
            and token.value in ("=~", "!~")
            and tokens[index + 1].kind == "STRING"
        ):
            try:
                tokens[index + 1] = Token("PATTERN", re.compile(str(tokens[index + 1].value)))
            except re.error as error:
                raise GovaluateError(
                    f"error parsing regexp: {error}: `{tokens[index + 1].value}`"
                ) from None
    return Planned(tokens)
