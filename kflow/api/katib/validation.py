"""Katib's validation of an Experiment (its validating webhook), as causes with field paths.

The rules are upstream's: a name of at most 40 characters that is a DNS-1123 label;
an objective with a type and a metric; an algorithm; sane trial counts; a resume
policy Katib knows; parameters whose feasible space fits their type; a trial template
with exactly one source, whose trial parameters each name an experiment parameter
(or a `${trialSpec.<meta>}` reference) and each appear in the template as
`${trialParameters.<name>}`; a metrics collector with what its kind needs. kflow
reports every problem at once, each under its field
(`spec.parameters[2].feasibleSpace.min: Invalid value: "a": must be a number`), and
goes further than upstream where a bad value would only fail later, in a suggestion:
numbers must parse, `min < max`, an int parameter's bounds must be integers, a list
must not be empty, log distributions need a positive `min`. A template kept in a
ConfigMap is checked when a trial is made from it, since admission does not read
other objects. Parameters are checked in `validation_space.py`, the trial template and
metrics collector in `validation_template.py`; `causes.py` builds the causes.
"""

from __future__ import annotations

from typing import Any

from kflow.api import meta as m
from kflow.api.errors import Cause
from kflow.api.katib import contracts as c
from kflow.api.katib.causes import (
    FORBIDDEN,
    as_dict,
    count,
    invalid,
    required,
    unsupported,
)
from kflow.api.katib.validation_space import parameters_causes
from kflow.api.katib.validation_template import collector_causes, template_causes
from kflow.api.kinds import Obj

_EDITABLE = ("parallelTrialCount", "maxTrialCount", "maxFailedTrialCount")


def validate_name(name: str) -> list[Cause]:
    """Katib's experiment-name rule: a DNS-1123 label of at most 40 characters."""
    if len(name) > c.MAX_EXPERIMENT_NAME_LENGTH:
        return [
            invalid(
                "metadata.name",
                name,
                f"must be no more than {c.MAX_EXPERIMENT_NAME_LENGTH} characters "
                "(Katib derives trial and suggestion names from it)",
            )
        ]
    return m.check_name(name, label=True)


def _count_causes(spec: Obj) -> list[Cause]:
    causes: list[Cause] = []
    failed = count(spec.get("maxFailedTrialCount"))
    most = count(spec.get("maxTrialCount"))
    parallel = count(spec.get("parallelTrialCount"))
    if failed is not None and failed < 0:
        causes.append(invalid("spec.maxFailedTrialCount", failed, "must not be less than 0"))
    if most is not None and most <= 0:
        causes.append(invalid("spec.maxTrialCount", most, "must be greater than 0"))
    if parallel is not None and parallel <= 0:
        causes.append(invalid("spec.parallelTrialCount", parallel, "must be greater than 0"))
    if failed is not None and most is not None and failed > most:
        causes.append(
            invalid(
                "spec.maxFailedTrialCount",
                failed,
                "must be less than or equal to spec.maxTrialCount",
            )
        )
    if parallel is not None and most is not None and parallel > most:
        causes.append(
            invalid(
                "spec.parallelTrialCount",
                parallel,
                "must be less than or equal to spec.maxTrialCount",
            )
        )
    return causes


def _update_causes(obj: Obj, old: Obj) -> list[Cause]:
    spec, before = as_dict(obj.get("spec")), as_dict(old.get("spec"))
    if spec == before:
        return []
    causes: list[Cause] = []
    rest = {k: v for k, v in spec.items() if k not in _EDITABLE}
    if rest != {k: v for k, v in before.items() if k not in _EDITABLE}:
        causes.append(
            Cause(
                "spec",
                "Forbidden: only spec.parallelTrialCount, spec.maxTrialCount and "
                "spec.maxFailedTrialCount are editable",
                FORBIDDEN,
            )
        )
    status = as_dict(old.get("status"))
    conditions = [as_dict(x) for x in status.get("conditions") or []]
    done = {x.get("type"): x for x in conditions if x.get("status") == "True"}
    if "Succeeded" in done or "Failed" in done:
        restartable = (
            "Failed" not in done
            and done["Succeeded"].get("reason") == "ExperimentMaxTrialsReached"
            and spec.get("resumePolicy") in ("LongRunning", "FromVolume")
        )
        if not restartable:
            causes.append(
                invalid(
                    "spec.resumePolicy",
                    spec.get("resumePolicy"),
                    "a completed experiment can be restarted only if it succeeded by reaching "
                    "spec.maxTrialCount and spec.resumePolicy is LongRunning or FromVolume",
                )
            )
    most, trials = count(spec.get("maxTrialCount")), count(status.get("trials"))
    if most is not None and trials is not None and most <= trials:
        causes.append(
            invalid("spec.maxTrialCount", most, f"must be greater than status.trials ({trials})")
        )
    return causes


def _objective_causes(objective: Any) -> list[Cause]:
    at = "spec.objective"
    if not isinstance(objective, dict):
        return [required(at)]
    causes: list[Cause] = []
    kind = objective.get("type")
    if kind not in c.OBJECTIVE_TYPES:
        causes.append(
            required(f"{at}.type", "must be minimize or maximize")
            if not kind
            else unsupported(f"{at}.type", kind, c.OBJECTIVE_TYPES)
        )
    metric = objective.get("objectiveMetricName")
    if not metric:
        causes.append(required(f"{at}.objectiveMetricName"))
    extra = objective.get("additionalMetricNames") or []
    if metric and isinstance(extra, list) and metric in extra:
        causes.append(
            invalid(
                f"{at}.additionalMetricNames",
                metric,
                "must not repeat spec.objective.objectiveMetricName",
            )
        )
    for i, strategy in enumerate(objective.get("metricStrategies") or []):
        value = as_dict(strategy).get("value")
        allowed = (c.EXTRACT_BY_MIN, c.EXTRACT_BY_MAX, c.EXTRACT_BY_LATEST)
        if value not in allowed:
            causes.append(unsupported(f"{at}.metricStrategies[{i}].value", value, allowed))
    return causes


def _algorithm_causes(spec: Obj) -> list[Cause]:
    causes: list[Cause] = []
    algorithm = spec.get("algorithm")
    if not isinstance(algorithm, dict):
        causes.append(required("spec.algorithm"))
    elif not algorithm.get("algorithmName"):
        causes.append(required("spec.algorithm.algorithmName"))
    elif algorithm["algorithmName"] not in c.ALGORITHMS:
        causes.append(
            unsupported("spec.algorithm.algorithmName", algorithm["algorithmName"], c.ALGORITHMS)
        )
    stopping = spec.get("earlyStopping")
    if isinstance(stopping, dict):
        name = stopping.get("algorithmName")
        if not name:
            causes.append(required("spec.earlyStopping.algorithmName"))
        elif name not in c.EARLY_STOPPING_ALGORITHMS:
            causes.append(
                unsupported("spec.earlyStopping.algorithmName", name, c.EARLY_STOPPING_ALGORITHMS)
            )
    policy = spec.get("resumePolicy")
    if policy and policy not in c.RESUME_POLICIES:
        causes.append(unsupported("spec.resumePolicy", policy, c.RESUME_POLICIES))
    return causes


def validate_experiment(obj: Obj, old: Obj | None = None) -> list[Cause]:
    """What is wrong with a (defaulted) Experiment; `old` is the stored one on update."""
    causes: list[Cause] = []
    name = m.name_of(obj)
    if name:
        causes += validate_name(name)
    spec = as_dict(obj.get("spec"))
    causes += _count_causes(spec)
    if old is not None:
        causes += _update_causes(obj, old)
    causes += _objective_causes(spec.get("objective"))
    causes += _algorithm_causes(spec)
    causes += template_causes(spec)
    causes += parameters_causes(spec)
    causes += collector_causes(spec)
    return causes
