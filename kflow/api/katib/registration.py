"""Katib's kinds as `KindInfo`s, and their registration into a kind registry.

Experiment, Trial and Suggestion are served at `kubeflow.org/v1beta1` with the status
subresource, their typed schemas, and the columns Katib's CRDs print: `TYPE` and
`STATUS` of the last condition for all three, plus `REQUESTED` and `ASSIGNED` for a
Suggestion. Only the Experiment has defaulting and semantic validation upstream; the
other two are written by the experiment controller and checked against their models.
"""

from __future__ import annotations

from kflow.api.errors import Cause
from kflow.api.katib.contracts import GROUP, VERSION
from kflow.api.katib.defaults import default_experiment
from kflow.api.katib.models import KATIB_MODELS
from kflow.api.katib.validation import validate_experiment
from kflow.api.kinds import CellFn, Column, Defaulter, KindInfo, Obj, Registry, Validator, registry
from kflow.api.models.base import K8sModel, model_schema
from kflow.api.models.causes import model_causes
from kflow.api.tables import age_column, name_column

CATEGORIES = ("all", "kubeflow", "katib")
"""The CRDs' categories, so `kubectl get katib` lists all three kinds."""


def _typed(model: type[K8sModel]) -> Validator:
    def validate(obj: Obj, old: Obj | None) -> list[Cause]:
        return model_causes(model, obj)

    validate.__name__ = f"validate_{model.__name__}"
    return validate


def _last_condition(obj: Obj) -> dict[str, object]:
    status = obj.get("status")
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if isinstance(conditions, list) and conditions and isinstance(conditions[-1], dict):
        return conditions[-1]
    return {}


def condition_type(obj: Obj) -> str:
    """The type of the last condition (the CRDs' `.status.conditions[-1:].type`)."""
    return str(_last_condition(obj).get("type") or "")


def condition_status(obj: Obj) -> str:
    """The status of the last condition (the CRDs' `.status.conditions[-1:].status`)."""
    return str(_last_condition(obj).get("status") or "")


def _field(part: str, key: str) -> CellFn:
    def cell(obj: Obj) -> object:
        holder = obj.get(part)
        return holder.get(key) if isinstance(holder, dict) else None

    cell.__name__ = f"{part}_{key}"
    return cell


KATIB_COLUMNS = (
    name_column(),
    Column("TYPE", condition_type, description="The type of the last condition."),
    Column("STATUS", condition_status, description="The status of the last condition."),
    age_column(),
)
"""`kubectl get experiments` and `kubectl get trials`, as Katib's CRDs print them."""

SUGGESTION_COLUMNS = (
    *KATIB_COLUMNS[:3],
    Column("REQUESTED", _field("spec", "requests"), "integer", "Parameter sets requested."),
    Column("ASSIGNED", _field("status", "suggestionCount"), "integer", "Parameter sets assigned."),
    age_column(),
)
"""`kubectl get suggestions`, as Katib's CRD prints it."""


def _kind(
    kind: str,
    plural: str,
    columns: tuple[Column, ...],
    defaulters: tuple[Defaulter, ...] = (),
    validators: tuple[Validator, ...] = (),
) -> KindInfo:
    model = KATIB_MODELS[kind]
    return KindInfo(
        group=GROUP,
        version=VERSION,
        kind=kind,
        plural=plural,
        categories=CATEGORIES,
        schema=model_schema(model),
        defaulters=defaulters,
        validators=(_typed(model), *validators),
        columns=columns,
    )


def katib_kinds() -> list[KindInfo]:
    """Experiment, Trial and Suggestion, as kflow serves them."""
    return [
        _kind(
            "Experiment",
            "experiments",
            KATIB_COLUMNS,
            defaulters=(default_experiment,),
            validators=(validate_experiment,),
        ),
        _kind("Trial", "trials", KATIB_COLUMNS),
        _kind("Suggestion", "suggestions", SUGGESTION_COLUMNS),
    ]


def register_katib_kinds(target: Registry | None = None) -> list[KindInfo]:
    """Register Katib's kinds into `target` (the process registry by default); idempotent."""
    into = registry if target is None else target
    return [into.register(info) for info in katib_kinds()]
