"""`{{...}}` substitution: cases from Argo's util/template replace tests and docs."""

from __future__ import annotations

import pytest

from kflow.workflows.errors import ExpressionError, TemplateError, UnresolvedVariable
from kflow.workflows.variables import expand, expression_env, substitute, substitute_tree, tags

SCOPE = {
    "inputs.parameters.message": "hello world",
    "inputs.parameters.my-int-param": "41",
    "inputs.parameters.json": '{"some": {"path": "found"}, "list": [1, 2]}',
    "workflow.name": "wf-abc",
    "tasks.flip-coin.outputs.result": "heads",
    "item": "a",
    "foo": "bar",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{foo}}", "bar"),
        ("{{ inputs.parameters.message }}", "hello world"),
        (
            "echo {{inputs.parameters.message}} from {{workflow.name}}",
            "echo hello world from wf-abc",
        ),
        ("no tags at all", "no tags at all"),
        ("{{=foo}}", "bar"),
        ("{{=asInt(inputs.parameters['my-int-param']) + 1}}", "42"),
        ("{{=asFloat(inputs.parameters['my-int-param']) / 2}}", "20.5"),
        ("{{=string(1)}}", "1"),
        ("{{=toJson([1, 2])}}", "[1,2]"),
        ("{{=[1, 2]}}", "[1,2]"),
        ("{{=filter([1, 2], { # > 1})}}", "[2]"),
        ("{{=map([1, 2], { # * 2 })}}", "[2,4]"),
        ("{{=jsonpath(inputs.parameters.json, '$.some.path')}}", "found"),
        ("{{=jsonpath(inputs.parameters.json, '$.list')}}", "[1,2]"),
        ("{{=sprig.trim('  x  ')}}", "x"),
        ("test {{= sprig.trunc(5, inputs.parameters.message) }}", "test hello"),
        ("test {{= sprig.trunc(-5, inputs.parameters.message) }}", "test world"),
        ("{{=tasks['flip-coin'].outputs.result == 'heads'}}", "true"),
        ("{{=sprig.dig('name', nil, workflow)}}", "wf-abc"),
        ("{{=1.5 * 2}}", "3"),
        # a map result is JSON, keys sorted and HTML-escaped like Go's json.Marshal
        ("{{= {'b': 1, 'a': '<x>'} }}", '{"a":"\\u003cx\\u003e","b":1}'),
    ],
)
def test_substitutes_like_argo(text: str, expected: str) -> None:
    assert substitute(text, SCOPE, strict=True) == expected


@pytest.mark.parametrize(
    "text",
    [
        "{{missing}}",
        "{{=missing}}",
        "{{=sprig.int(retries)}}",
        '{{=workflow.status == "Succeeded" ? "SUCCESSFUL" : "FAILED"}}',
        '{{=workflow.failures == "x" ? "a" : "b"}}',
        "{{=asInt(lastRetry.exitCode) > 1}}",
        "{{=!}}",
        "{{=tasks.nope.outputs.result}}",  # nil: unresolved until the task has run
    ],
)
def test_unresolved_is_left_for_later_when_not_strict(text: str) -> None:
    assert substitute(text, SCOPE, strict=False) == text


def test_late_variables_resolve_once_present() -> None:
    scope = {"workflow.status": "Failed", "retries": "2"}
    expression = '{{=workflow.status == "Succeeded" ? "SUCCESSFUL" : "FAILED"}}'
    assert substitute(expression, scope, strict=False) == "FAILED"
    assert substitute("{{=sprig.int(retries) * 10}}", scope, strict=False) == "20"


def test_strict_simple_tag_uses_argos_message() -> None:
    with pytest.raises(
        UnresolvedVariable, match=r"^failed to resolve \{\{inputs.parameters.x\}\}$"
    ):
        substitute("{{inputs.parameters.x}}", SCOPE, strict=True)


def test_strict_expression_errors_name_the_problem_and_position() -> None:
    with pytest.raises(ExpressionError) as caught:
        substitute("{{=foo2}}", {}, strict=True)
    assert (
        str(caught.value) == "failed to evaluate expression: unknown name foo2 (1:1)\n | foo2\n | ^"
    )
    with pytest.raises(ExpressionError, match='failed to evaluate expression "nil"'):
        substitute("{{=nil}}", {}, strict=True)


def test_an_unclosed_tag_is_an_error_even_when_not_strict() -> None:
    with pytest.raises(TemplateError, match="cannot find end tag"):
        substitute("{{", {}, strict=False)


def test_nested_tags_resolve_inside_out() -> None:
    scope = {"inputs.parameters.message": "hello world", "item": "message"}
    text = '{{- with secret "{{inputs.parameters.message}}" -}}\n{{ .Data.data.gitcreds }}'
    assert (
        substitute(text, scope, strict=False)
        == '{{- with secret "hello world" -}}\n{{ .Data.data.gitcreds }}'
    )
    once = substitute("{{inputs.parameters.{{item}}}}", scope, strict=False)
    assert once == "{{inputs.parameters.message}}"
    assert substitute(once, scope, strict=True) == "hello world"


def test_expressions_see_a_nested_scope_and_argos_functions() -> None:
    env = expression_env({"a.b": "1", "a.c.d": "2", "a": "3", "ab": "4", "asInt": "shadowed"})
    assert env["a"] == {"b": "1", "c": {"d": "2"}}
    assert env["ab"] == "4"
    assert callable(env["asInt"]) and callable(env["jsonpath"]) and isinstance(env["sprig"], dict)
    assert expand({"x": "1"}) == {"x": "1"}


def test_tags_lists_simple_references_only() -> None:
    assert tags("{{ a }} {{=b}} {{tasks.A.outputs.result}}") == ["a", "tasks.A.outputs.result"]


def test_substitute_tree_walks_values_and_keys() -> None:
    tree = {"args": ["{{foo}}", 3, {"{{item}}": "{{workflow.name}}"}], "n": None}
    assert substitute_tree(tree, SCOPE, strict=True) == {
        "args": ["bar", 3, {"a": "wf-abc"}],
        "n": None,
    }
