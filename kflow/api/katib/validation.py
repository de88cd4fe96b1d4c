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
other objects.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from kflow.api import meta as m
from kflow.api.errors import Cause
from kflow.api.katib import contracts as c
from kflow.api.kinds import Obj

_REQUIRED = "FieldValueRequired"
_UNSUPPORTED = "FieldValueNotSupported"
_FORBIDDEN = "FieldValueForbidden"
_META_REFERENCE = re.compile(r"^\$\{trialSpec\.(.+)\}$")
_META_INDEXED = re.compile(r"^(.+)\[(.+)\]$")
_TWO_GROUPS = re.compile(r".*\(.*\).*\(.*\).*")
_EDITABLE = ("parallelTrialCount", "maxTrialCount", "maxFailedTrialCount")


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str | int | float | bool) else repr(value)


def _required(field: str, why: str = "") -> Cause:
    return Cause(field, f"Required value: {why}" if why else "Required value", _REQUIRED)


def _invalid(field: str, value: Any, why: str) -> Cause:
    return Cause(field, f"Invalid value: {_show(value)}: {why}")


def _unsupported(field: str, value: Any, allowed: tuple[str, ...]) -> Cause:
    listed = ", ".join(f'"{a}"' for a in allowed)
    return Cause(
        field, f"Unsupported value: {_show(value)}: supported values: {listed}", _UNSUPPORTED
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def validate_name(name: str) -> list[Cause]:
    """Katib's experiment-name rule: a DNS-1123 label of at most 40 characters."""
    if len(name) > c.MAX_EXPERIMENT_NAME_LENGTH:
        return [
            _invalid(
                "metadata.name",
                name,
                f"must be no more than {c.MAX_EXPERIMENT_NAME_LENGTH} characters "
                "(Katib derives trial and suggestion names from it)",
            )
        ]
    return m.check_name(name, label=True)


def _count_causes(spec: Obj) -> list[Cause]:
    causes: list[Cause] = []
    failed = _count(spec.get("maxFailedTrialCount"))
    most = _count(spec.get("maxTrialCount"))
    parallel = _count(spec.get("parallelTrialCount"))
    if failed is not None and failed < 0:
        causes.append(_invalid("spec.maxFailedTrialCount", failed, "must not be less than 0"))
    if most is not None and most <= 0:
        causes.append(_invalid("spec.maxTrialCount", most, "must be greater than 0"))
    if parallel is not None and parallel <= 0:
        causes.append(_invalid("spec.parallelTrialCount", parallel, "must be greater than 0"))
    if failed is not None and most is not None and failed > most:
        causes.append(
            _invalid(
                "spec.maxFailedTrialCount",
                failed,
                "must be less than or equal to spec.maxTrialCount",
            )
        )
    if parallel is not None and most is not None and parallel > most:
        causes.append(
            _invalid(
                "spec.parallelTrialCount",
                parallel,
                "must be less than or equal to spec.maxTrialCount",
            )
        )
    return causes


def _update_causes(obj: Obj, old: Obj) -> list[Cause]:
    spec, before = _dict(obj.get("spec")), _dict(old.get("spec"))
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
                _FORBIDDEN,
            )
        )
    status = _dict(old.get("status"))
    conditions = [_dict(x) for x in status.get("conditions") or []]
    done = {x.get("type"): x for x in conditions if x.get("status") == "True"}
    if "Succeeded" in done or "Failed" in done:
        restartable = (
            "Failed" not in done
            and done["Succeeded"].get("reason") == "ExperimentMaxTrialsReached"
            and spec.get("resumePolicy") in ("LongRunning", "FromVolume")
        )
        if not restartable:
            causes.append(
                _invalid(
                    "spec.resumePolicy",
                    spec.get("resumePolicy"),
                    "a completed experiment can be restarted only if it succeeded by reaching "
                    "spec.maxTrialCount and spec.resumePolicy is LongRunning or FromVolume",
                )
            )
    most, trials = _count(spec.get("maxTrialCount")), _count(status.get("trials"))
    if most is not None and trials is not None and most <= trials:
        causes.append(
            _invalid("spec.maxTrialCount", most, f"must be greater than status.trials ({trials})")
        )
    return causes


def _objective_causes(objective: Any) -> list[Cause]:
    at = "spec.objective"
    if not isinstance(objective, dict):
        return [_required(at)]
    causes: list[Cause] = []
    kind = objective.get("type")
    if kind not in c.OBJECTIVE_TYPES:
        causes.append(
            _required(f"{at}.type", "must be minimize or maximize")
            if not kind
            else _unsupported(f"{at}.type", kind, c.OBJECTIVE_TYPES)
        )
    metric = objective.get("objectiveMetricName")
    if not metric:
        causes.append(_required(f"{at}.objectiveMetricName"))
    extra = objective.get("additionalMetricNames") or []
    if metric and isinstance(extra, list) and metric in extra:
        causes.append(
            _invalid(
                f"{at}.additionalMetricNames",
                metric,
                "must not repeat spec.objective.objectiveMetricName",
            )
        )
    for i, strategy in enumerate(objective.get("metricStrategies") or []):
        value = _dict(strategy).get("value")
        allowed = (c.EXTRACT_BY_MIN, c.EXTRACT_BY_MAX, c.EXTRACT_BY_LATEST)
        if value not in allowed:
            causes.append(_unsupported(f"{at}.metricStrategies[{i}].value", value, allowed))
    return causes


def _algorithm_causes(spec: Obj) -> list[Cause]:
    causes: list[Cause] = []
    algorithm = spec.get("algorithm")
    if not isinstance(algorithm, dict):
        causes.append(_required("spec.algorithm"))
    elif not algorithm.get("algorithmName"):
        causes.append(_required("spec.algorithm.algorithmName"))
    elif algorithm["algorithmName"] not in c.ALGORITHMS:
        causes.append(
            _unsupported("spec.algorithm.algorithmName", algorithm["algorithmName"], c.ALGORITHMS)
        )
    stopping = spec.get("earlyStopping")
    if isinstance(stopping, dict):
        name = stopping.get("algorithmName")
        if not name:
            causes.append(_required("spec.earlyStopping.algorithmName"))
        elif name not in c.EARLY_STOPPING_ALGORITHMS:
            causes.append(
                _unsupported("spec.earlyStopping.algorithmName", name, c.EARLY_STOPPING_ALGORITHMS)
            )
    policy = spec.get("resumePolicy")
    if policy and policy not in c.RESUME_POLICIES:
        causes.append(_unsupported("spec.resumePolicy", policy, c.RESUME_POLICIES))
    return causes


def _number(value: Any, field: str, *, integer: bool) -> tuple[float | None, list[Cause]]:
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        what = "an integer" if integer else "a number"
        return None, [_invalid(field, value, f"must be {what}")]
    if not math.isfinite(number):
        return None, [_invalid(field, value, "must be a finite number")]
    return float(number), []


def _parameter_causes(i: int, parameter: Obj, seen: set[str]) -> list[Cause]:
    at = f"spec.parameters[{i}]"
    causes: list[Cause] = []
    name = parameter.get("name")
    if not name:
        causes.append(_required(f"{at}.name"))
    elif name in seen:
        causes.append(Cause(f"{at}.name", f"Duplicate value: {_show(name)}", "FieldValueDuplicate"))
    else:
        seen.add(name)
    kind = parameter.get("parameterType")
    if kind not in c.PARAMETER_TYPES:
        causes.append(
            _unsupported(f"{at}.parameterType", kind, c.PARAMETER_TYPES)
            if kind
            else _required(f"{at}.parameterType")
        )
    space = parameter.get("feasibleSpace")
    at = f"{at}.feasibleSpace"
    if not isinstance(space, dict) or not any(v not in (None, "", []) for v in space.values()):
        return [*causes, _required(at, "feasibleSpace must be specified")]
    distribution = space.get("distribution")
    if distribution and distribution not in c.DISTRIBUTIONS:
        causes.append(_unsupported(f"{at}.distribution", distribution, c.DISTRIBUTIONS))
    if kind in c.NUMERIC_PARAMETER_TYPES:
        causes += _numeric_space_causes(str(kind), space, at)
    elif kind in c.LIST_PARAMETER_TYPES:
        for key in ("min", "max", "step"):
            if space.get(key) not in (None, ""):
                causes.append(
                    Cause(
                        f"{at}.{key}",
                        f"Forbidden: not supported for parameterType {kind}; use list",
                        _FORBIDDEN,
                    )
                )
        values = space.get("list")
        if not values:
            causes.append(_required(f"{at}.list", f"must list the values of a {kind} parameter"))
        elif kind == "discrete" and isinstance(values, list):
            for j, value in enumerate(values):
                causes += _number(value, f"{at}.list[{j}]", integer=False)[1]
    return causes


def _numeric_space_causes(kind: str, space: Obj, at: str) -> list[Cause]:
    causes: list[Cause] = []
    integer = kind == "int"
    if space.get("list"):
        causes.append(
            Cause(f"{at}.list", f"Forbidden: not supported for parameterType {kind}", _FORBIDDEN)
        )
    bounds: dict[str, float | None] = {}
    for key in ("min", "max"):
        raw = space.get(key)
        if raw in (None, ""):
            causes.append(_required(f"{at}.{key}", f"must be set for parameterType {kind}"))
            bounds[key] = None
            continue
        bounds[key], wrong = _number(raw, f"{at}.{key}", integer=integer)
        causes += wrong
    low, high = bounds["min"], bounds["max"]
    if low is not None and high is not None and low >= high:
        causes.append(
            _invalid(f"{at}.min", space.get("min"), f"must be less than max ({space.get('max')})")
        )
    if low is not None and low <= 0 and space.get("distribution") in ("logUniform", "logNormal"):
        causes.append(
            _invalid(
                f"{at}.min",
                space.get("min"),
                f"must be positive for a {space['distribution']} distribution",
            )
        )
    step = space.get("step")
    if step not in (None, ""):
        value, wrong = _number(step, f"{at}.step", integer=integer)
        causes += wrong
        if value is not None and value <= 0:
            causes.append(_invalid(f"{at}.step", step, "must be greater than 0"))
    return causes


def _parameters_causes(spec: Obj) -> list[Cause]:
    parameters = spec.get("parameters")
    nas = spec.get("nasConfig")
    if not parameters and nas is None:
        return [_required("spec.parameters", "spec.parameters or spec.nasConfig must be specified")]
    if parameters and nas is not None:
        return [
            Cause(
                "spec.nasConfig",
                "Forbidden: only one of spec.parameters and spec.nasConfig may be set",
                _FORBIDDEN,
            )
        ]
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, parameter in enumerate(parameters or []):
        if isinstance(parameter, dict):
            causes += _parameter_causes(i, parameter, seen)
    return causes


def is_meta_reference(reference: str) -> bool:
    """True for `${trialSpec.Name}`, `${trialSpec.Labels[app]}` and the like."""
    match = _META_REFERENCE.match(reference)
    if match is None:
        return False
    key = match.group(1)
    indexed = _META_INDEXED.match(key)
    if indexed is not None:
        return indexed.group(1) in ("Labels", "Annotations")
    return key in c.META_REFERENCE_KEYS


def _template_causes(spec: Obj) -> list[Cause]:
    at = "spec.trialTemplate"
    template = spec.get("trialTemplate")
    if not isinstance(template, dict):
        return [_required(at)]
    causes: list[Cause] = []
    if not template.get("primaryContainerName"):
        causes.append(_required(f"{at}.primaryContainerName"))
    for key in ("successCondition", "failureCondition"):
        if not template.get(key):
            causes.append(
                _required(
                    f"{at}.{key}", "must be set for a trialSpec kind Katib has no default for"
                )
            )
    trial_spec, config_map = template.get("trialSpec"), template.get("configMap")
    if trial_spec is None and config_map is None:
        return [*causes, _required(f"{at}.trialSpec", "one of trialSpec or configMap must be set")]
    if trial_spec is not None and config_map is not None:
        return [
            *causes,
            Cause(at, "Forbidden: only one of trialSpec and configMap may be set", _FORBIDDEN),
        ]
    if isinstance(config_map, dict):
        for key in ("configMapName", "configMapNamespace", "templatePath"):
            if not config_map.get(key):
                causes.append(_required(f"{at}.configMap.{key}"))
    parameters = template.get("trialParameters")
    if not parameters:
        return [*causes, _required(f"{at}.trialParameters")]
    text = json.dumps(trial_spec) if isinstance(trial_spec, dict) else None
    causes += _trial_parameter_causes(spec, parameters, text)
    if isinstance(trial_spec, dict):
        md = _dict(trial_spec.get("metadata"))
        for key in ("name", "namespace"):
            if md.get(key):
                causes.append(
                    Cause(
                        f"{at}.trialSpec.metadata.{key}",
                        "Forbidden: must be omitted; each trial names its own workload",
                        _FORBIDDEN,
                    )
                )
        for key in ("apiVersion", "kind"):
            if not trial_spec.get(key):
                causes.append(_required(f"{at}.trialSpec.{key}"))
    return causes


def _trial_parameter_causes(spec: Obj, parameters: Any, text: str | None) -> list[Cause]:
    at = "spec.trialTemplate.trialParameters"
    known = {_dict(p).get("name") for p in spec.get("parameters") or []}
    causes: list[Cause] = []
    names: set[str] = set()
    references: set[str] = set()
    for i, parameter in enumerate(parameters if isinstance(parameters, list) else []):
        parameter = _dict(parameter)
        name, reference = parameter.get("name"), parameter.get("reference")
        if not name or not reference:
            causes += [
                _required(f"{at}[{i}].{k}") for k in ("name", "reference") if not parameter.get(k)
            ]
            continue
        if "{" in name or "}" in name:
            causes.append(_invalid(f"{at}[{i}].name", name, "must not contain '{' or '}'"))
            continue
        if name in names:
            causes.append(
                Cause(f"{at}[{i}].name", f"Duplicate value: {_show(name)}", "FieldValueDuplicate")
            )
            continue
        if reference in references:
            causes.append(
                Cause(
                    f"{at}[{i}].reference",
                    f"Duplicate value: {_show(reference)}",
                    "FieldValueDuplicate",
                )
            )
            continue
        names.add(name)
        references.add(reference)
        if known and reference not in known and not is_meta_reference(reference):
            causes.append(
                _invalid(
                    f"{at}[{i}].reference",
                    reference,
                    "must name one of spec.parameters or be a ${trialSpec.<Name|Namespace|Kind|"
                    "APIVersion|Labels[key]|Annotations[key]>} reference",
                )
            )
        placeholder = c.TRIAL_PARAMETER_FORMAT.format(name=name)
        if text is not None:
            if placeholder not in text:
                causes.append(
                    _invalid(
                        f"{at}[{i}].name",
                        name,
                        f"{placeholder} is not used in spec.trialTemplate.trialSpec",
                    )
                )
            text = text.replace(placeholder, "")
    if text is not None:
        for left in sorted(set(re.findall(c.TRIAL_PARAMETER_PATTERN, text))):
            causes.append(
                _invalid(
                    "spec.trialTemplate.trialSpec",
                    left,
                    "is not declared in spec.trialTemplate.trialParameters",
                )
            )
    return causes


def _collector_causes(spec: Obj) -> list[Cause]:
    at = "spec.metricsCollectorSpec"
    mc = _dict(spec.get("metricsCollectorSpec"))
    kind = _dict(mc.get("collector")).get("kind")
    source = _dict(mc.get("source"))
    path = _dict(source.get("fileSystemPath"))
    causes: list[Cause] = []
    if kind not in c.COLLECTOR_KINDS:
        return [_unsupported(f"{at}.collector.kind", kind, c.COLLECTOR_KINDS)]
    where = f"{at}.source.fileSystemPath"
    if kind in ("File", "TensorFlowEvent"):
        expected = "File" if kind == "File" else "Directory"
        if path.get("kind") != expected:
            causes.append(
                _invalid(
                    f"{where}.kind",
                    path.get("kind"),
                    f"must be {expected} for collector kind {kind}",
                )
            )
        if not str(path.get("path") or "").startswith("/"):
            causes.append(_invalid(f"{where}.path", path.get("path"), "must be an absolute path"))
    if kind == "File":
        if path.get("format") not in c.FILE_FORMATS:
            causes.append(_unsupported(f"{where}.format", path.get("format"), c.FILE_FORMATS))
        elif path.get("format") == "JSON" and source.get("filter") is not None:
            causes.append(
                Cause(
                    f"{at}.source.filter", "Forbidden: must not be set for JSON files", _FORBIDDEN
                )
            )
    if kind == "TensorFlowEvent" and path.get("format"):
        causes.append(_invalid(f"{where}.format", path.get("format"), "must be empty"))
    if kind == "PrometheusMetric":
        http_get = _dict(source.get("httpGet"))
        port = http_get.get("port")
        if not (isinstance(port, int) and not isinstance(port, bool) and port > 0):
            causes.append(_invalid(f"{at}.source.httpGet.port", port, "must be a positive integer"))
        if not str(http_get.get("path") or "").startswith("/"):
            causes.append(
                _invalid(f"{at}.source.httpGet.path", http_get.get("path"), "must start with /")
            )
    if kind == "Custom" and not _dict(mc.get("collector")).get("customCollector"):
        causes.append(_required(f"{at}.collector.customCollector"))
    for j, pattern in enumerate(_dict(source.get("filter")).get("metricsFormat") or []):
        field = f"{at}.source.filter.metricsFormat[{j}]"
        try:
            re.compile(str(pattern))
        except re.error as exc:
            causes.append(_invalid(field, pattern, f"not a regular expression: {exc}"))
            continue
        if not _TWO_GROUPS.match(str(pattern)):
            causes.append(
                _invalid(field, pattern, "needs two groups: the metric name, then its value")
            )
    return causes


def validate_experiment(obj: Obj, old: Obj | None = None) -> list[Cause]:
    """What is wrong with a (defaulted) Experiment; `old` is the stored one on update."""
    causes: list[Cause] = []
    name = m.name_of(obj)
    if name:
        causes += validate_name(name)
    spec = _dict(obj.get("spec"))
    causes += _count_causes(spec)
    if old is not None:
        causes += _update_causes(obj, old)
    causes += _objective_causes(spec.get("objective"))
    causes += _algorithm_causes(spec)
    causes += _template_causes(spec)
    causes += _parameters_causes(spec)
    causes += _collector_causes(spec)
    return causes
