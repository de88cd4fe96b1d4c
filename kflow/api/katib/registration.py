"""Katib's kinds as `KindInfo`s, and their registration into a kind registry.

Experiment, Trial and Suggestion are served at `kubeflow.org/v1beta1` with the status
subresource and their typed schemas. Columns are server-side (Tables), so `kubectl
get` prints the same as `kflow get`. A Suggestion prints what Katib's CRD prints (`TYPE`
and `STATUS` of the last condition, `REQUESTED`, `ASSIGNED`). Experiments and Trials
print more than Katib's `TYPE`/`STATUS`, because a tuning run is read from its list:
the last condition as `STATUS`, the objective value (the optimal trial's, for an
experiment) by the metric's strategy (min, max or latest), the trial counts, and a
trial's parameters. Only the Experiment has defaulting and semantic validation
upstream; the other two are written by the experiment controller and checked
against their models.
"""

from __future__ import annotations

from kflow.api.katib.contracts import GROUP, VERSION
from kflow.api.katib.defaults import default_experiment
from kflow.api.katib.models import KATIB_MODELS
from kflow.api.katib.validation import validate_experiment
from kflow.api.kinds import CellFn, Column, Defaulter, KindInfo, Obj, Registry, Validator, registry
from kflow.api.models.base import model_schema
from kflow.api.models.causes import typed_validator
from kflow.api.tables import age_column, name_column

CATEGORIES = ("all", "kubeflow", "katib")
"""The CRDs' categories, so `kubectl get katib` lists all three kinds."""


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
"""The columns Katib's CRDs print (`kubectl get suggestions` still prints these)."""


def _number(text: object) -> float | None:
    try:
        return float(str(text))
    except ValueError:
        return None


def metric_value(objective: object, observation: object, name: str | None = None) -> float | None:
    """A metric of an observation (the objective metric by default), reduced by its strategy.

    Katib keeps each metric's min, max and latest; the objective's `metricStrategies`
    say which one counts (by default max when maximizing, min when minimizing).
    """
    objective = objective if isinstance(objective, dict) else {}
    metric = name or objective.get("objectiveMetricName")
    metrics = observation.get("metrics") if isinstance(observation, dict) else None
    found = next(
        (x for x in metrics or [] if isinstance(x, dict) and x.get("name") == metric), None
    )
    if found is None:
        return None
    strategies = {
        s.get("name"): s.get("value")
        for s in objective.get("metricStrategies") or []
        if isinstance(s, dict)
    }
    default = {"maximize": "max", "minimize": "min"}.get(str(objective.get("type")), "latest")
    return _number(found.get(str(strategies.get(metric) or default)))


def trial_objective_value(trial: Obj) -> float | None:
    """A trial's objective value, from its observation."""
    spec, status = trial.get("spec") or {}, trial.get("status") or {}
    return metric_value(spec.get("objective"), status.get("observation"))


def best_objective_value(experiment: Obj) -> float | None:
    """The objective value of an experiment's current optimal trial."""
    spec, status = experiment.get("spec") or {}, experiment.get("status") or {}
    optimal = status.get("currentOptimalTrial") or {}
    return metric_value(spec.get("objective"), optimal.get("observation"))


def trial_counts(experiment: Obj) -> str:
    """`9/12` (succeeded of created), then what else is not plain: `, 1 failed, 2 running`."""
    status = experiment.get("status") or {}
    text = f"{int(status.get('trialsSucceeded') or 0)}/{int(status.get('trials') or 0)}"
    for key, label in (
        ("trialsRunning", "running"),
        ("trialsPending", "pending"),
        ("trialsFailed", "failed"),
        ("trialsEarlyStopped", "early stopped"),
        ("trialsKilled", "killed"),
        ("trialMetricsUnavailable", "without metrics"),
    ):
        if status.get(key):
            text += f", {int(status[key])} {label}"
    return text


def _best_trial(obj: Obj) -> object:
    return ((obj.get("status") or {}).get("currentOptimalTrial") or {}).get("bestTrialName")


def _algorithm(obj: Obj) -> object:
    return ((obj.get("spec") or {}).get("algorithm") or {}).get("algorithmName")


def trial_parameters(trial: Obj) -> str:
    """`lr=0.01, optimizer=adam`: a trial's assignments in spec order."""
    assignments = (trial.get("spec") or {}).get("parameterAssignments") or []
    return ", ".join(f"{a.get('name')}={a.get('value')}" for a in assignments)


def trial_metrics(trial: Obj) -> str:
    """Every metric's latest value: `Validation-accuracy=0.97, Train-accuracy=0.98`."""
    metrics = ((trial.get("status") or {}).get("observation") or {}).get("metrics") or []
    return ", ".join(f"{x.get('name')}={x.get('latest')}" for x in metrics)


EXPERIMENT_COLUMNS = (
    name_column(),
    Column("STATUS", condition_type, description="The type of the last condition."),
    Column(
        "BEST",
        best_objective_value,
        "number",
        "The objective value of the optimal trial so far, by the metric's strategy.",
    ),
    Column("TRIALS", trial_counts, description="Trials succeeded of created, and the others."),
    Column("ALGORITHM", _algorithm, description="The search algorithm.", priority=1),
    Column("OPTIMAL TRIAL", _best_trial, description="The best trial so far.", priority=1),
    age_column(),
)
"""`kubectl get experiments`: Katib's `TYPE` as STATUS, the best value and trial counts."""

TRIAL_COLUMNS = (
    name_column(),
    Column("STATUS", condition_type, description="The type of the last condition."),
    Column(
        "OBJECTIVE",
        trial_objective_value,
        "number",
        "The objective metric's value, by its strategy.",
    ),
    Column("PARAMETERS", trial_parameters, description="The trial's parameter assignments."),
    Column("METRICS", trial_metrics, description="Each metric's latest value.", priority=1),
    age_column(),
)
"""`kubectl get trials`: the state, the objective value and the parameters of each trial."""

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
        validators=(typed_validator(model), *validators),
        columns=columns,
    )


def katib_kinds() -> list[KindInfo]:
    """Experiment, Trial and Suggestion, as kflow serves them."""
    return [
        _kind(
            "Experiment",
            "experiments",
            EXPERIMENT_COLUMNS,
            defaulters=(default_experiment,),
            validators=(validate_experiment,),
        ),
        _kind("Trial", "trials", TRIAL_COLUMNS),
        _kind("Suggestion", "suggestions", SUGGESTION_COLUMNS),
    ]


def register_katib_kinds(target: Registry | None = None) -> list[KindInfo]:
    """Register Katib's kinds into `target` (the process registry by default); idempotent."""
    into = registry if target is None else target
    return [into.register(info) for info in katib_kinds()]
