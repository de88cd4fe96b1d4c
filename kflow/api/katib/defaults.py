"""Katib's defaulting of an Experiment (its mutating webhook, `Experiment.SetDefault`).

`parallelTrialCount` becomes 3 and `resumePolicy` Never; every metric gets a
`metricStrategies` entry (min or max by the objective's type, for the objective and
the additional metrics alike, as upstream); the metrics collector becomes StdOut,
and File, TensorFlowEvent and PrometheusMetric collectors get their default paths;
each parameter's distribution becomes uniform. A `trialSpec` of a batch Job or a
Kubeflow training job gets the success and failure conditions Katib judges it by,
and a training job the primary pod label of its master. Trials and Suggestions are
written by the experiment controller and get no defaults.
"""

from __future__ import annotations

from typing import Any

from kflow.api.katib import contracts as c
from kflow.api.kinds import Obj


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _child(parent: Obj, key: str) -> Obj:
    """`parent[key]`, created as `{}` when missing; a non-dict is left for validation."""
    if parent.get(key) is None:
        parent[key] = {}
    return _dict(parent[key])


def default_objective(objective: Obj) -> None:
    """Add Katib's metric strategy for every metric that has none."""
    strategies = objective.get("metricStrategies")
    if strategies is None:
        strategies = objective["metricStrategies"] = []
    if not isinstance(strategies, list):
        return
    named = {_dict(s).get("name") for s in strategies}
    by_type = {"minimize": c.EXTRACT_BY_MIN, "maximize": c.EXTRACT_BY_MAX}
    extract = by_type.get(str(objective.get("type")), c.EXTRACT_BY_LATEST)
    metric = objective.get("objectiveMetricName")
    extra = objective.get("additionalMetricNames")
    names = [metric, *(extra if isinstance(extra, list) else [])]
    for name in names:
        if isinstance(name, str) and name not in named:
            strategies.append({"name": name, "value": extract})
            named.add(name)


def default_trial_template(template: Obj) -> None:
    """Success/failure conditions (and primary pod labels) for the workload kinds Katib knows."""
    trial_spec = template.get("trialSpec")
    if not isinstance(trial_spec, dict):
        return
    kind = trial_spec.get("kind")
    if kind == "Job":
        success, failure = c.JOB_SUCCESS_CONDITION, c.JOB_FAILURE_CONDITION
    elif kind in c.KUBEFLOW_JOB_KINDS:
        success, failure = c.KUBEFLOW_JOB_SUCCESS_CONDITION, c.KUBEFLOW_JOB_FAILURE_CONDITION
        if not template.get("primaryPodLabels"):
            template["primaryPodLabels"] = dict(c.KUBEFLOW_JOB_PRIMARY_POD_LABELS)
    else:
        return
    if not template.get("successCondition"):
        template["successCondition"] = success
    if not template.get("failureCondition"):
        template["failureCondition"] = failure


def default_metrics_collector(spec: Obj) -> None:
    """StdOut unless told otherwise; default paths for the collectors that read files or HTTP."""
    mc = _child(spec, "metricsCollectorSpec")
    collector = _child(mc, "collector")
    if not collector.get("kind"):
        collector["kind"] = c.DEFAULT_COLLECTOR_KIND
    kind = collector.get("kind")
    if kind == "PrometheusMetric":
        http_get = _child(_child(mc, "source"), "httpGet")
        if not http_get.get("path"):
            http_get["path"] = c.DEFAULT_PROMETHEUS_PATH
        if http_get.get("port") in (None, 0, "", "0"):
            http_get["port"] = c.DEFAULT_PROMETHEUS_PORT
    elif kind in ("File", "TensorFlowEvent"):
        path = _child(_child(mc, "source"), "fileSystemPath")
        is_file = kind == "File"
        if not path.get("kind"):
            path["kind"] = "File" if is_file else "Directory"
        if not path.get("path"):
            path["path"] = c.DEFAULT_METRICS_FILE if is_file else c.DEFAULT_TFEVENT_DIR
        if is_file and not path.get("format"):
            path["format"] = "TEXT"


def default_experiment(obj: Obj) -> None:
    """Fill Katib's defaults of an Experiment in place."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("parallelTrialCount") is None:
        spec["parallelTrialCount"] = c.DEFAULT_PARALLEL_TRIAL_COUNT
    if not spec.get("resumePolicy"):
        spec["resumePolicy"] = c.DEFAULT_RESUME_POLICY
    objective = spec.get("objective")
    if isinstance(objective, dict):
        default_objective(objective)
    template = spec.get("trialTemplate")
    if isinstance(template, dict):
        default_trial_template(template)
    default_metrics_collector(spec)
    for parameter in spec.get("parameters") or []:
        space = _dict(parameter).get("feasibleSpace")
        if isinstance(space, dict) and not space.get("distribution"):
            space["distribution"] = c.DEFAULT_DISTRIBUTION
