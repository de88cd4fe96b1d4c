"""`kflow.tune`: tune a Python function's hyperparameters as a Katib Experiment.

What Katib's `tune()` SDK call does, without packaging: the objective's source and a
call to `kflow.sdk.trialrunner.run` become the command of a batch Job, the trial
template of an ordinary Experiment (StdOut metrics collector) whose parameters come
from typed search spaces (`kflow.search`). Each trial gets its values as arguments,
the runner hands the objective a dict of typed values and prints what it returns as
`name=value`, and Katib's machinery does the rest: the algorithm suggests, the
controller runs trials, early stopping compares intermediate reports::

    def objective(params):
        return -(params["x"] - 0.3) ** 2

    result = kflow.tune(objective, {"x": kflow.search.uniform(0, 1)}, max_trials=8)
    result.best_parameters  # {"x": 0.297...}

While it runs, a live table of the trials (state, parameters, objective) is shown;
the call returns a `TuneResult` once the Experiment has finished.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from rich.console import Console
from rich.live import Live

from kflow.api.errors import AlreadyExists, ApiError
from kflow.api.katib.contracts import API_VERSION
from kflow.sdk.client import Client
from kflow.sdk.search import Space, katib_parameters
from kflow.sdk.trialrunner import METRIC_NAME, encode_config
from kflow.sdk.tuneresult import (
    TuneFailed,
    TuneResult,
    experiment_finished,
    result_of,
    trials_table,
)
from kflow.sdk.waiting import WaitTimeout

Obj = dict[str, Any]

EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"
"""The label Katib puts on an experiment's trials."""
CONTAINER_NAME = "objective"
"""The trial Job's container: Katib's primary container, whose stdout holds the metrics."""
DEFAULT_IMAGE = f"docker.io/library/python:{sys.version_info[0]}.{sys.version_info[1]}-slim"
"""Recorded on the pods, not pulled: the local runtime runs the command on this machine."""
FUNCTION_LABEL = "kflow.dev/tune-function"
"""Names the function a `tune` experiment optimises."""

__all__ = ["TuneError", "TuneFailed", "TuneResult", "experiment_for", "tune"]


class TuneError(Exception):
    """`tune` could not start: bad arguments, or the server refused the Experiment."""


def _source(objective: Callable[..., Any]) -> str:
    if not inspect.isfunction(objective) or objective.__name__ == "<lambda>":
        raise TuneError("tune() needs a function defined with `def` (its source is shipped)")
    try:
        source = textwrap.dedent(inspect.getsource(objective))
    except OSError as exc:
        raise TuneError(f"cannot read the source of {objective.__name__}: {exc}") from None
    # decorators would run again (or be undefined) in the trial: ship the bare def
    return source if source.startswith("def ") else source[source.index("def ") :]


def trial_script(objective: Callable[..., Any], config: str) -> str:
    """Python source that defines `objective` and runs it as a trial with `config`."""
    source = _source(objective)
    # annotations name types the trial never imports (`dict[str, Any]`): keep them text
    return (
        f"from __future__ import annotations\n\n{source}\n\n"
        "from kflow.sdk.trialrunner import run as _run\n"
        f"_run({objective.__name__}, {config!r})\n"
    )


def _experiment_name(objective: Callable[..., Any]) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", objective.__name__.lower()).strip("-")[:30] or "tune"
    return f"{base}-{uuid.uuid4().hex[:5]}"


def _settings(settings: Mapping[str, Any] | None) -> list[dict[str, str]]:
    return [{"name": str(k), "value": str(v)} for k, v in (settings or {}).items()]


def experiment_for(
    objective: Callable[..., Any],
    parameters: Mapping[str, Space],
    *,
    name: str,
    objective_metric: str = "score",
    objective_type: Literal["maximize", "minimize"] = "maximize",
    goal: float | None = None,
    additional_metrics: Sequence[str] = (),
    algorithm: str = "tpe",
    algorithm_settings: Mapping[str, Any] | None = None,
    early_stopping: str | None = None,
    early_stopping_settings: Mapping[str, Any] | None = None,
    max_trials: int = 10,
    parallel_trials: int = 2,
    max_failed_trials: int | None = None,
    namespace: str | None = None,
    env: Mapping[str, str] | None = None,
    resources_per_trial: Mapping[str, Any] | None = None,
    image: str = DEFAULT_IMAGE,
    python: str | None = None,
) -> Obj:
    """The Experiment `tune` submits: one batch Job per trial running `objective`."""
    if objective_type not in ("maximize", "minimize"):
        raise TuneError(f"objective_type must be 'maximize' or 'minimize', not {objective_type!r}")
    for metric in (objective_metric, *additional_metrics):
        if not METRIC_NAME.match(metric):
            raise TuneError(f"metric name {metric!r} must be letters, digits, '_', '|' or '-'")
    if max_trials < 1 or parallel_trials < 1:
        raise TuneError("max_trials and parallel_trials must be at least 1")
    spec_parameters = katib_parameters(parameters)
    config = encode_config(objective_metric, parameters)
    container: Obj = {
        "name": CONTAINER_NAME,
        "image": image,
        "command": [python or sys.executable, "-u", "-c", trial_script(objective, config)],
        "args": [f"--{p}=${{trialParameters.{p}}}" for p in parameters],
    }
    if env:
        container["env"] = [{"name": k, "value": str(v)} for k, v in env.items()]
    if resources_per_trial:
        amounts = {k: str(v) for k, v in resources_per_trial.items()}
        container["resources"] = {"requests": amounts, "limits": dict(amounts)}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        # a Python exception is not transient: the trial fails at once
        "spec": {
            "backoffLimit": 0,
            "template": {"spec": {"containers": [container], "restartPolicy": "Never"}},
        },
    }
    objective_spec: Obj = {"type": objective_type, "objectiveMetricName": objective_metric}
    if goal is not None:
        objective_spec["goal"] = float(goal)
    if additional_metrics:
        objective_spec["additionalMetricNames"] = list(additional_metrics)
    spec: Obj = {
        "objective": objective_spec,
        "algorithm": {"algorithmName": algorithm},
        "parallelTrialCount": parallel_trials,
        "maxTrialCount": max_trials,
        "parameters": spec_parameters,
        "metricsCollectorSpec": {"collector": {"kind": "StdOut"}},
        "trialTemplate": {
            "primaryContainerName": CONTAINER_NAME,
            "trialParameters": [
                {"name": p, "reference": p, "description": f"{p} of {objective.__name__}"}
                for p in parameters
            ],
            "trialSpec": job,
        },
    }
    if algorithm_settings:
        spec["algorithm"]["algorithmSettings"] = _settings(algorithm_settings)
    if max_failed_trials is not None:
        spec["maxFailedTrialCount"] = max_failed_trials
    if early_stopping:
        spec["earlyStopping"] = {"algorithmName": early_stopping}
        if early_stopping_settings:
            spec["earlyStopping"]["algorithmSettings"] = _settings(early_stopping_settings)
    metadata: Obj = {"name": name, "labels": {FUNCTION_LABEL: objective.__name__[:63]}}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": API_VERSION, "kind": "Experiment", "metadata": metadata, "spec": spec}


def tune(
    objective: Callable[[dict[str, Any]], Any],
    parameters: Mapping[str, Space],
    *,
    objective_metric: str = "score",
    objective_type: Literal["maximize", "minimize"] = "maximize",
    goal: float | None = None,
    additional_metrics: Sequence[str] = (),
    algorithm: str = "tpe",
    algorithm_settings: Mapping[str, Any] | None = None,
    early_stopping: str | None = None,
    early_stopping_settings: Mapping[str, Any] | None = None,
    max_trials: int = 10,
    parallel_trials: int = 2,
    max_failed_trials: int | None = None,
    name: str | None = None,
    namespace: str | None = None,
    client: Client | None = None,
    env: Mapping[str, str] | None = None,
    resources_per_trial: Mapping[str, Any] | None = None,
    show: bool = True,
    timeout: float | None = None,
    console: Console | None = None,
) -> TuneResult:
    """Search `parameters` for the values that optimise `objective`; return the result.

    `objective` gets a dict of typed values (one per parameter) and returns a number
    (the `objective_metric`) or a dict of metrics; it may call `kflow.report(...)`
    along the way so `early_stopping="medianstop"` can stop poor trials. `algorithm`
    is any Katib algorithm name (tpe, random, grid, bayesianoptimization, cmaes, ...).
    Raises TuneError when the server refuses the Experiment, TuneFailed when it ends
    Failed (too many failed trials), WaitTimeout after `timeout` seconds.
    """
    own = client is None
    kf = client or Client()
    try:
        body = experiment_for(
            objective,
            parameters,
            name=name or _experiment_name(objective),
            objective_metric=objective_metric,
            objective_type=objective_type,
            goal=goal,
            additional_metrics=additional_metrics,
            algorithm=algorithm,
            algorithm_settings=algorithm_settings,
            early_stopping=early_stopping,
            early_stopping_settings=early_stopping_settings,
            max_trials=max_trials,
            parallel_trials=parallel_trials,
            max_failed_trials=max_failed_trials,
            namespace=namespace,
            env=env,
            resources_per_trial=resources_per_trial,
        )
        try:
            created = kf.create(body, namespace=namespace)
        except AlreadyExists:
            raise TuneError(
                f"experiment {body['metadata']['name']} already exists: pass another name, "
                f"or delete it with `kflow delete experiment {body['metadata']['name']}`"
            ) from None
        except ApiError as exc:
            raise TuneError(f"the server refused the experiment: {exc}") from exc
        meta = created["metadata"]
        ns = str(meta.get("namespace") or namespace or kf.namespace)
        result = _follow(kf, str(meta["name"]), ns, parameters, show, timeout, console)
        if result.failed:
            raise TuneFailed(f"experiment {result.name} failed: {result.message}", result)
        return result
    finally:
        if own:
            kf.close()


def _snapshot(kf: Client, name: str, namespace: str) -> tuple[Obj, list[Obj]]:
    experiment = kf.get("experiments", name, namespace=namespace)
    trials = kf.list("trials", namespace=namespace, labels=f"{EXPERIMENT_LABEL}={name}").items
    return experiment, trials


def _follow(
    kf: Client,
    name: str,
    namespace: str,
    spaces: Mapping[str, Space],
    show: bool,
    timeout: float | None,
    console: Console | None,
) -> TuneResult:
    deadline = None if timeout is None else time.monotonic() + timeout
    experiment, trials = _snapshot(kf, name, namespace)
    live = Live(
        trials_table(experiment, trials, spaces),
        console=console or Console(),
        refresh_per_second=4,
    )
    try:
        if show:
            live.start()
        while not experiment_finished(experiment):
            if deadline is not None and time.monotonic() > deadline:
                raise WaitTimeout(
                    f"experiment {name} still running after {timeout}s; it keeps running "
                    f"(`kflow delete experiment {name} -n {namespace}` stops it)"
                )
            time.sleep(0.5)
            experiment, trials = _snapshot(kf, name, namespace)
            if show:
                live.update(trials_table(experiment, trials, spaces))
        # the last trial's counts can land a moment after the experiment's condition
        experiment, trials = _snapshot(kf, name, namespace)
        if show:
            live.update(trials_table(experiment, trials, spaces), refresh=True)
    finally:
        if show:
            live.stop()
    return result_of(experiment, trials, spaces)
