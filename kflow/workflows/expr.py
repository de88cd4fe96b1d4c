"""The expr-lang subset Argo evaluates, without Python's `eval`.

Argo hands expressions to expr-lang (github.com/expr-lang/expr) in `{{= }}` tags,
`valueFrom.expression`, `retryStrategy.expression`, lifecycle hook expressions and DAG
`depends`. `compile_expression` parses one once (`expr_parser`) into a tree that
`Expression.evaluate` runs against an environment of plain Python values (str, int,
float, bool, None, list, dict, callables); names not in the environment fall back to
expr-lang's builtins (`len`, `int`, `filter`, ...). Semantics follow expr-lang: `/`
always yields a float, `%` wants integers, `==` compares numbers across int/float,
`?.` and `??` are nil-safe, and a missing map key reads as nil.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from kflow.workflows import expr_builtins as builtins
from kflow.workflows import expr_parser as ast
from kflow.workflows.errors import ExpressionError
from kflow.workflows.govalues import go_format


class _NilChain:
    """What an `a?.b` whose `a` is nil yields, so the rest of the chain is skipped."""


_SKIPPED = _NilChain()


class Expression:
    """A parsed expression; `evaluate` runs it against an environment."""

    def __init__(self, source: str, tree: ast.Node) -> None:
        self.source = source
        self.tree = tree

    def evaluate(self, env: Mapping[str, object]) -> object:
        """The expression's value; raises `ExpressionError` if it cannot be computed."""
        return _Evaluator(self.source, env).value(self.tree)

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def compile_expression(source: str) -> Expression:
    """Parse `source`; raises `ExpressionError` with the position of a syntax error."""
    return Expression(source, ast.parse(source))


def evaluate(source: str, env: Mapping[str, object]) -> object:
    """Compile and run `source` against `env`."""
    return compile_expression(source).evaluate(env)


def evaluate_bool(source: str, env: Mapping[str, object]) -> bool:
    """Run `source` and insist on a boolean, like Argo's `argoexpr.EvalBool`."""
    result = evaluate(source, env)
    if not isinstance(result, bool):
        raise ExpressionError(f"unable to cast expression result '{go_format(result)}' to bool")
    return result


def format_value(value: object) -> str:
    """`value` as Go's `fmt.Sprintf("%v", value)` prints it (what Argo stores)."""
    return go_format(value)


class _Evaluator:
    def __init__(self, source: str, env: Mapping[str, object]) -> None:
        self.source = source
        self.env = env
        self.pointers: list[dict[str, object]] = []

    def fail(self, message: str, node: ast.Node) -> ExpressionError:
        return ExpressionError(message, self.source, node.position)

    def value(self, node: ast.Node) -> object:
        result = self.raw(node)
        return None if result is _SKIPPED else result

    def raw(self, node: ast.Node) -> object:
        if isinstance(node, ast.Literal):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Pointer):
            return self.pointer(node)
        if isinstance(node, ast.Member):
            return self.member(node)
        if isinstance(node, ast.Slice):
            return self.slice(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Unary):
            return self.unary(node)
        if isinstance(node, ast.Binary):
            return self.binary(node)
        if isinstance(node, ast.Conditional):
            return self.conditional(node)
        if isinstance(node, ast.ArrayLiteral):
            return [self.value(item) for item in node.items]
        if isinstance(node, ast.MapLiteral):
            return {str(self.value(k)): self.value(v) for k, v in node.pairs}
        raise self.fail("a closure can only be an argument of a predicate such as filter", node)

    def name(self, node: ast.Name) -> object:
        if node.name in self.env:
            return self.env[node.name]
        if node.name in builtins.FUNCTIONS:
            return builtins.FUNCTIONS[node.name]
        raise self.fail(f"unknown name {node.name}", node)

    def pointer(self, node: ast.Pointer) -> object:
        if not self.pointers:
            raise self.fail("cannot use pointer accessor outside predicate", node)
        scope = self.pointers[-1]
        if node.name not in scope:
            raise self.fail(f"unknown pointer #{node.name}", node)
        return scope[node.name]

    def member(self, node: ast.Member) -> object:
        target = self.raw(node.target)
        if target is _SKIPPED:
            return _SKIPPED
        key = self.value(node.key)
        if target is None:
            if node.optional:
                return _SKIPPED
            raise self.fail(f"cannot fetch {go_format(key)} from <nil>", node)
        return self.fetch(target, key, node)

    def fetch(self, target: object, key: object, node: ast.Node) -> object:
        if isinstance(target, Mapping):
            return target.get(key) if isinstance(key, str) else None
        if isinstance(target, (str, Sequence)):
            if not isinstance(key, int) or isinstance(key, bool):
                raise self.fail(
                    f"cannot fetch {go_format(key)} from {builtins.type_name(target)}", node
                )
            index = key + len(target) if key < 0 else key
            if not 0 <= index < len(target):
                raise self.fail(f"index out of range: {key} (array length is {len(target)})", node)
            return target[index]
        raise self.fail(f"cannot fetch {go_format(key)} from {builtins.type_name(target)}", node)

    def slice(self, node: ast.Slice) -> object:
        target = self.value(node.target)
        if not isinstance(target, (str, list, tuple)):
            raise self.fail(f"cannot slice {builtins.type_name(target)}", node)
        low = 0 if node.low is None else self.value(node.low)
        high = len(target) if node.high is None else self.value(node.high)
        if not isinstance(low, int) or not isinstance(high, int):
            raise self.fail("slice bounds must be integers", node)
        low, high = max(0, min(low, len(target))), max(0, min(high, len(target)))
        return target[low:high]

    def call(self, node: ast.Call) -> object:
        function = node.function
        if (
            isinstance(function, ast.Name)
            and function.name not in self.env
            and function.name in builtins.PREDICATES
        ):
            return self.predicate(function.name, node)
        target = self.raw(function)
        if target is _SKIPPED:
            return _SKIPPED
        if not callable(target):
            raise self.fail(f"{builtins.type_name(target)} is not callable", node)
        arguments = [self.value(argument) for argument in node.arguments]
        try:
            return target(*arguments)
        except ExpressionError:
            raise
        except (ArithmeticError, LookupError, TypeError, ValueError) as error:
            raise self.fail(str(error), node) from None

    def predicate(self, name: str, node: ast.Call) -> object:
        if not node.arguments:
            raise self.fail(f"not enough arguments to call {name}", node)
        collection = self.value(node.arguments[0])
        rest: list[object] = []
        for position, argument in enumerate(node.arguments[1:]):
            if (
                position == 0
            ):  # the closure; later arguments (sortBy's order, reduce's start) are values
                body = argument.body if isinstance(argument, ast.Closure) else argument
                rest.append(self.closure(body))
            else:
                rest.append(
                    self.value(argument.body if isinstance(argument, ast.Closure) else argument)
                )
        try:
            return builtins.PREDICATES[name](collection, *rest)
        except ExpressionError:
            raise
        except (ArithmeticError, LookupError, TypeError, ValueError) as error:
            raise self.fail(str(error), node) from None

    def closure(self, body: ast.Node) -> Callable[..., object]:
        def run(item: object, index: int = 0, acc: object = None) -> object:
            self.pointers.append({"": item, "index": index, "acc": acc})
            try:
                return self.value(body)
            finally:
                self.pointers.pop()

        return run

    def unary(self, node: ast.Unary) -> object:
        operand = self.value(node.operand)
        if node.operator in ("not", "!"):
            if not isinstance(operand, bool):
                raise self.fail(
                    f"invalid operation: {node.operator} {builtins.type_name(operand)}", node
                )
            return not operand
        if not builtins.is_number(operand):
            raise self.fail(
                f"invalid operation: {node.operator} {builtins.type_name(operand)}", node
            )
        assert isinstance(operand, (int, float))
        return -operand if node.operator == "-" else operand

    def conditional(self, node: ast.Conditional) -> object:
        condition = self.value(node.condition)
        if node.then is node.condition:  # `a ?: b`
            return (
                condition
                if condition is not None and condition is not False
                else self.value(node.otherwise)
            )
        if not isinstance(condition, bool):
            raise self.fail(
                f"non-bool expression (type {builtins.type_name(condition)}) used as condition",
                node,
            )
        return self.value(node.then if condition else node.otherwise)

    def binary(self, node: ast.Binary) -> object:
        operator = node.operator
        if operator in ("and", "&&", "or", "||"):
            return self.logical(node)
        if operator == "??":
            left = self.value(node.left)
            return self.value(node.right) if left is None else left
        left, right = self.value(node.left), self.value(node.right)
        try:
            return builtins.binary(operator, left, right)
        except (ArithmeticError, TypeError, ValueError) as error:
            raise self.fail(str(error), node) from None

    def logical(self, node: ast.Binary) -> object:
        is_and = node.operator in ("and", "&&")
        left = self.value(node.left)
        if not isinstance(left, bool):
            raise self.fail(
                f"invalid operation: {node.operator} (mismatched types {builtins.type_name(left)} and bool)",
                node,
            )
        if left is not is_and:
            return left
        right = self.value(node.right)
        if not isinstance(right, bool):
            raise self.fail(
                f"invalid operation: {node.operator} (mismatched types bool and {builtins.type_name(right)})",
                node,
            )
        return right


__all__ = ["Expression", "compile_expression", "evaluate", "evaluate_bool", "format_value"]
