"""Loops, enums, JSONPath and aggregated outputs, as Argo's controller produces them."""

from __future__ import annotations

import pytest

from kflow.workflows.errors import ParameterError
from kflow.workflows.goprintf import sprintf_int
from kflow.workflows.params import (
    aggregate_outputs,
    aggregate_parameter_maps,
    aggregate_results,
    check_enum,
    expand_sequence,
    item_scope,
    item_text,
    items_from_param,
    json_path,
    loop_node_name,
)


@pytest.mark.parametrize(
    ("sequence", "items"),
    [
        ({"count": 5}, ["0", "1", "2", "3", "4"]),
        ({"count": "3", "start": "1"}, ["1", "2", "3"]),
        ({"start": 100, "end": 102}, ["100", "101", "102"]),
        ({"start": 5, "end": 2}, ["5", "4", "3", "2"]),  # counts down
        ({"count": 0}, []),
        ({"start": 1, "end": 3, "count": 10}, ["1", "2", "3"]),  # end wins
        ({"count": 3, "format": "%02d"}, ["00", "01", "02"]),
        ({"start": 1, "end": 2, "format": "test%d"}, ["test1", "test2"]),
        ({"start": 9, "end": 10, "format": "0x%X"}, ["0x9", "0xA"]),
    ],
)
def test_with_sequence(sequence: dict[str, object], items: list[str]) -> None:
    assert expand_sequence(**sequence) == items  # type: ignore[arg-type]


def test_with_sequence_errors() -> None:
    with pytest.raises(ParameterError, match="neither end nor count was specified in withSequence"):
        expand_sequence(start=1)
    with pytest.raises(
        ParameterError, match=r'withSequence.count: strconv.Atoi: parsing "x": invalid syntax'
    ):
        expand_sequence(count="x")


@pytest.mark.parametrize(
    ("format", "value", "text"),
    [
        ("%d", 7, "7"),
        ("%03d", 7, "007"),
        ("%03d", -7, "-07"),
        ("%-4d|", 7, "7   |"),
        ("%+d", 7, "+7"),
        ("%x", 255, "ff"),
        ("%#x", 255, "0xff"),
        ("%o", 8, "10"),
        ("%b", 5, "101"),
        ("%.3d", 5, "005"),
        ("100%%-%d", 5, "100%-5"),
        ("%s", 5, "%!s(int=5)"),
        ("%d-%d", 5, "5-%!d(MISSING)"),
        ("plain", 5, "plain%!(EXTRA int=5)"),
    ],
)
def test_go_printf(format: str, value: int, text: str) -> None:
    assert sprintf_int(format, value) == text


def test_with_param_items_and_their_rendering() -> None:
    items = items_from_param(
        '[1, 1.0, "a", {"os": "debian", "version": 9.1}, [1, "x"], true, null]'
    )
    assert [item_text(item) for item in items] == [
        "1",
        "1.0",
        "a",
        '{"os":"debian","version":9.1}',
        '[1,"x"]',
        "true",
        "null",
    ]
    assert item_scope(items[3]) == {
        "item": '{"os":"debian","version":9.1}',
        "item.os": "debian",
        "item.version": "9.1",
    }
    assert item_scope("a") == {"item": "a"}


@pytest.mark.parametrize(
    ("item", "name"),
    [
        ("hello", "print(0:hello)"),
        (3, "print(0:3)"),
        ({"version": "9.1", "os": "debian"}, "print(0:os:debian,version:9.1)"),
        ([1, 2], "print(0:[1 2])"),
        ("f(x)", "print(0:fx)"),
    ],
)
def test_loop_node_names(item: object, name: str) -> None:
    assert loop_node_name("print", 0, item) == name


@pytest.mark.parametrize("text", ['{"a": 1}', "not json", "3", ""])
def test_with_param_must_be_a_json_list(text: str) -> None:
    with pytest.raises(ParameterError, match="withParam value could not be parsed as a JSON list"):
        items_from_param(text)


def test_enum() -> None:
    check_enum("message", "one", ["one", "two"])
    with pytest.raises(ParameterError) as caught:
        check_enum("message", "three", ["one", "two"], prefix="spec.arguments.parameters.")
    assert str(caught.value).startswith(
        "spec.arguments.parameters.message.value should be present in spec.arguments.parameters.message.enum list"
    )
    assert "'one', 'two'" in str(caught.value)
    with pytest.raises(ParameterError, match=r"message.enum should contain at least one value"):
        check_enum("message", "x", [])
    with pytest.raises(ParameterError, match=r"message.value is required"):
        check_enum("message", None, ["x"])


def test_json_path_is_kubectls_template() -> None:
    resource = '{"metadata": {"name": "job-1"}, "status": {"phase": "Running", "conditions": [{"type": "A"}, {"type": "B"}]}}'
    assert json_path(resource, "{.metadata.name}") == "job-1"
    assert json_path(resource, "phase={.status.phase}") == "phase=Running"
    assert json_path(resource, "{.status.conditions[*].type}") == "A B"
    assert json_path(resource, "{.status.conditions[0]}") == '{"type":"A"}'
    assert json_path("status:\n  phase: Done\n", "{.status.phase}") == "Done"
    with pytest.raises(ParameterError, match="is not found"):
        json_path(resource, "{.status.missing}")


def test_aggregated_loop_outputs() -> None:
    assert aggregate_outputs(["1", "2"]) == '["1","2"]'
    assert aggregate_outputs(["a", '{"x": 1}']) == '["a","{\\"x\\": 1}"]'
    assert aggregate_outputs(['{"x": 1}', "[2.0]"]) == '[{"x":1},[2.0]]'
    assert aggregate_outputs([]) == "[]"
    assert aggregate_results(["hello", '{"a": 1}', "3"]) == '["hello",{"a":1},3]'
    assert aggregate_parameter_maps([{"p": "1"}, {"p": "2"}]) == '[{"p":"1"},{"p":"2"}]'
