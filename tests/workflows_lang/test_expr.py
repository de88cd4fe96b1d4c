"""The expr-lang evaluator: semantics that Argo's expressions rely on."""

from __future__ import annotations

import math

import pytest

from kflow.workflows.errors import ExpressionError
from kflow.workflows.expr import compile_expression, evaluate, evaluate_bool, format_value

ENV: dict[str, object] = {
    "inputs": {"parameters": {"x": "3", "my-param": "abc", "json": '{"a": [1, 2]}'}},
    "tasks": {"A": {"outputs": {"result": "heads"}}},
    "n": 5,
    "f": 2.5,
    "items": [3, 1, 2],
    "nothing": None,
    "m": {"k": "v"},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("6 / 3", 2.0),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("2 ** 3 ** 2", 512.0),
        ("2 ^ 10", 1024.0),
        ("n + f", 7.5),
        ("-n", -5),
        ("'a' + 'b'", "ab"),
        ("1 == 1.0", True),
        ("1 == '1'", False),
        ("nil == nil", True),
        ("nothing == nil", True),
        ("'abc' < 'abd'", True),
        ("n >= 5 && f < 3", True),
        ("n > 5 || f > 2", True),
        ("not true", False),
        ("!(n == 5)", False),
        ("true and false or true", True),
        ("2 in [1, 2]", True),
        ("'k' in m", True),
        ("'x' not in m", True),
        ("'hello' matches '^h.l'", True),
        ("'hello' not matches 'z'", True),
        ("'hello' contains 'ell'", True),
        ("'hello' startsWith 'he' and 'hello' endsWith 'lo'", True),
        ("n > 3 ? 'big' : 'small'", "big"),
        ("nothing ?: 'fallback'", "fallback"),
        ("nothing ?? 'default'", "default"),
        ("nothing?.deep.er", None),
        ("m.missing", None),
        ("m['k']", "v"),
        ("items[0]", 3),
        ("items[-1]", 2),
        ("items[1:]", [1, 2]),
        ("'hello'[1:3]", "el"),
        ("inputs.parameters['my-param']", "abc"),
        ("tasks.A.outputs.result == 'heads'", True),
        ("int(inputs.parameters.x) * 2", 6),
        ("float('1.5') + 1", 2.5),
        ("int(3.9)", 3),
        ("string(n)", "5"),
        ("string(f)", "2.5"),
        ("len(items) + len('abc') + len(m)", 7),
        ("upper('a') + lower('B') + trim('  c ')", "Abc"),
        ("split('a,b', ',')", ["a", "b"]),
        ("join(['a', 'b'], '-')", "a-b"),
        ("replace('aXa', 'X', 'b')", "aba"),
        ("max(1, 4, 2) + min(items)", 5),
        ("sum(items)", 6),
        ("filter(items, # > 1)", [3, 2]),
        ("map(items, {# * 10})", [30, 10, 20]),
        ("map(items, #index)", [0, 1, 2]),
        (
            "all(items, # > 0) && any(items, # == 2) && none(items, # > 5) && one(items, # == 1)",
            True,
        ),
        ("count(items, # > 1)", 2),
        ("find(items, # < 3)", 1),
        ("findIndex(items, # == 2)", 2),
        ("sortBy(items, #)", [1, 2, 3]),
        ("sort(items, 'desc')", [3, 2, 1]),
        ("reduce(items, #acc + #, 0)", 6),
        ("items | filter(# > 1) | map(# + 1)", [4, 3]),
        ("1..3", [1, 2, 3]),
        ("{'a': 1, b: [1, 2]}", {"a": 1, "b": [1, 2]}),
        ("fromJSON(inputs.parameters.json).a[1]", 2),
        ("toJSON({'a': 1})", '{\n  "a": 1\n}'),
        ("0x1F + 0b11 + 0o7 + 1_000", 1041),
        ("\"tab\\there\" + '\\u00e9'", "tab\there\u00e9"),
        ("`raw\\n`", "raw\\n"),
        ("1e3", 1000.0),
        ("first(items) + last(items)", 5),
        ("keys(m)", ["k"]),
        ("abs(-2)", 2),
    ],
)
def test_evaluates_like_expr_lang(source: str, expected: object) -> None:
    result = evaluate(source, ENV)
    assert result == expected
    assert type(result) is type(expected)


def test_division_by_zero_is_a_float_like_go() -> None:
    assert evaluate("1 / 0", {}) == math.inf
    assert math.isnan(evaluate("0 / 0", {}))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("missing + 1", "unknown name missing (1:1)"),
        ("1 +", "unexpected end of expression (1:4)"),
        ("a b", 'unexpected token Identifier("b") (1:3)'),
        ("'abc", "literal not terminated (1:1)"),
        ("1 + 'a'", "invalid operation: + (mismatched types int and string)"),
        ("5 % 0", "integer divide by zero"),
        ("5.5 % 2", "invalid operation: % (mismatched types float64 and int)"),
        ("nothing.field", "cannot fetch field from <nil>"),
        ("items[7]", "index out of range: 7 (array length is 3)"),
        ("int('x')", "invalid operation: int(x)"),
        ("n ? 1 : 2", "non-bool expression (type int) used as condition"),
        ("n && true", "invalid operation: && (mismatched types int and bool)"),
        ("# > 1", "cannot use pointer accessor outside predicate"),
        ("'a' matches '('", "error parsing regexp"),
        ("@", "unrecognized character"),
    ],
)
def test_errors_say_what_and_where(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, ENV)
    assert message in str(caught.value)


def test_positions_render_under_the_source() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("n + + ")
    assert caught.value.position == 6
    assert str(caught.value).endswith("\n | n + + \n | ......^")


def test_environment_names_shadow_builtins() -> None:
    assert evaluate("split == 1", {"split": 1}) is True
    assert evaluate("join == 1", {"join": 1}) is True


def test_compiled_once_evaluates_against_many_environments() -> None:
    program = compile_expression("asInt(x) > 2")
    assert [program.evaluate({"x": v, "asInt": int}) for v in ("1", "3")] == [False, True]


def test_evaluate_bool_insists_on_a_boolean() -> None:
    assert evaluate_bool(" FOO == 1 ", {"FOO": 1}) is True
    assert evaluate_bool(" FOO == 1 ", {"FOO": 2}) is False
    with pytest.raises(ExpressionError, match="unable to cast expression result '1' to bool"):
        evaluate_bool("1", {})
    with pytest.raises(ExpressionError, match="unknown name null"):
        evaluate_bool(
            'steps["prepare"].outputs != null', {"steps": {"prepare": {"outputs": "msg"}}}
        )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "<nil>"),
        (True, "true"),
        (3, "3"),
        (1.5, "1.5"),
        (1e6, "1e+06"),
        (123456.0, "123456"),
        (1e-5, "1e-05"),
        ([1, "a"], "[1 a]"),
        ({"b": 1, "a": [2]}, "map[a:[2] b:1]"),
    ],
)
def test_format_value_prints_like_go(value: object, text: str) -> None:
    assert format_value(value) == text
