"""The pod that runs a container or script template.

As Argo's workflow controller builds it: one `main` container (the template's
container, or its script's with the source appended as the last argument), the
template's init containers and sidecars, the volumes its mounts name (the
template's, the workflow's, and claims made from `volumeClaimTemplates`),
`restartPolicy: Never`, the workflow's labels and the node's annotations, an owner
reference to the workflow (deleting it deletes its pods), and the workflow's then
the template's `podSpecPatch` merged in. What Argo's executor sidecars do, the
local runtime gets from files prepared here (see `staging`): the script, a copy of
main's stdout, input artifacts, and a private /tmp where inputs or outputs live.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.patches import strategic_merge_patch
from kflow.artifacts import ArtifactStore, StoredArtifact
from kflow.controllers.workflows.staging import STDOUT_TEE, inside, under_tmp

PACKAGE_ROOT = Path(__file__).resolve().parents[3]
"""Where the `kflow` package lives (the launcher in a pod imports it from there)."""

Obj = dict[str, Any]
TMP_VOLUME = "kflow-tmp"
INPUTS_VOLUME = "kflow-inputs"
STAGING_VOLUME = "kflow-staging"


class PodBuildError(ValueError):
    """The template cannot become a pod (a missing volume, a bad podSpecPatch, ...)."""


def _mounted_at(containers: list[Obj], path: str) -> bool:
    """Whether a declared volumeMount already covers `path`."""
    normal = os.path.normpath(path)
    for box in containers:
        for mount in box.get("volumeMounts") or []:
            at = os.path.normpath(str(mount.get("mountPath") or "/nonexistent"))
            if normal == at or normal.startswith(at.rstrip("/") + "/"):
                return True
    return False


def _file_paths(template: Obj) -> list[str]:
    """Every path the executor reads or writes: outputs and input artifacts."""
    outputs, inputs = template.get("outputs") or {}, template.get("inputs") or {}
    paths = [str((p.get("valueFrom") or {}).get("path")) for p in outputs.get("parameters") or []]
    paths += [str(a.get("path")) for a in outputs.get("artifacts") or []]
    paths += [str(a.get("path")) for a in inputs.get("artifacts") or []]
    return [p for p in paths if p and p != "None" and p.startswith("/")]


def _volumes(names: list[str], sources: list[list[Obj]]) -> list[Obj]:
    out: list[Obj] = []
    for name in names:
        found = next((v for group in sources for v in group if v.get("name") == name), None)
        if found is None:
            raise PodBuildError(f"volume '{name}' not found in workflow spec")
        out.append(m.clone(found))
    return out


def load_inputs(template: Obj, staging: Path, store: ArtifactStore, private_tmp: bool) -> list[Obj]:
    """Place input artifacts; return the mounts main needs for those outside /tmp."""
    mounts: list[Obj] = []
    for art in (template.get("inputs") or {}).get("artifacts") or []:
        name, path = str(art.get("name")), str(art.get("path") or "")
        raw = (art.get("raw") or {}).get("data") if isinstance(art.get("raw"), dict) else None
        stored = art.get("kflow")
        if raw is None and not isinstance(stored, dict):
            if art.get("optional"):
                continue
            raise PodBuildError(f"inputs.artifacts.{name} missing location information")
        if private_tmp and under_tmp(path):
            dest = inside(staging / "tmp", os.path.relpath(path, "/tmp"))
        else:
            dest = inside(staging / "inputs", name)
            mounts.append({"name": INPUTS_VOLUME, "mountPath": path, "subPath": name})
        if dest.is_dir():
            pass
        elif dest.exists():
            dest.unlink()
        dest.parent.mkdir(parents=True, exist_ok=True)
        mode = art["mode"] if isinstance(art.get("mode"), int) else None
        if raw is not None:
            dest.write_text(str(raw))
            if mode is not None:
                os.chmod(dest, mode)
        else:  # hard links to the stored content; a copy of its own when it sets a mode
            store.load(StoredArtifact.from_json(stored), dest, mode=mode)
    return mounts


def _captures_result(template: Obj) -> bool:
    """Whether main's stdout is copied for `outputs.result` (unless the template says no)."""
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(c.ANNOTATION_CAPTURE_RESULT, "true")).lower() != "false"


def _patch(spec: Obj, text: str, which: str) -> Obj:
    try:
        patch = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PodBuildError(f"{which}: not YAML or JSON: {error}") from None
    if not isinstance(patch, dict):
        raise PodBuildError(f"{which}: must be an object (a part of a PodSpec)")
    return strategic_merge_patch({"spec": spec}, {"spec": patch})["spec"]  # type: ignore[no-any-return]


def _kept_under_tmp(data_dir: Path) -> list[str]:
    """Host directories under /tmp that a step with a private /tmp must still see:
    kflow's data directory (the node's script and stdout; what a pipeline launcher
    reads and writes: artifacts, kflow.db), the code the launcher imports (kflow itself,
    `PYTHONPATH`) and the interpreter's prefix — each once, the outermost."""
    candidates = [
        str(data_dir),
        str(PACKAGE_ROOT),
        *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)),
        sys.prefix,
    ]
    found = sorted(
        {os.path.normpath(os.path.abspath(c)) for c in candidates if under_tmp(c)} - {"/tmp"}
    )
    kept: list[str] = []
    for path in found:  # sorted: a parent comes before what it holds
        if not any(path.startswith(parent + os.sep) for parent in kept):
            kept.append(path)
    return kept


def build_pod(
    *,
    wf: Obj,
    spec: Obj,
    claims: list[Obj],
    node: Obj,
    pod_name: str,
    template: Obj,
    staging: Path,
    store: ArtifactStore,
) -> Obj:
    """The pod for Pod node `node` running the (processed) `template`."""
    kind = "script" if template.get("script") is not None else "container"
    main = m.clone(template[kind])
    main["name"] = c.MAIN_CONTAINER
    argv = [*(main.pop("command", None) or []), *(main.pop("args", None) or [])]
    if kind == "script":
        script = staging / "script"
        script.write_text(str(main.pop("source", "")))
        argv.append(str(script))
    if argv and _captures_result(template):
        main["command"] = ["sh", "-c", STDOUT_TEE, str(staging / "stdout"), *argv]
    elif argv:
        main["command"] = argv
    init = [dict(b) for b in template.get("initContainers") or []]
    sidecars = [dict(b) for b in template.get("sidecars") or []]
    boxes = [main, *init, *sidecars]
    names = list(
        dict.fromkeys(str(v.get("name")) for b in boxes for v in b.get("volumeMounts") or [])
    )
    volumes = _volumes(names, [template.get("volumes") or [], spec.get("volumes") or [], claims])
    private_tmp = any(under_tmp(p) for p in _file_paths(template)) and not _mounted_at(
        [main], "/tmp"
    )
    if private_tmp:
        (staging / "tmp").mkdir(exist_ok=True)
        for mount in main.get("volumeMounts") or []:  # points for mounts inside /tmp
            at = str(mount.get("mountPath") or "")
            if under_tmp(at) and os.path.normpath(at) != "/tmp":
                inside(staging / "tmp", os.path.relpath(at, "/tmp")).mkdir(
                    parents=True, exist_ok=True
                )
        volumes.append({"name": TMP_VOLUME, "hostPath": {"path": str(staging / "tmp")}})
        main.setdefault("volumeMounts", []).insert(0, {"name": TMP_VOLUME, "mountPath": "/tmp"})
        data_dir = Path(os.path.commonpath([store.root, staging]))
        for index, kept in enumerate(_kept_under_tmp(data_dir)):
            inside(staging / "tmp", os.path.relpath(kept, "/tmp")).mkdir(
                parents=True, exist_ok=True
            )
            volume = STAGING_VOLUME if index == 0 else f"{STAGING_VOLUME}-{index}"
            volumes.append({"name": volume, "hostPath": {"path": kept}})
            main["volumeMounts"].append({"name": volume, "mountPath": kept})
    input_mounts = load_inputs(template, staging, store, private_tmp)
    if input_mounts:
        volumes.append({"name": INPUTS_VOLUME, "hostPath": {"path": str(staging / "inputs")}})
        main.setdefault("volumeMounts", []).extend(input_mounts)
    pod_spec: Obj = {"restartPolicy": "Never", "containers": [main, *sidecars]}
    if init:
        pod_spec["initContainers"] = init
    if volumes:
        pod_spec["volumes"] = volumes
    account = template.get("serviceAccountName") or spec.get("serviceAccountName")
    if account:
        pod_spec["serviceAccountName"] = account
    deadline = template.get("activeDeadlineSeconds")
    if isinstance(deadline, int) or (isinstance(deadline, str) and deadline.isdigit()):
        pod_spec["activeDeadlineSeconds"] = int(deadline)
    for which, text in (
        ("spec.podSpecPatch", spec.get("podSpecPatch")),
        (f"templates.{template.get('name')}.podSpecPatch", template.get("podSpecPatch")),
    ):
        if text:
            pod_spec = _patch(pod_spec, str(text), which)
    meta_sources = [spec.get("podMetadata") or {}, template.get("metadata") or {}]
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    for source in meta_sources:
        labels.update({k: str(v) for k, v in (source.get("labels") or {}).items()})
        annotations.update({k: str(v) for k, v in (source.get("annotations") or {}).items()})
    labels[c.LABEL_WORKFLOW] = m.name_of(wf)
    labels[c.LABEL_COMPLETED] = "false"
    annotations[c.ANNOTATION_NODE_NAME] = str(node["name"])
    annotations[c.ANNOTATION_NODE_ID] = str(node["id"])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name,
            "namespace": m.namespace_of(wf),
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [m.owner_reference(wf)],
        },
        "spec": pod_spec,
    }
