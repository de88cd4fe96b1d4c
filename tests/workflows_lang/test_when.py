"""`when` conditions: govaluate semantics as Argo uses them (examples/conditionals*.yaml)."""

from __future__ import annotations

import pytest

from kflow.workflows.errors import WhenError
from kflow.workflows.variables import substitute
from kflow.workflows.when import evaluate_when


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("", True),
        ("heads == heads", True),
        ("heads == tails", False),
        ("heads != tails", True),
        (
            "( heads == heads &&\n  tails == tails\n) ||\n( heads == tails &&\n  tails == tails )",
            True,
        ),
        ("tails =~ tai", True),
        ("hello =~ hea", False),
        ("hello !~ hea", True),
        ("hello =~ '^hel'", True),
        ("5 > 3", True),
        ("10 > 9", True),  # numbers, not strings: "10" < "9" as text
        ("10 > 9.5", True),
        ("8 <= 8", True),
        ("1 == 1.0", True),
        ("1 == '1'", False),
        ("apple < banana", True),
        ("'hello world' == 'hello world'", True),
        ('"a b" != "a c"', True),
        ("true", True),
        ("false || true", True),
        ("!(a == b)", True),
        ("!false && true", True),
        ("a in (a, b)", True),
        ("c in (a, b)", False),
        ("3 + 4 == 7", True),
        ("2 * 3 > 5", True),
        ("a + b == ab", True),
        ("-1 < 0", True),
        ("Succeeded == Succeeded && 0 == 0", True),
        ("[hello-world] == 'hello-world'", True),
        ("'2024-01-02' < '2024-01-03'", True),
        ("false && x", False),  # short-circuits before checking the right side
    ],
)
def test_evaluates_like_govaluate(when: str, expected: bool) -> None:
    assert evaluate_when(when) is expected


def test_after_substitution_like_argos_coinflip() -> None:
    scope = {"steps.flip-coin.outputs.result": "heads", "item": "hello"}
    assert evaluate_when(
        substitute("{{steps.flip-coin.outputs.result}} == heads", scope, strict=True)
    )
    assert not evaluate_when(
        substitute("{{steps.flip-coin.outputs.result}} == tails", scope, strict=True)
    )
    assert evaluate_when(substitute("{{item}} =~ hel", scope, strict=True))


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (
            "hello world == hello world",
            "Invalid 'when' expression 'hello world == hello world': Cannot transition token types "
            "from VARIABLE [hello] to VARIABLE [world]",
        ),
        (
            "x ==-1",
            "Invalid 'when' expression 'x ==-1': Invalid token: '==-' "
            '(hint: try wrapping the affected expression in quotes ("))',
        ),
        ("(a == b", "Invalid 'when' expression '(a == b': Unbalanced parenthesis"),
        ("a ==", "Invalid 'when' expression 'a ==': Unexpected end of expression"),
        ("'open == x", "Invalid 'when' expression ''open == x': Unclosed string literal"),
        ("1.2.3 == x", "Unable to parse numeric value '1.2.3' to float64"),
        ("x =~ ^x", "Cannot transition token types from COMPARATOR [=~] to MODIFIER [^]"),
        ("v.lower == x", "Unable to access unexported field 'lower' in token 'v.lower'"),
        ("heads", "Expected boolean evaluation for 'heads'. Got heads"),
        ("5", "Expected boolean evaluation for '5'. Got 5"),
        (
            "hello-world == hello-world",
            "Failed to evaluate 'when' expresion 'hello-world == hello-world': "
            "Value 'hello' cannot be used with the modifier '-', it is not a number",
        ),
        ("2 > a", "Value '2' cannot be used with the comparator '>', it is not a number"),
        ("a && true", "Value 'a' cannot be used with the logical operator '&&', it is not a bool"),
        ("V1.X == V1.X", "No parameter 'V1' found."),
        ("x =~ '('", "Failed to parse 'when' expression"),
    ],
)
def test_errors_carry_argos_messages(when: str, message: str) -> None:
    with pytest.raises(WhenError) as caught:
        evaluate_when(when)
    assert message in str(caught.value)
