"""Katib's kinds (`kubeflow.org/v1beta1`): Experiment, Trial and Suggestion.

`contracts` holds Katib's names and defaults (allowed values, default conditions,
the 40-character name limit) as one table that defaulting, validation and the
controllers read. `models`, `defaults` and `validation` are the kinds' schema and
admission hooks; `registration` ties them into `KindInfo`s. Importing this package
registers the kinds; `register_katib_kinds()` does it again harmlessly.
"""

from __future__ import annotations

from kflow.api.katib.contracts import API_VERSION, GROUP, VERSION
from kflow.api.katib.defaults import default_experiment
from kflow.api.katib.registration import (
    KATIB_COLUMNS,
    SUGGESTION_COLUMNS,
    katib_kinds,
    register_katib_kinds,
)
from kflow.api.katib.validation import validate_experiment
from kflow.api.katib.validation_template import is_meta_reference

__all__ = [
    "API_VERSION",
    "GROUP",
    "KATIB_COLUMNS",
    "SUGGESTION_COLUMNS",
    "VERSION",
    "default_experiment",
    "is_meta_reference",
    "katib_kinds",
    "register_katib_kinds",
    "validate_experiment",
]

register_katib_kinds()
