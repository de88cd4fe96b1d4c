"""From an experiment's trial template to a Trial, and from a Trial to its workload.

`trial_for` is Katib's manifest generator: the template (inline `trialSpec` or the
YAML at `templatePath` of a ConfigMap) with every `${trialParameters.<name>}`
replaced by the assignment's value or by a meta reference (`${trialSpec.Name}`,
`Namespace`, `Kind`, `APIVersion`, `Labels[key]`, `Annotations[key]`), named after
the trial. `workload_for` adds what Katib's pod webhook would: trial and experiment
labels on every pod template, `KATIB_TRIAL_NAME` in the primary container, a
volume where a File or TensorFlowEvent collector reads, a Custom collector's
container, and for Push the pieces `kubeflow.katib.report_metrics` needs (the
service-account namespace file and the DB manager's address).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from typing import Any

import yaml

from kflow.api import meta as m
from kflow.api.errors import NotFound
from kflow.api.katib.contracts import TRIAL_PARAMETER_FORMAT
from kflow.controllers.katib.records import EXPERIMENT_LABEL, TRIAL_LABEL
from kflow.store.interface import Store

Obj = dict[str, Any]

TRIAL_NAME_ENV = "KATIB_TRIAL_NAME"
METRICS_VOLUME = "metrics-volume"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
SERVICE_ACCOUNT_VOLUME = "kflow-katib-namespace"
DB_MANAGER_NAMES = (
    "katib-db-manager.kubeflow",
    "katib-db-manager.kubeflow.svc",
    "katib-db-manager.kubeflow.svc.cluster.local",
)
_META = re.compile(r"^\$\{trialSpec\.(Name|Namespace|Kind|APIVersion)\}$")
_META_MAP = re.compile(r"^\$\{trialSpec\.(Labels|Annotations)\[(.+)\]\}$")


class TemplateError(Exception):
    """The trial template can't be turned into a workload (a missing ConfigMap, bad YAML)."""


def template_source(store: Store, experiment: Obj) -> Obj:
    """The trial template's workload: inline, or read from its ConfigMap."""
    template = (experiment.get("spec") or {}).get("trialTemplate") or {}
    if template.get("trialSpec"):
        return m.clone(template["trialSpec"])
    ref = template.get("configMap") or {}
    name, namespace = ref.get("configMapName"), ref.get("configMapNamespace")
    path = str(ref.get("templatePath") or "")
    try:
        config_map = store.get("configmaps", str(namespace), str(name))
    except NotFound:
        raise TemplateError(
            f'ConfigMap "{namespace}/{name}" with the trial template not found'
        ) from None
    text = (config_map.get("data") or {}).get(path)
    if text is None:
        raise TemplateError(f'ConfigMap "{namespace}/{name}" has no key "{path}"')
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise TemplateError(f'ConfigMap "{namespace}/{name}" key "{path}": {err}') from None
    if not isinstance(loaded, dict):
        raise TemplateError(f'ConfigMap "{namespace}/{name}" key "{path}" is not an object')
    return loaded


def _meta_value(reference: str, source: Obj, trial_name: str, namespace: str) -> str | None:
    plain = _META.match(reference)
    if plain:
        return {
            "Name": trial_name,
            "Namespace": namespace,
            "Kind": str(source.get("kind") or ""),
            "APIVersion": str(source.get("apiVersion") or ""),
        }[plain[1]]
    keyed = _META_MAP.match(reference)
    if keyed:
        holder = (source.get("metadata") or {}).get(keyed[1].lower()) or {}
        value = holder.get(keyed[2])
        return None if value is None else str(value)
    return None


def render_run_spec(
    experiment: Obj, source: Obj, trial_name: str, assignments: dict[str, str]
) -> Obj:
    """The workload of one trial: the template with its trial parameters filled in."""
    namespace = m.namespace_of(experiment)
    template = (experiment.get("spec") or {}).get("trialTemplate") or {}
    text = json.dumps(source)
    for parameter in template.get("trialParameters") or []:
        name, reference = str(parameter.get("name")), str(parameter.get("reference"))
        value = assignments.get(reference)
        if value is None:
            value = _meta_value(reference, source, trial_name, namespace)
        if value is None:
            raise TemplateError(
                f"trial parameter {name!r}: reference {reference!r} has no value in this trial"
            )
        # the value lands inside a JSON string: escape it as one
        text = text.replace(TRIAL_PARAMETER_FORMAT.format(name=name), json.dumps(value)[1:-1])
    run_spec: Obj = json.loads(text)
    md = run_spec.setdefault("metadata", {})
    md["name"], md["namespace"] = trial_name, namespace
    return run_spec


PBT_LABEL_PARENT = "pbt.suggestion.katib.kubeflow.org/parent"
PBT_VOLUME = "pbt-checkpoints"
PBT_INIT_CONTAINER = "pbt-checkpoint"
# a child starts from its parent's checkpoint: copied once, never over the child's own
PBT_COPY = 'if [ -d "$1" ] && [ ! -e "$2" ]; then cp -a "$1" "$2"; fi; mkdir -p "$2"'


def pbt_claim_name(experiment: Obj) -> str:
    """Katib's name for the suggestion's checkpoint volume: `<experiment>-pbt`."""
    return f"{m.name_of(experiment)}-pbt"


def pbt_checkpoint_dir(experiment: Obj) -> str | None:
    """`suggestion_trial_dir` of a PBT experiment, else None."""
    algorithm = (experiment.get("spec") or {}).get("algorithm") or {}
    if algorithm.get("algorithmName") != "pbt":
        return None
    for setting in algorithm.get("algorithmSettings") or []:
        if setting.get("name") == "suggestion_trial_dir" and setting.get("value"):
            return str(setting["value"])
    return None


def _with_pbt_checkpoints(experiment: Obj, run_spec: Obj, trial: str, labels: Obj) -> None:
    """What Katib's PBT service and pod webhook do: the experiment's checkpoint volume at
    `suggestion_trial_dir` in the primary container, and the parent's checkpoint
    directory copied to this trial's before it starts."""
    directory = pbt_checkpoint_dir(experiment)
    if directory is None:
        return
    primary = ((experiment.get("spec") or {}).get("trialTemplate") or {}).get(
        "primaryContainerName"
    )
    parent = labels.get(PBT_LABEL_PARENT)
    base = directory.rstrip("/")
    for template in pod_templates(run_spec):
        pod_spec = template["spec"]
        _add_volume(
            pod_spec,
            {
                "name": PBT_VOLUME,
                "persistentVolumeClaim": {"claimName": pbt_claim_name(experiment)},
            },
        )
        containers = [c for c in pod_spec["containers"] if c.get("name") == primary]
        for container in containers:
            _add_mount(container, PBT_VOLUME, directory)
        if containers and parent:
            init = {
                "name": PBT_INIT_CONTAINER,
                "image": containers[0].get("image") or "busybox",
                "command": ["sh", "-c", PBT_COPY, "sh", f"{base}/{parent}", f"{base}/{trial}"],
                "volumeMounts": [{"name": PBT_VOLUME, "mountPath": directory}],
            }
            inits = pod_spec.setdefault("initContainers", [])
            if not any(c.get("name") == PBT_INIT_CONTAINER for c in inits):
                inits.append(init)


def trial_for(experiment: Obj, source: Obj, assignment: Obj) -> Obj:
    """The Trial object for one suggestion (`status.suggestions[i]` of the Suggestion)."""
    spec = experiment.get("spec") or {}
    template = spec.get("trialTemplate") or {}
    name = str(assignment["name"])
    values = {
        str(a.get("name")): str(a.get("value"))
        for a in assignment.get("parameterAssignments") or []
    }
    run_spec = render_run_spec(experiment, source, name, values)
    _with_pbt_checkpoints(experiment, run_spec, name, assignment.get("labels") or {})
    trial_spec: Obj = {
        "objective": m.clone(spec.get("objective") or {}),
        "parameterAssignments": copy.deepcopy(assignment.get("parameterAssignments") or []),
        "runSpec": run_spec,
        "metricsCollector": m.clone(spec.get("metricsCollectorSpec") or {}),
        "retainRun": bool(template.get("retain")),
        "primaryContainerName": template.get("primaryContainerName"),
        "successCondition": template.get("successCondition"),
        "failureCondition": template.get("failureCondition"),
    }
    for key, value in (
        ("primaryPodLabels", template.get("primaryPodLabels")),
        ("earlyStoppingRules", assignment.get("earlyStoppingRules")),
        ("labels", assignment.get("labels")),
    ):
        if value:
            trial_spec[key] = copy.deepcopy(value)
    labels = {**(m.labels_of(experiment)), **(assignment.get("labels") or {})}
    labels[EXPERIMENT_LABEL] = m.name_of(experiment)
    return {
        "apiVersion": experiment.get("apiVersion"),
        "kind": "Trial",
        "metadata": {
            "name": name,
            "namespace": m.namespace_of(experiment),
            "labels": labels,
            "ownerReferences": [m.owner_reference(experiment)],
        },
        "spec": trial_spec,
    }


def pod_templates(obj: Any) -> Iterator[Obj]:
    """Every pod template inside a workload (Job, TFJob replica specs, ...)."""
    if isinstance(obj, dict):
        template = obj.get("template")
        if isinstance(template, dict) and isinstance(
            (template.get("spec") or {}).get("containers"), list
        ):
            yield template
        for key, value in obj.items():
            if key != "template":
                yield from pod_templates(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from pod_templates(item)


def _collector_dir(collector: Obj) -> str | None:
    """Where a File or TensorFlowEvent collector reads, as a directory to mount."""
    kind = (collector.get("collector") or {}).get("kind")
    source = (collector.get("source") or {}).get("fileSystemPath") or {}
    path = source.get("path")
    if kind not in ("File", "TensorFlowEvent") or not path:
        return None
    return str(path) if source.get("kind") == "Directory" else os.path.dirname(str(path))


def _add_env(container: Obj, name: str, value: str) -> None:
    env = container.setdefault("env", [])
    if not any(e.get("name") == name for e in env):
        env.append({"name": name, "value": value})


def _add_volume(pod_spec: Obj, volume: Obj) -> None:
    volumes = pod_spec.setdefault("volumes", [])
    if not any(v.get("name") == volume["name"] for v in volumes):
        volumes.append(volume)


def _add_mount(container: Obj, name: str, path: str) -> None:
    mounts = container.setdefault("volumeMounts", [])
    if not any(vm.get("mountPath") == path for vm in mounts):
        mounts.append({"name": name, "mountPath": path})


def workload_for(trial: Obj, db_manager_ip: str | None = None) -> Obj:
    """The trial's `runSpec` with Katib's pod-level additions, owned by the trial."""
    spec = trial.get("spec") or {}
    workload = m.clone(spec.get("runSpec") or {})
    md = workload.setdefault("metadata", {})
    md["ownerReferences"] = [m.owner_reference(trial)]
    labels = {TRIAL_LABEL: m.name_of(trial)}
    experiment = m.labels_of(trial).get(EXPERIMENT_LABEL)
    if experiment:
        labels[EXPERIMENT_LABEL] = experiment
    md["labels"] = {**(md.get("labels") or {}), **labels}
    collector = spec.get("metricsCollector") or {}
    kind = (collector.get("collector") or {}).get("kind")
    primary = spec.get("primaryContainerName")
    directory = _collector_dir(collector)
    for template in pod_templates(workload):
        tmd = template.setdefault("metadata", {})
        tmd["labels"] = {**(tmd.get("labels") or {}), **labels}
        pod_spec = template["spec"]
        containers = [c for c in pod_spec["containers"] if c.get("name") == primary]
        for container in containers:
            _add_env(container, TRIAL_NAME_ENV, m.name_of(trial))
            if directory:
                _add_volume(pod_spec, {"name": METRICS_VOLUME, "emptyDir": {}})
                _add_mount(container, METRICS_VOLUME, directory)
            if kind in ("Push", "Custom", "None"):
                _add_volume(
                    pod_spec,
                    {
                        "name": SERVICE_ACCOUNT_VOLUME,
                        "downwardAPI": {
                            "items": [
                                {
                                    "path": "namespace",
                                    "fieldRef": {"fieldPath": "metadata.namespace"},
                                }
                            ]
                        },
                    },
                )
                _add_mount(container, SERVICE_ACCOUNT_VOLUME, SERVICE_ACCOUNT_DIR)
                # grpc's own resolver skips /etc/hosts; the system one reads it
                _add_env(container, "GRPC_DNS_RESOLVER", "native")
        if kind in ("Push", "Custom", "None") and db_manager_ip:
            aliases = pod_spec.setdefault("hostAliases", [])
            if not any(a.get("ip") == db_manager_ip for a in aliases):
                aliases.append({"ip": db_manager_ip, "hostnames": list(DB_MANAGER_NAMES)})
        custom = (collector.get("collector") or {}).get("customCollector")
        if kind == "Custom" and isinstance(custom, dict) and containers:
            sidecar = m.clone(custom)
            sidecar.setdefault("name", "metrics-logger-and-collector")
            if not any(c.get("name") == sidecar["name"] for c in pod_spec["containers"]):
                # the collector reports as the trial: same name, namespace file, resolver
                _add_env(sidecar, TRIAL_NAME_ENV, m.name_of(trial))
                _add_env(sidecar, "GRPC_DNS_RESOLVER", "native")
                _add_mount(sidecar, SERVICE_ACCOUNT_VOLUME, SERVICE_ACCOUNT_DIR)
                if directory:
                    _add_mount(sidecar, METRICS_VOLUME, directory)
                pod_spec["containers"].append(sidecar)
    return workload
