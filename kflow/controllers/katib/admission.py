"""Search settings checked when an Experiment is admitted, not when its search starts.

Katib learns that an algorithm setting is wrong only when the suggestion service
validates it, after the experiment exists, and then fails the experiment. kflow's
algorithms are in-process, so their own validation (`kflow.tuning.validate_search`)
joins the Experiment's admission: `kubectl apply` answers 422 with the field and what
is allowed. The suggestion controller still fails a search that breaks at run time.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kflow.api.errors import Cause
from kflow.api.kinds import Registry, registry
from kflow.tuning import validate_search

EXPERIMENTS = "experiments.kubeflow.org"


def validate_search_settings(obj: dict[str, Any], old: dict[str, Any] | None) -> list[Cause]:
    """The search algorithm's and early stopping's complaints about an Experiment."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    return [Cause(field, message) for field, message in validate_search(spec)]


def register_search_validation(kinds: Registry = registry) -> None:
    """Add `validate_search_settings` to the Experiment kind (once)."""
    info = kinds.by_resource(EXPERIMENTS)
    if validate_search_settings in info.validators:
        return
    kinds.register(
        dataclasses.replace(info, validators=(*info.validators, validate_search_settings))
    )
