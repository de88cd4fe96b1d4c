"""govaluate's tokenizer and syntax check (github.com/Knetic/govaluate), which Argo's
`when` runs on.

Its quirks are Argo's quirks, so they are kept: a symbol token is every non-space,
non-alphanumeric run (`==-1` is one invalid token), a string ends at either kind of
quote, numbers are floats (`1.2.3` does not parse), a word with a dot is an accessor
(`v1.0`), and token sequences are checked against govaluate's transition table
(`Cannot transition token types from VARIABLE [a] to VARIABLE [b]`).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

PREFIXES = frozenset({"-", "!", "~"})
MODIFIERS = frozenset({"+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"})
LOGICALS = frozenset({"&&", "||"})
COMPARATORS = frozenset({"==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"})
TERNARIES = frozenset({"?", ":", "??"})

_VALUES = ("NUMERIC", "BOOLEAN", "STRING", "PATTERN", "TIME", "VARIABLE", "ACCESSOR")
_AFTER_VALUE = ("MODIFIER", "COMPARATOR", "LOGICALOP", "CLAUSE_CLOSE", "TERNARY", "SEPARATOR")
_OPERAND = (
    "PREFIX",
    "NUMERIC",
    "BOOLEAN",
    "VARIABLE",
    "FUNCTION",
    "ACCESSOR",
    "STRING",
    "TIME",
    "CLAUSE",
)
# kind -> (may end the expression, kinds that may follow), as govaluate's lexerState table
TRANSITIONS: dict[str, tuple[bool, frozenset[str]]] = {
    "UNKNOWN": (False, frozenset({*_OPERAND, "PATTERN"})),
    "CLAUSE": (False, frozenset({*_OPERAND, "PATTERN", "CLAUSE_CLOSE"})),
    "CLAUSE_CLOSE": (
        True,
        frozenset(
            {*_AFTER_VALUE, "NUMERIC", "BOOLEAN", "VARIABLE", "STRING", "PATTERN", "TIME", "CLAUSE"}
        ),
    ),
    **{kind: (True, frozenset(_AFTER_VALUE)) for kind in _VALUES},
    "MODIFIER": (False, frozenset({*_OPERAND, "CLAUSE_CLOSE"}) - {"TIME"}),
    "COMPARATOR": (False, frozenset({*_OPERAND, "CLAUSE_CLOSE", "PATTERN"})),
    "LOGICALOP": (False, frozenset({*_OPERAND, "CLAUSE_CLOSE"})),
    "PREFIX": (
        False,
        frozenset(
            {"NUMERIC", "BOOLEAN", "VARIABLE", "FUNCTION", "ACCESSOR", "CLAUSE", "CLAUSE_CLOSE"}
        ),
    ),
    "TERNARY": (False, frozenset({*_OPERAND, "SEPARATOR"})),
    "SEPARATOR": (False, frozenset({*_OPERAND, "CLAUSE_CLOSE"})),
}
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}([ T]\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?)?(Z|[+-]\d{2}:?\d{2})?"
)


class GovaluateError(Exception):
    """govaluate refused the expression; the message is govaluate's own."""


@dataclass
class Token:
    kind: str
    value: object


def _is_variable_char(char: str) -> bool:
    return char.isalpha() or char.isdigit() or char in "_."


def _is_symbol_char(char: str) -> bool:
    return not (char.isdigit() or char.isalpha() or char in "()[]'\"")


def _parse_time(text: str) -> float | None:
    """Quoted strings that look like dates become times (seconds since the epoch)."""
    if not _TIME.fullmatch(text):
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return float(int(moment.timestamp()))


class _Stream:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def more(self) -> bool:
        return self.at < len(self.text)

    def read_until(self, keep: bool, stop_at_space: bool, condition: object) -> tuple[str, bool]:
        """govaluate's readUntilFalse: (text, whether a non-matching character ended it)."""
        out: list[str] = []
        while self.more():
            char = self.text[self.at]
            self.at += 1
            if char == "\\" and self.more():  # a backslash escapes anything
                out.append(self.text[self.at])
                self.at += 1
                continue
            if char.isspace():
                if stop_at_space and out:
                    return "".join(out), True
                if not keep:
                    continue
            if condition(char):  # type: ignore[operator]
                out.append(char)
            else:
                self.at -= 1
                return "".join(out), True
        return "".join(out), False


def tokenize(text: str) -> list[Token]:
    """govaluate's `parseTokens`, then its balance and transition checks."""
    stream, tokens, state = _Stream(text), [], "UNKNOWN"
    while stream.more():
        char = text[stream.at]
        stream.at += 1
        if char.isspace():
            continue
        token = _read(stream, char, state)
        tokens.append(token)
        state = token.kind
    _check(tokens)
    return tokens


def _read(stream: _Stream, char: str, state: str) -> Token:
    if char.isdigit() or char == ".":
        if char == "0" and stream.text[stream.at : stream.at + 1] == "x":
            stream.at += 1
            digits, _ = stream.read_until(False, True, lambda c: c in "0123456789abcdefABCDEF")
            try:
                return Token("NUMERIC", float(int(digits, 16)))
            except ValueError:
                raise GovaluateError(f"Unable to parse hex value '{digits}' to uint64\n") from None
        stream.at -= 1
        digits, _ = stream.read_until(False, True, lambda c: c.isdigit() or c == ".")
        try:
            return Token("NUMERIC", float(digits))
        except ValueError:
            raise GovaluateError(f"Unable to parse numeric value '{digits}' to float64\n") from None
    if char == ",":
        return Token("SEPARATOR", ",")
    if char == "[":
        name, closed = stream.read_until(True, False, lambda c: c != "]")
        if not closed:
            raise GovaluateError("Unclosed parameter bracket")
        stream.at += 1
        return Token("VARIABLE", name)
    if char.isalpha():
        stream.at -= 1
        word, _ = stream.read_until(False, True, _is_variable_char)
        return _word(word)
    if char in "'\"":
        value, closed = stream.read_until(True, False, lambda c: c not in "'\"")
        if not closed:
            raise GovaluateError("Unclosed string literal")
        stream.at += 1
        moment = _parse_time(value)
        return Token("STRING", value) if moment is None else Token("TIME", moment)
    if char == "(":
        return Token("CLAUSE", "(")
    if char == ")":
        return Token("CLAUSE_CLOSE", ")")
    stream.at -= 1
    symbol, _ = stream.read_until(False, True, _is_symbol_char)
    if "PREFIX" in TRANSITIONS[state][1] and symbol in PREFIXES:
        return Token("PREFIX", symbol)
    for kind, symbols in (("MODIFIER", MODIFIERS), ("LOGICALOP", LOGICALS),
                          ("COMPARATOR", COMPARATORS), ("TERNARY", TERNARIES)):  # fmt: skip
        if symbol in symbols:
            return Token(kind, symbol)
    raise GovaluateError(f"Invalid token: '{symbol}'")


def _word(word: str) -> Token:
    if word in ("true", "false"):
        return Token("BOOLEAN", word == "true")
    if word in ("in", "IN"):
        return Token("COMPARATOR", "in")
    if "." in word[1:]:
        if word.endswith("."):
            raise GovaluateError(f"Hanging accessor on token '{word}'")
        parts = word.split(".")
        for part in parts[1:]:
            if part[:1] != part[:1].upper():
                raise GovaluateError(
                    f"Unable to access unexported field '{part}' in token '{word}'"
                )
        return Token("ACCESSOR", parts)
    return Token("VARIABLE", word)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        from kflow.workflows.govalues import format_float

        return format_float(value)
    if isinstance(value, list):
        return "[" + " ".join(map(str, value)) + "]"
    return str(value)


def _check(tokens: list[Token]) -> None:
    depth = 0
    for token in tokens:
        depth += {"CLAUSE": 1, "CLAUSE_CLOSE": -1}.get(token.kind, 0)
        if depth < 0:
            break
    if depth != 0:
        raise GovaluateError("Unbalanced parenthesis")
    state, last = "UNKNOWN", Token("UNKNOWN", None)
    for token in tokens:
        if token.kind not in TRANSITIONS[state][1]:
            if last.kind == "VARIABLE" and token.kind == "CLAUSE":
                raise GovaluateError(f"Undefined function {last.value}")
            raise GovaluateError(
                f"Cannot transition token types from {state} [{_shown(last.value) if last.value is not None else '<nil>'}] "
                f"to {token.kind} [{_shown(token.value)}]"
            )
        state, last = token.kind, token
    if not TRANSITIONS[state][0]:
        raise GovaluateError("Unexpected end of expression")
