"""Parameter values across the engine, and If/Elif/Else conditions as Argo expressions.

The conditions are evaluated with kflow's Argo template language (what the workflow
controller runs), so these tests check the whole path from kfp's CEL to a decision.
"""

from __future__ import annotations

from typing import Any

import pytest

from kflow.pipelines.conditions import Operand, to_expression
from kflow.pipelines.errors import ArgumentError, SpecError
from kflow.pipelines.values import ParameterType as T
from kflow.pipelines.values import check, collected, decode, encode, from_ir
from kflow.workflows import substitute


@pytest.mark.parametrize(
    ("value", "type_", "text"),
    [
        ("heads", T.STRING, "heads"),
        (3, T.NUMBER_INTEGER, "3"),
        (0.5, T.NUMBER_DOUBLE, "0.5"),
        (True, T.BOOLEAN, "true"),
        ([1, "a"], T.LIST, '[1,"a"]'),
        ({"k": [1]}, T.STRUCT, '{"k":[1]}'),
    ],
)
def test_values_round_trip_through_argo_strings(value: Any, type_: T, text: str) -> None:
    assert encode(value) == text
    assert decode(text, type_, "x") == value


def test_ir_numbers_become_ints_again_and_types_are_checked() -> None:
    assert from_ir(2.0, T.NUMBER_INTEGER) == 2
    assert from_ir([1.0, 2.5, {"a": 3.0}], T.LIST) == [1, 2.5, {"a": 3}]
    assert decode("3.0", T.NUMBER_INTEGER, "x") == 3
    assert check(2, T.NUMBER_DOUBLE, "x") == 2.0
    with pytest.raises(
        ArgumentError, match=r"arguments.n: expected NUMBER_INTEGER \(int\), got str"
    ):
        check("3", T.NUMBER_INTEGER, "arguments.n")
    with pytest.raises(ArgumentError, match="expected NUMBER_INTEGER"):
        check(True, T.NUMBER_INTEGER, "arguments.n")
    with pytest.raises(ArgumentError, match="not a valid LIST value"):
        decode("[1,", T.LIST, "inputs.xs")


def test_collected_items_take_their_producer_s_type() -> None:
    # Argo parses aggregated values that are JSON: string outputs "1" arrive as 1
    assert collected([1, "b", True], T.STRING, "xs") == ["1", "b", "true"]
    assert collected(["1", 2], T.NUMBER_INTEGER, "xs") == [1, 2]
    assert collected([[1], [2]], T.LIST, "xs") == [[1], [2]]


def _decide(condition: str, values: dict[str, tuple[str, T]]) -> bool:
    def resolve(name: str) -> Operand:
        return Operand(f'inputs.parameters["{name}"]', values[name][1])

    expression = to_expression(condition, resolve, "root.dag.tasks.c.triggerPolicy.condition")
    scope = {f"inputs.parameters.{k}": text for k, (text, _) in values.items()}
    result = substitute("{{=" + expression + "}}", scope, strict=True)
    assert result in ("true", "false"), result
    return result == "true"


@pytest.mark.parametrize(
    ("condition", "value", "type_", "expected"),
    [
        ("inputs.parameter_values['x'] == 'heads'", "heads", T.STRING, True),
        ("inputs.parameter_values['x'] == 'heads'", "tails", T.STRING, False),
        (
            "!(inputs.parameter_values['x'] == 'heads') && inputs.parameter_values['x'] == 'tails'",
            "tails",
            T.STRING,
            True,
        ),
        (
            "!(inputs.parameter_values['x'] == 'heads') && !(inputs.parameter_values['x'] == 'tails')",
            "tails",
            T.STRING,
            False,
        ),
        ("int(inputs.parameter_values['x']) > 2", "3", T.NUMBER_INTEGER, True),
        (
            "int(inputs.parameter_values['x']) > 2",
            "10",
            T.NUMBER_INTEGER,
            True,
        ),  # numbers, not text
        ("int(inputs.parameter_values['x']) <= 2", "10", T.NUMBER_INTEGER, False),
        ("inputs.parameter_values['x'] >= double(1)", "1.5", T.NUMBER_DOUBLE, True),
        ("inputs.parameter_values['x'] == true", "true", T.BOOLEAN, True),
        ("inputs.parameter_values['x'] == true", "false", T.BOOLEAN, False),
        ("inputs.parameter_values['x'] != 'a}}b'", "a}}b", T.STRING, False),
        (
            "inputs.parameter_values['x'] == 'a' || inputs.parameter_values['x'] == 'b'",
            "b",
            T.STRING,
            True,
        ),
    ],
)
def test_kfp_conditions_decide_as_kfp_would(
    condition: str, value: str, type_: T, expected: bool
) -> None:
    assert _decide(condition, {"x": (value, type_)}) is expected


def test_conditions_kflow_cannot_read_are_refused_with_the_field() -> None:
    with pytest.raises(
        SpecError, match=r"^root.dag.tasks.c.triggerPolicy.condition: unsupported condition"
    ):
        _decide("inputs.parameter_values['x'].size() > 1", {"x": ("a", T.STRING)})
    with pytest.raises(SpecError, match="cannot read the condition"):
        _decide("inputs.parameter_values['x'] == 'a' ; drop", {"x": ("a", T.STRING)})
