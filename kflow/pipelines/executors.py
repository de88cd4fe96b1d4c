"""The Argo container template of one IR task that runs an executor.

Every executor task — a lightweight Python component, a container component, an
importer — becomes a container whose process is kflow's launcher
(`python3 -m kflow.pipelines.launcher`), the role KFP's driver and launcher play
together. The template carries what the launcher needs, as arguments Argo never
substitutes into (JSON with `{{` escaped): the component's interface, its executor
(the compiled command and args with their `{{$...}}` placeholders), the task's
caching and the run's options. Argo substitutes only the `--input name=value`
arguments, one per input, and reads each output back from the file the launcher
writes under `OUTPUTS_DIR` (`valueFrom.path`): parameters as their values, artifacts
as JSON references.

The image, env and resources are the executor's (`set_env_variable`,
`set_cpu_limit`, `set_memory_request`, `set_accelerator_type`...), and a task's
`set_retry` becomes the template's `retryStrategy`, as KFP's Argo compiler does.
"""

from __future__ import annotations

from typing import Any

from kflow.pipelines import contract
from kflow.pipelines.errors import SpecError
from kflow.pipelines.ir import Component, Pipeline, Task
from kflow.pipelines.sources import to_json

Template = dict[str, Any]

_GPU_TYPES = {"NVIDIA_TESLA_K80", "NVIDIA_TESLA_P4", "NVIDIA_TESLA_P100", "NVIDIA_TESLA_T4"}


def _resources(spec: dict[str, Any]) -> dict[str, Any]:
    """Kubernetes resources from the executor's ResourceSpec (string fields first)."""
    limits: dict[str, str] = {}
    requests: dict[str, str] = {}
    pairs = (
        (limits, "cpu", "resourceCpuLimit", "cpuLimit", ""),
        (limits, "memory", "resourceMemoryLimit", "memoryLimit", "G"),
        (requests, "cpu", "resourceCpuRequest", "cpuRequest", ""),
        (requests, "memory", "resourceMemoryRequest", "memoryRequest", "G"),
    )
    for target, name, text_field, number_field, unit in pairs:
        if spec.get(text_field):
            target[name] = str(spec[text_field])
        elif spec.get(number_field):
            target[name] = f"{float(spec[number_field]):g}{unit}"
    accelerator = spec.get("accelerator") or {}
    kind = accelerator.get("resourceType") or accelerator.get("type")
    count = accelerator.get("resourceCount") or accelerator.get("count")
    if kind and count:
        limits["nvidia.com/gpu" if kind in _GPU_TYPES else str(kind)] = str(count)
    out: dict[str, Any] = {}
    if limits:
        out["limits"] = limits
    if requests:
        out["requests"] = requests
    return out


def retry_strategy(task: Task) -> dict[str, Any] | None:
    """`set_retry(num_retries, backoff_duration, backoff_factor, backoff_max_duration)`."""
    policy = task.retry
    if not policy:
        return None
    try:
        limit = int(policy.get("maxRetryCount", 0))
    except (TypeError, ValueError):
        raise SpecError(f"{task.field}.retryPolicy.maxRetryCount", "must be an integer") from None
    strategy: dict[str, Any] = {"limit": limit, "retryPolicy": "Always"}
    backoff: dict[str, Any] = {}
    if policy.get("backoffDuration"):
        backoff["duration"] = str(policy["backoffDuration"])
    if policy.get("backoffFactor"):
        backoff["factor"] = int(float(policy["backoffFactor"]))
    if policy.get("backoffMaxDuration"):
        backoff["maxDuration"] = str(policy["backoffMaxDuration"])
    if backoff:
        strategy["backoff"] = backoff
    return strategy


def launcher_task(
    pipeline: Pipeline, task: Task, component: Component, path: str, options: dict[str, Any]
) -> dict[str, Any]:
    """What the launcher of this task is told, beside its inputs (the `--task` JSON)."""
    return {
        "pipeline": pipeline.name,
        "task": path,
        "component": {
            "inputDefinitions": component.raw.get("inputDefinitions") or {},
            "outputDefinitions": component.raw.get("outputDefinitions") or {},
        },
        "executor": pipeline.executors[component.executor_label],
        "cache": {"enabled": task.enable_cache, "key": task.cache_key},
        **options,
    }


def container_template(
    name: str,
    pipeline: Pipeline,
    task: Task,
    component: Component,
    path: str,
    options: dict[str, Any],
    inputs: list[str],
) -> Template:
    """The container template for `task`; `inputs` are the inputs it is given values for."""
    executor = pipeline.executors[component.executor_label]
    container_spec = executor.get("container") or {}
    if not container_spec and "importer" not in executor:
        kinds = sorted(executor) or ["nothing"]
        raise SpecError(
            f"deploymentSpec.executors.{component.executor_label}",
            f"kflow runs container and importer executors, not {', '.join(kinds)}",
        )
    spec = launcher_task(pipeline, task, component, path, options)
    # the only arguments Argo substitutes: the run's identity and the inputs' values
    args = [
        "--task",
        to_json(spec),
        "--run-name",
        "{{workflow.name}}",
        "--run-uid",
        "{{workflow.uid}}",
        "--run-namespace",
        "{{workflow.namespace}}",
    ]
    for input_name in inputs:
        args += ["--input", f"{input_name}={{{{inputs.parameters.{input_name}}}}}"]
    container: dict[str, Any] = {
        "name": "main",
        "image": str(container_spec.get("image") or contract.LAUNCHER_IMAGE),
        "command": [contract.PYTHON, "-m", contract.LAUNCHER_MODULE],
        "args": args,
    }
    env = [
        {"name": str(e["name"]), "value": str(e.get("value", ""))}
        for e in container_spec.get("env") or []
    ]
    if env:
        container["env"] = env
    resources = _resources(container_spec.get("resources") or {})
    if resources:
        container["resources"] = resources
    outputs = [
        {"name": o, "valueFrom": {"path": f"{contract.OUTPUTS_DIR}/{o}"}}
        for o in component.outputs.names()
    ]
    cached_from = f"{contract.OUTPUTS_DIR}/{contract.CACHED_FROM_OUTPUT}"
    outputs.append(
        {"name": contract.CACHED_FROM_OUTPUT, "valueFrom": {"path": cached_from, "default": ""}}
    )
    template: Template = {
        "name": name,
        # outputs travel as files: no copy of stdout for `outputs.result`, so the pod
        # runs the launcher itself (which the local runtime can start warm)
        "metadata": {"annotations": {contract.CAPTURE_RESULT_ANNOTATION: "false"}},
        "inputs": {"parameters": [{"name": i} for i in inputs]},
        "outputs": {"parameters": outputs},
        "container": container,
    }
    retry = retry_strategy(task)
    if retry:
        template["retryStrategy"] = retry
    return template
