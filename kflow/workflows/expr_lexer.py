"""Tokens of the expr-lang language (github.com/expr-lang/expr), with their positions.

The lexer follows expr-lang's: numbers with `_` separators and 0x/0o/0b prefixes,
strings in double or single quotes with Go escapes or in backquotes as raw text,
identifiers (letters, digits, `_`, `$`), closure pointers (`#`, `#index`, `#acc`),
word operators (`and or not in matches contains startsWith endsWith`) and symbols.
"""

from __future__ import annotations

from dataclasses import dataclass

from kflow.workflows.errors import ExpressionError

WORD_OPERATORS = frozenset(
    {"and", "or", "not", "in", "matches", "contains", "startsWith", "endsWith"}
)
# longest first, so `**` wins over `*` and `?.` over `?`
SYMBOLS = (
    "**", "??", "?.", "..", "==", "!=", "<=", ">=", "&&", "||",
    "+", "-", "*", "/", "%", "^", "<", ">", "!", "?", ":", ".", ",",
    "(", ")", "[", "]", "{", "}", "|",
)  # fmt: skip
_ESCAPES = {
    "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
    "\\": "\\", '"': '"', "'": "'", "`": "`",
}  # fmt: skip


@dataclass(frozen=True)
class Token:
    """One token: `kind` is number, string, name, pointer, operator or eof."""

    kind: str
    value: object
    position: int


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


class _Lexer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.at = 0
        self.tokens: list[Token] = []

    def fail(self, message: str, position: int) -> ExpressionError:
        return ExpressionError(message, self.source, position)

    def run(self) -> list[Token]:
        source = self.source
        while self.at < len(source):
            char = source[self.at]
            if char.isspace() or char == ";":
                self.at += 1
            elif char.isdigit() or (char == "." and source[self.at + 1 : self.at + 2].isdigit()):
                self.number()
            elif char in "\"'":
                self.quoted(char)
            elif char == "`":
                self.raw()
            elif char == "#":
                start = self.at
                self.at += 1
                while self.at < len(source) and _is_name_char(source[self.at]):
                    self.at += 1
                self.tokens.append(Token("pointer", source[start + 1 : self.at], start))
            elif char.isalpha() or char in "_$":
                start = self.at
                while self.at < len(source) and _is_name_char(source[self.at]):
                    self.at += 1
                word = source[start : self.at]
                kind = "operator" if word in WORD_OPERATORS else "name"
                self.tokens.append(Token(kind, word, start))
            else:
                self.symbol()
        self.tokens.append(Token("eof", None, len(source)))
        return self.tokens

    def symbol(self) -> None:
        for symbol in SYMBOLS:
            if self.source.startswith(symbol, self.at):
                self.tokens.append(Token("operator", symbol, self.at))
                self.at += len(symbol)
                return
        raise self.fail(f"unrecognized character: U+{ord(self.source[self.at]):04X} "
                        f"'{self.source[self.at]}'", self.at)  # fmt: skip

    def number(self) -> None:
        source, start = self.source, self.at
        if source.startswith(("0x", "0X", "0o", "0O", "0b", "0B"), start):
            self.at += 2
            while self.at < len(source) and (source[self.at].isalnum() or source[self.at] == "_"):
                self.at += 1
            base = {"x": 16, "o": 8, "b": 2}[source[start + 1].lower()]
            try:
                value: int | float = int(source[start + 2 : self.at].replace("_", ""), base)
            except ValueError:
                raise self.fail("invalid number", start) from None
            self.tokens.append(Token("number", value, start))
            return
        while self.at < len(source) and (source[self.at].isdigit() or source[self.at] == "_"):
            self.at += 1
        is_float = False
        if source.startswith(".", self.at) and not source.startswith("..", self.at):
            is_float = True
            self.at += 1
            while self.at < len(source) and (source[self.at].isdigit() or source[self.at] == "_"):
                self.at += 1
        if self.at < len(source) and source[self.at] in "eE":
            end = self.at + 1
            if end < len(source) and source[end] in "+-":
                end += 1
            if end < len(source) and source[end].isdigit():
                is_float = True
                self.at = end
                while self.at < len(source) and source[self.at].isdigit():
                    self.at += 1
        text = source[start : self.at].replace("_", "")
        try:
            value = float(text) if is_float else int(text)
        except ValueError:
            raise self.fail("invalid number", start) from None
        self.tokens.append(Token("number", value, start))

    def quoted(self, quote: str) -> None:
        source, start = self.source, self.at
        self.at += 1
        out: list[str] = []
        while True:
            if self.at >= len(source) or source[self.at] == "\n":
                raise self.fail("literal not terminated", start)
            char = source[self.at]
            if char == quote:
                self.at += 1
                break
            if char != "\\":
                out.append(char)
                self.at += 1
                continue
            out.append(self.escape(start))
        self.tokens.append(Token("string", "".join(out), start))

    def escape(self, start: int) -> str:
        source = self.source
        code = source[self.at + 1 : self.at + 2]
        if code in _ESCAPES:
            self.at += 2
            return _ESCAPES[code]
        widths = {"x": 2, "u": 4, "U": 8}
        if code in widths:
            digits = source[self.at + 2 : self.at + 2 + widths[code]]
            self.at += 2 + widths[code]
            base = 16
        elif code.isdigit():
            digits = source[self.at + 1 : self.at + 4]
            self.at += 4
            base = 8
        else:
            raise self.fail("invalid char escape", self.at)
        try:
            return chr(int(digits, base))
        except ValueError:
            raise self.fail("invalid char escape", start) from None

    def raw(self) -> None:
        start = self.at
        end = self.source.find("`", start + 1)
        if end < 0:
            raise self.fail("literal not terminated", start)
        self.tokens.append(Token("string", self.source[start + 1 : end], start))
        self.at = end + 1


def tokenize(source: str) -> list[Token]:
    """The tokens of `source`, ending with an `eof` token."""
    return _Lexer(source).run()
