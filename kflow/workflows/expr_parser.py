"""expr-lang's grammar: a Pratt parser from tokens to a small syntax tree.

Precedences and associativity are expr-lang's (`or` 10, `and` 15, comparisons and
`in`/`matches`/`contains`/`startsWith`/`endsWith` 20, `..` 25, `+ -` 30, `* / %` 60,
`** ^` 100 right-assoc, `??` 500; unary `not !` 50, `- +` 90; `?:` lowest, `|` pipes).
Arguments after the first of a predicate builtin (`filter`, `map`, `all`, ...) are
closures, written `{ # > 1 }` or bare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kflow.workflows.errors import ExpressionError
from kflow.workflows.expr_lexer import Token, tokenize

BINARY = {
    "|": (0, False), "or": (10, False), "||": (10, False), "and": (15, False), "&&": (15, False),
    "==": (20, False), "!=": (20, False), "<": (20, False), ">": (20, False),
    "<=": (20, False), ">=": (20, False), "in": (20, False), "matches": (20, False),
    "contains": (20, False), "startsWith": (20, False), "endsWith": (20, False),
    "..": (25, False), "+": (30, False), "-": (30, False), "*": (60, False), "/": (60, False),
    "%": (60, False), "**": (100, True), "^": (100, True), "??": (500, False),
}  # fmt: skip
UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
NEGATABLE = frozenset({"in", "matches", "contains", "startsWith", "endsWith"})
PREDICATES = frozenset({
    "all", "none", "any", "one", "filter", "map", "count", "sum", "find", "findIndex",
    "findLast", "findLastIndex", "groupBy", "sortBy", "reduce",
})  # fmt: skip


@dataclass(frozen=True)
class Node:
    """A syntax tree node; `position` is its offset in the source, for errors."""

    position: int


@dataclass(frozen=True)
class Literal(Node):
    value: object


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Pointer(Node):
    name: str  # "" for `#`, "index" for `#index`, "acc" for `#acc`


@dataclass(frozen=True)
class Member(Node):
    target: Node
    key: Node
    optional: bool = False  # `?.`: nil instead of an error on a nil target


@dataclass(frozen=True)
class Slice(Node):
    target: Node
    low: Node | None
    high: Node | None


@dataclass(frozen=True)
class Call(Node):
    function: Node
    arguments: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    operator: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Conditional(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class ArrayLiteral(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class MapLiteral(Node):
    pairs: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True)
class Closure(Node):
    body: Node


@dataclass
class _Parser:
    source: str
    tokens: list[Token]
    at: int = 0
    depth: list[int] = field(default_factory=list)

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def fail(self, message: str, token: Token | None = None) -> ExpressionError:
        token = token or self.token
        return ExpressionError(message, self.source, token.position)

    def unexpected(self) -> ExpressionError:
        token = self.token
        if token.kind == "eof":
            return self.fail("unexpected end of expression")
        shown = {"operator": "Operator", "name": "Identifier", "number": "Number",
                 "string": "String", "pointer": "Pointer"}[token.kind]  # fmt: skip
        return self.fail(f'unexpected token {shown}("{token.value}")')

    def is_op(self, *values: str) -> bool:
        return self.token.kind == "operator" and self.token.value in values

    def expect(self, value: str) -> Token:
        if not self.is_op(value):
            raise self.unexpected()
        token = self.token
        self.at += 1
        return token

    def parse(self) -> Node:
        if self.token.kind == "eof":
            raise self.fail("unexpected end of expression")
        node = self.conditional()
        if self.token.kind != "eof":
            raise self.unexpected()
        return node

    def conditional(self) -> Node:
        node = self.binary(0)
        while self.is_op("?"):
            position = self.token.position
            self.at += 1
            if self.is_op(":"):  # `a ?: b`: a unless it is nil or false
                self.at += 1
                node = Conditional(position, node, node, self.conditional())
                continue
            then = self.conditional()
            self.expect(":")
            node = Conditional(position, node, then, self.conditional())
        return node

    def binary(self, minimum: int) -> Node:
        node = self.unary()
        while self.token.kind == "operator":
            operator, token = str(self.token.value), self.token
            negate = False
            if operator == "not":
                following = self.tokens[self.at + 1]
                if following.kind != "operator" or following.value not in NEGATABLE:
                    break
                negate, operator = True, str(following.value)
            if operator not in BINARY:
                break
            precedence, right_assoc = BINARY[operator]
            if precedence < minimum:
                break
            self.at += 2 if negate else 1
            if operator == "|":
                node = self.pipe(node, token)
                continue
            right = self.binary(precedence if right_assoc else precedence + 1)
            node = Binary(token.position, operator, node, right)
            if negate:
                node = Unary(token.position, "not", node)
        return node

    def pipe(self, left: Node, token: Token) -> Node:
        right = self.postfix(self.primary())
        if not isinstance(right, Call):
            raise self.fail("the right side of | must be a function call", token)
        return Call(right.position, right.function, (left, *right.arguments))

    def unary(self) -> Node:
        if self.token.kind == "operator" and self.token.value in UNARY:
            token = self.token
            self.at += 1
            operand = self.binary(UNARY[str(token.value)])
            return Unary(token.position, str(token.value), operand)
        return self.postfix(self.primary())

    def primary(self) -> Node:
        token = self.token
        self.at += 1
        if token.kind in ("number", "string"):
            return Literal(token.position, token.value)
        if token.kind == "pointer":
            return Pointer(token.position, str(token.value))
        if token.kind == "name":
            word = {"true": True, "false": False, "nil": None}
            if token.value in word:
                return Literal(token.position, word[str(token.value)])
            return Name(token.position, str(token.value))
        if token.kind == "operator":
            if token.value == "(":
                node = self.conditional()
                self.expect(")")
                return node
            if token.value == "[":
                return ArrayLiteral(token.position, tuple(self.items("]")))
            if token.value == "{":
                return self.map_literal(token)
            if token.value == ".":  # `.field` inside a closure means `#.field`
                self.at -= 1
                return Pointer(token.position, "")
        self.at -= 1
        raise self.unexpected()

    def items(self, closing: str) -> list[Node]:
        found: list[Node] = []
        while not self.is_op(closing):
            found.append(self.conditional())
            if not self.is_op(closing):
                self.expect(",")
        self.at += 1
        return found

    def map_literal(self, opening: Token) -> Node:
        pairs: list[tuple[Node, Node]] = []
        while not self.is_op("}"):
            token = self.token
            if token.kind in ("name", "string", "number"):
                self.at += 1
                key: Node = Literal(token.position, token.value)
            elif self.is_op("("):
                self.at += 1
                key = self.conditional()
                self.expect(")")
            else:
                raise self.unexpected()
            self.expect(":")
            pairs.append((key, self.conditional()))
            if not self.is_op("}"):
                self.expect(",")
        self.at += 1
        return MapLiteral(opening.position, tuple(pairs))

    def postfix(self, node: Node) -> Node:
        while self.token.kind == "operator":
            token = self.token
            if token.value in (".", "?.") and not (
                token.value == "?." and self.tokens[self.at + 1].value == "["
            ):
                self.at += 1
                name = self.token
                if name.kind not in ("name", "operator") or not str(name.value).isidentifier():
                    raise self.unexpected()
                self.at += 1
                node = Member(name.position, node, Literal(name.position, name.value),
                              token.value == "?.")  # fmt: skip
            elif token.value == "?." or token.value == "[":
                optional = token.value == "?."
                self.at += 2 if optional else 1
                node = self.subscript(node, token, optional)
            elif token.value == "(":
                self.at += 1
                node = Call(token.position, node, tuple(self.arguments(node)))
            else:
                break
        return node

    def subscript(self, node: Node, token: Token, optional: bool) -> Node:
        if self.is_op(":"):
            self.at += 1
            high = None if self.is_op("]") else self.conditional()
            self.expect("]")
            return Slice(token.position, node, None, high)
        index = self.conditional()
        if self.is_op(":"):
            self.at += 1
            high = None if self.is_op("]") else self.conditional()
            self.expect("]")
            return Slice(token.position, node, index, high)
        self.expect("]")
        return Member(token.position, node, index, optional)

    def arguments(self, function: Node) -> list[Node]:
        predicate = isinstance(function, Name) and function.name in PREDICATES
        found: list[Node] = []
        while not self.is_op(")"):
            if predicate and found:
                found.append(self.closure())
            else:
                found.append(self.conditional())
            if not self.is_op(")"):
                self.expect(",")
        self.at += 1
        return found

    def closure(self) -> Node:
        token = self.token
        if self.is_op("{"):
            self.at += 1
            body = self.conditional()
            self.expect("}")
            return Closure(token.position, body)
        return Closure(token.position, self.conditional())


def parse(source: str) -> Node:
    """The syntax tree of `source`; raises `ExpressionError` at the offending token."""
    return _Parser(source, tokenize(source)).parse()
