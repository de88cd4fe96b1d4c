"""Pydantic models of Katib's kinds, for validation and the OpenAPI schema.

They follow `kubeflow.org/v1beta1` as Katib serves it (definition names
`kubeflow.org.v1beta1.Experiment`, ...), so `kubectl explain experiment.spec` and the
Katib SDK's generated models see the same shape. Models check types only; the rules
between fields (min < max, references that exist) live in `validation`. Unknown
fields are kept, and a trial's workload (`trialSpec`, `runSpec`) is any object.
"""

from __future__ import annotations

import builtins
from typing import Any

from pydantic import Field

from kflow.api.models.base import K8sModel
from kflow.api.models.meta import ObjectMeta


class MetricStrategy(K8sModel):
    """How a trial's metric is reduced from its observation log: min, max or latest."""

    definition = "kubeflow.org.v1beta1.MetricStrategy"

    name: str | None = Field(None, description="The metric name.")
    value: str | None = Field(None, description="min, max or latest.")


class ObjectiveSpec(K8sModel):
    """The metric to optimise and in which direction."""

    definition = "kubeflow.org.v1beta1.ObjectiveSpec"

    type: str | None = Field(None, description="minimize or maximize.")
    goal: float | None = Field(None, description="Stop once the objective reaches this value.")
    objectiveMetricName: str | None = Field(None, description="The metric to optimise.")
    additionalMetricNames: list[str] | None = Field(None, description="Other metrics to record.")
    metricStrategies: list[MetricStrategy] | None = Field(
        None, description="Per-metric reduction; defaults from the objective type."
    )


class AlgorithmSetting(K8sModel):
    """One algorithm setting; values are strings, as in Katib."""

    definition = "kubeflow.org.v1beta1.AlgorithmSetting"

    name: str | None = Field(None, description="Setting name, e.g. random_state.")
    value: str | None = Field(None, description="Setting value.")


class AlgorithmSpec(K8sModel):
    """The search algorithm and its settings."""

    definition = "kubeflow.org.v1beta1.AlgorithmSpec"

    algorithmName: str | None = Field(
        None, description="random, grid, tpe, bayesianoptimization..."
    )
    algorithmSettings: list[AlgorithmSetting] | None = Field(None, description="Settings.")


class EarlyStoppingSetting(K8sModel):
    definition = "kubeflow.org.v1beta1.EarlyStoppingSetting"

    name: str | None = Field(None, description="Setting name, e.g. min_trials_required.")
    value: str | None = Field(None, description="Setting value.")


class EarlyStoppingSpec(K8sModel):
    """The early-stopping algorithm (e.g. medianstop) and its settings."""

    definition = "kubeflow.org.v1beta1.EarlyStoppingSpec"

    algorithmName: str | None = Field(None, description="e.g. medianstop.")
    algorithmSettings: list[EarlyStoppingSetting] | None = Field(None, description="Settings.")


class FeasibleSpace(K8sModel):
    """Where a parameter's values lie; numbers are strings, as in Katib."""

    definition = "kubeflow.org.v1beta1.FeasibleSpace"

    min: str | None = Field(None, description="Lower bound (double and int).")
    max: str | None = Field(None, description="Upper bound (double and int).")
    step: str | None = Field(None, description="Grid step (double and int).")
    list: builtins.list[str] | None = Field(None, description="Values (discrete and categorical).")
    distribution: str | None = Field(
        None, description="uniform (default), logUniform, normal or logNormal."
    )


class ParameterSpec(K8sModel):
    """One hyperparameter of the search space."""

    definition = "kubeflow.org.v1beta1.ParameterSpec"

    name: str | None = Field(None, description="Parameter name, referenced by trialParameters.")
    parameterType: str | None = Field(None, description="double, int, discrete or categorical.")
    feasibleSpace: FeasibleSpace | None = Field(None, description="Its search space.")


class TrialParameterSpec(K8sModel):
    """A `${trialParameters.<name>}` placeholder of the trial template."""

    definition = "kubeflow.org.v1beta1.TrialParameterSpec"

    name: str | None = Field(None, description="Placeholder name.")
    description: str | None = Field(None, description="What it is.")
    reference: str | None = Field(
        None, description="A parameter name, or a meta reference like ${trialSpec.Name}."
    )


class ConfigMapSource(K8sModel):
    """A trial template kept in a ConfigMap."""

    definition = "kubeflow.org.v1beta1.ConfigMapSource"

    configMapName: str | None = Field(None, description="The ConfigMap's name.")
    configMapNamespace: str | None = Field(None, description="The ConfigMap's namespace.")
    templatePath: str | None = Field(None, description="The key holding the template.")


class TrialTemplate(K8sModel):
    """The workload each trial runs, with its parameters substituted."""

    definition = "kubeflow.org.v1beta1.TrialTemplate"

    retain: bool | None = Field(None, description="Keep the trial's workload after it ends.")
    trialSpec: dict[str, Any] | None = Field(None, description="The workload object.")
    configMap: ConfigMapSource | None = Field(None, description="Or: a ConfigMap holding it.")
    trialParameters: list[TrialParameterSpec] | None = Field(None, description="Placeholders.")
    primaryPodLabels: dict[str, str] | None = Field(
        None, description="Labels of the pod whose metrics are collected."
    )
    primaryContainerName: str | None = Field(None, description="The training container.")
    successCondition: str | None = Field(None, description="GJSON-like success condition.")
    failureCondition: str | None = Field(None, description="GJSON-like failure condition.")


class FileSystemPath(K8sModel):
    definition = "kubeflow.org.v1beta1.FileSystemPath"

    path: str | None = Field(None, description="Absolute path of the metrics file or directory.")
    kind: str | None = Field(None, description="File or Directory.")
    format: str | None = Field(None, description="TEXT or JSON (File only).")


class FilterSpec(K8sModel):
    definition = "kubeflow.org.v1beta1.FilterSpec"

    metricsFormat: list[str] | None = Field(
        None, description="Regexes with two groups: metric name, then value."
    )


class SourceSpec(K8sModel):
    """Where the metrics collector reads metrics."""

    definition = "kubeflow.org.v1beta1.SourceSpec"

    httpGet: dict[str, Any] | None = Field(None, description="PrometheusMetric: the endpoint.")
    fileSystemPath: FileSystemPath | None = Field(None, description="File or TensorFlowEvent.")
    filter: FilterSpec | None = Field(None, description="StdOut and File TEXT: regexes.")


class CollectorSpec(K8sModel):
    definition = "kubeflow.org.v1beta1.CollectorSpec"

    kind: str | None = Field(
        None,
        description="StdOut (default), File, TensorFlowEvent, PrometheusMetric, Custom, "
        "None or Push.",
    )
    customCollector: dict[str, Any] | None = Field(None, description="Custom: the container.")


class MetricsCollectorSpec(K8sModel):
    """How a trial's metrics are collected."""

    definition = "kubeflow.org.v1beta1.MetricsCollectorSpec"

    source: SourceSpec | None = Field(None, description="Where metrics are read.")
    collector: CollectorSpec | None = Field(None, description="Which collector reads them.")


class ExperimentSpec(K8sModel):
    """The desired state of an Experiment."""

    definition = "kubeflow.org.v1beta1.ExperimentSpec"

    parameters: list[ParameterSpec] | None = Field(None, description="The search space.")
    objective: ObjectiveSpec | None = Field(None, description="What to optimise.")
    algorithm: AlgorithmSpec | None = Field(None, description="How to search.")
    earlyStopping: EarlyStoppingSpec | None = Field(None, description="How to stop bad trials.")
    trialTemplate: TrialTemplate | None = Field(None, description="What each trial runs.")
    parallelTrialCount: int | None = Field(None, description="Trials run at once; defaults to 3.")
    maxTrialCount: int | None = Field(None, description="Trials to run in total.")
    maxFailedTrialCount: int | None = Field(None, description="Failed trials that fail it.")
    metricsCollectorSpec: MetricsCollectorSpec | None = Field(None, description="Metrics.")
    nasConfig: dict[str, Any] | None = Field(None, description="Neural architecture search.")
    resumePolicy: str | None = Field(
        None, description="Never (default), LongRunning or FromVolume."
    )


class Condition(K8sModel):
    """One observed state (Created, Running, Succeeded, ...)."""

    definition = "kubeflow.org.v1beta1.Condition"

    type: str = Field(description="The condition type.")
    status: str = Field(description="True, False or Unknown.")
    reason: str | None = Field(None, description="Machine-readable reason.")
    message: str | None = Field(None, description="Human-readable details.")
    lastUpdateTime: str | None = Field(None, description="When it was last updated.")
    lastTransitionTime: str | None = Field(None, description="When its status last changed.")


class Metric(K8sModel):
    definition = "kubeflow.org.v1beta1.Metric"

    name: str | None = Field(None, description="Metric name.")
    min: str | None = Field(None, description="Smallest value observed.")
    max: str | None = Field(None, description="Largest value observed.")
    latest: str | None = Field(None, description="Last value observed.")


class Observation(K8sModel):
    definition = "kubeflow.org.v1beta1.Observation"

    metrics: list[Metric] | None = Field(None, description="The trial's metrics.")


class ParameterAssignment(K8sModel):
    definition = "kubeflow.org.v1beta1.ParameterAssignment"

    name: str | None = Field(None, description="Parameter name.")
    value: str | None = Field(None, description="Its value in this trial.")


class OptimalTrial(K8sModel):
    definition = "kubeflow.org.v1beta1.OptimalTrial"

    bestTrialName: str | None = Field(None, description="The best trial so far.")
    parameterAssignments: list[ParameterAssignment] | None = Field(None, description="Its values.")
    observation: Observation | None = Field(None, description="Its metrics.")


class ExperimentStatus(K8sModel):
    """The observed state of an Experiment, written by its controller."""

    definition = "kubeflow.org.v1beta1.ExperimentStatus"

    startTime: str | None = Field(None, description="When the experiment started.")
    completionTime: str | None = Field(None, description="When it finished.")
    lastReconcileTime: str | None = Field(None, description="When it was last reconciled.")
    conditions: list[Condition] | None = Field(None, description="Observed conditions.")
    currentOptimalTrial: OptimalTrial | None = Field(None, description="The best trial.")
    trials: int | None = Field(None, description="Trials created.")
    trialsSucceeded: int | None = Field(None, description="Trials that succeeded.")
    trialsFailed: int | None = Field(None, description="Trials that failed.")
    trialsKilled: int | None = Field(None, description="Trials that were killed.")
    trialsPending: int | None = Field(None, description="Trials pending.")
    trialsRunning: int | None = Field(None, description="Trials running.")
    trialsEarlyStopped: int | None = Field(None, description="Trials stopped early.")
    trialMetricsUnavailable: int | None = Field(None, description="Trials without the metric.")
    pendingTrialList: list[str] | None = Field(None, description="Names of pending trials.")
    runningTrialList: list[str] | None = Field(None, description="Names of running trials.")
    succeededTrialList: list[str] | None = Field(None, description="Names of succeeded trials.")
    failedTrialList: list[str] | None = Field(None, description="Names of failed trials.")
    killedTrialList: list[str] | None = Field(None, description="Names of killed trials.")
    earlyStoppedTrialList: list[str] | None = Field(
        None, description="Names of early-stopped trials."
    )
    metricsUnavailableTrialList: list[str] | None = Field(
        None, description="Names of trials that never reported the objective metric."
    )


class TrialSpec(K8sModel):
    """The desired state of a Trial: one set of parameter values and its workload."""

    definition = "kubeflow.org.v1beta1.TrialSpec"

    objective: ObjectiveSpec | None = Field(None, description="The experiment's objective.")
    parameterAssignments: list[ParameterAssignment] | None = Field(None, description="Values.")
    earlyStoppingRules: list[dict[str, Any]] | None = Field(None, description="Stop rules.")
    runSpec: dict[str, Any] | None = Field(None, description="The workload object.")
    metricsCollector: MetricsCollectorSpec | None = Field(None, description="Metrics.")
    retainRun: bool | None = Field(None, description="Keep the workload after the trial ends.")
    primaryPodLabels: dict[str, str] | None = Field(None, description="The primary pod's labels.")
    primaryContainerName: str | None = Field(None, description="The training container.")
    successCondition: str | None = Field(None, description="GJSON-like success condition.")
    failureCondition: str | None = Field(None, description="GJSON-like failure condition.")
    labels: dict[str, str] | None = Field(None, description="Labels of the trial's pods.")


class TrialStatus(K8sModel):
    definition = "kubeflow.org.v1beta1.TrialStatus"

    startTime: str | None = Field(None, description="When the trial started.")
    completionTime: str | None = Field(None, description="When it finished.")
    lastReconcileTime: str | None = Field(None, description="When it was last reconciled.")
    conditions: list[Condition] | None = Field(None, description="Observed conditions.")
    observation: Observation | None = Field(None, description="Its metrics.")


class SuggestionSpec(K8sModel):
    """The desired state of a Suggestion: how many parameter sets an experiment asked for."""

    definition = "kubeflow.org.v1beta1.SuggestionSpec"

    algorithm: AlgorithmSpec | None = Field(None, description="The search algorithm.")
    earlyStopping: EarlyStoppingSpec | None = Field(None, description="Early stopping.")
    requests: int | None = Field(None, description="Parameter sets requested so far.")
    resumePolicy: str | None = Field(None, description="The experiment's resumePolicy.")


class SuggestionStatus(K8sModel):
    definition = "kubeflow.org.v1beta1.SuggestionStatus"

    startTime: str | None = Field(None, description="When the suggestion started.")
    completionTime: str | None = Field(None, description="When it finished.")
    lastReconcileTime: str | None = Field(None, description="When it was last reconciled.")
    conditions: list[Condition] | None = Field(None, description="Observed conditions.")
    suggestionCount: int | None = Field(None, description="Parameter sets assigned so far.")
    suggestions: list[dict[str, Any]] | None = Field(None, description="The assignments.")
    algorithmSettings: list[AlgorithmSetting] | None = Field(None, description="Settings used.")


class _Katib(K8sModel):
    closed = True

    apiVersion: str | None = Field(None, description="kubeflow.org/v1beta1")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")


class Experiment(_Katib):
    """A hyperparameter search: a space, an objective, an algorithm and a trial template."""

    definition = "kubeflow.org.v1beta1.Experiment"
    spec: ExperimentSpec = Field(description="Desired state of the Experiment.")
    status: ExperimentStatus | None = Field(None, description="Observed state (read-only).")


class Trial(_Katib):
    """One run of an experiment's template with one set of parameter values."""

    definition = "kubeflow.org.v1beta1.Trial"
    spec: TrialSpec = Field(description="Desired state of the Trial.")
    status: TrialStatus | None = Field(None, description="Observed state (read-only).")


class Suggestion(_Katib):
    """An experiment's request for parameter sets from its algorithm."""

    definition = "kubeflow.org.v1beta1.Suggestion"
    spec: SuggestionSpec = Field(description="Desired state of the Suggestion.")
    status: SuggestionStatus | None = Field(None, description="Observed state (read-only).")


KATIB_MODELS: dict[str, type[K8sModel]] = {m.__name__: m for m in (Experiment, Trial, Suggestion)}
"""The model of each Katib kind, by kind name."""
