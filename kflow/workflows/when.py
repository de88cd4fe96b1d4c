"""Steps' and DAG tasks' `when` conditions, evaluated as Argo does: with govaluate.

Argo substitutes `{{...}}` first, then parses the text with govaluate and turns every
bare word (a govaluate variable) into a string, so `heads == heads` and
`{{item}} =~ hea` work without quotes. Numbers compare as numbers, `=~`/`!~` are
regular-expression searches, `&& || !` and parentheses combine them; a value with
spaces, `-` or a leading `^` must be quoted, as in Argo.
"""

from __future__ import annotations

from kflow.workflows.errors import WhenError
from kflow.workflows.govaluate import plan
from kflow.workflows.govaluate_lexer import GovaluateError, Token, tokenize
from kflow.workflows.govalues import go_format


def evaluate_when(when: str) -> bool:
    """True when the (already substituted) condition holds; "" means always.

    Raises `WhenError` with Argo's message (`Invalid 'when' expression '...': ...`).
    """
    if when == "":
        return True
    try:
        tokens = tokenize(when)
    except GovaluateError as error:
        hint = (
            ' (hint: try wrapping the affected expression in quotes ("))'
            if "Invalid token" in str(error)
            else ""
        )
        raise WhenError(f"Invalid 'when' expression '{when}': {error}{hint}") from None
    # Argo's trick: govaluate variables are not used, so bare words are strings
    words = [Token("STRING", t.value) if t.kind == "VARIABLE" else t for t in tokens]
    try:
        planned = plan(words)
    except GovaluateError as error:
        raise WhenError(f"Failed to parse 'when' expression '{when}': {error}") from None
    try:
        result = planned.evaluate()
    except GovaluateError as error:
        raise WhenError(f"Failed to evaluate 'when' expresion '{when}': {error}") from None
    if not isinstance(result, bool):
        raise WhenError(f"Expected boolean evaluation for '{when}'. Got {go_format(result)}")
    return result
