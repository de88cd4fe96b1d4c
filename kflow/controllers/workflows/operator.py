"""Argo's `operate()`: one level-based pass over one workflow.

Each pass starts from the stored workflow and its pods and computes the next
status: the spec to run (the workflow's own, or the WorkflowTemplate it refers to,
copied into `status.storedWorkflowTemplateSpec` on the first pass), the claims of
`volumeClaimTemplates`, the walk from the entrypoint (`Execution`), then — once the
entrypoint's node is done — the exit handler (`onExit` or `hooks.exit`, with
`workflow.status` and `workflow.failures`), the workflow's phase and message, and
clean-up (claims on success, pods by `podGC`). A workflow past its
`activeDeadlineSeconds`, or asked to `shutdown`, starts nothing new and fails what
still runs; one with `suspend: true` starts nothing new until it is false again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from typing import Any

from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.argo import contracts as c
from kflow.api.argo.validation import spec_findings
from kflow.api.errors import AlreadyExists, ApiError, NotFound
from kflow.api.kinds import registry
from kflow.controllers.workflows.execution import Call, Env, Execution
from kflow.controllers.workflows.leaves import stop_active
from kflow.controllers.workflows.loops import exit_hook
from kflow.controllers.workflows.nodes import fulfilled
from kflow.controllers.workflows.templates import LOCAL, Fetch, Resolver, Source

Obj = dict[str, Any]

NODE_TO_WORKFLOW = {
    "Pending": "Pending",
    "Running": "Running",
    "Succeeded": "Succeeded",
    "Skipped": "Succeeded",
    "Omitted": "Succeeded",
    "Failed": "Failed",
    "Error": "Error",
}


@dataclasses.dataclass
class Outcome:
    """What one pass decided: the new workflow body, and when to look again."""

    workflow: Obj
    changed: bool
    requeue: float | None
    finished: bool


def merged_spec(wf_spec: Obj, template_spec: Obj) -> Obj:
    """Argo's `JoinWorkflowSpec`: the template's spec under the workflow's own fields."""
    spec = json.loads(json.dumps(template_spec))
    for key, value in wf_spec.items():
        if key == "workflowTemplateRef":
            continue
        if key == "arguments" and isinstance(value, dict):
            args = spec.setdefault("arguments", {})
            mine = {p.get("name"): p for p in value.get("parameters") or []}
            theirs = args.get("parameters") or []
            args["parameters"] = [mine.pop(p.get("name"), p) for p in theirs] + list(mine.values())
            if value.get("artifacts"):
                args["artifacts"] = value["artifacts"]
        else:
            spec[key] = value
    return spec  # type: ignore[no-any-return]


class Operator:
    """Runs passes over workflows with one environment."""

    def __init__(self, env: Env) -> None:
        self.env = env

    def _spec(self, wf: Obj, fetch: Fetch) -> tuple[Obj, str]:
        """The spec to run, and why it cannot run ("" when it can)."""
        spec = wf.get("spec") or {}
        ref = spec.get("workflowTemplateRef")
        if not isinstance(ref, dict):
            return spec, ""
        status = wf["status"]
        stored = status.get("storedWorkflowTemplateSpec")
        if not isinstance(stored, dict):
            template = fetch(bool(ref.get("clusterScope")), str(ref.get("name")))
            if template is None:
                kind = (
                    "clusterworkflowtemplates" if ref.get("clusterScope") else "workflowtemplates"
                )
                return spec, f'{kind}.argoproj.io "{ref.get("name")}" not found'
            stored = status["storedWorkflowTemplateSpec"] = template.get("spec") or {}
        merged = merged_spec(spec, stored)
        found = spec_findings(merged, "spec", need_entrypoint=True)
        if found:
            return merged, f"invalid spec: {found[0][1]}"
        return merged, ""

    def _claims(self, ex: Execution) -> str:
        """Create the workflow's claims from `volumeClaimTemplates`; an error, or ""."""
        templates = ex.spec.get("volumeClaimTemplates") or []
        made = ex.status.setdefault("persistentVolumeClaims", [])
        if len(made) >= len(templates):
            return ""
        info = registry.by_resource("persistentvolumeclaims")
        for template in templates:
            ref = str((template.get("metadata") or {}).get("name"))
            if any(v.get("name") == ref for v in made):
                continue
            claim = json.loads(json.dumps(template))
            md = claim.setdefault("metadata", {})
            md["name"] = f"{ex.name}-{ref}"
            md["namespace"] = ex.namespace
            md.setdefault("labels", {})[c.LABEL_WORKFLOW] = ex.name
            md["ownerReferences"] = [m.owner_reference(ex.wf)]
            claim.update(apiVersion="v1", kind="PersistentVolumeClaim")
            try:
                self.env.store.create(
                    info.resource, admit(info, claim, None, operation="CREATE", version="v1")
                )
            except AlreadyExists:
                pass
            except ApiError as error:
                return f"pvc create error: {error}"
            made.append({"name": ref, "persistentVolumeClaim": {"claimName": md["name"]}})
            ex.nodes.changed = True
        return ""

    def operate(self, wf: Obj, pods: list[Obj], now: dt.datetime, fetch: Fetch) -> Outcome:
        wf = m.clone(wf)
        status = wf.setdefault("status", {})
        before = json.dumps(status, sort_keys=True)
        spec, problem = self._spec(wf, fetch)
        local = Source.of(f"{LOCAL}/{m.name_of(wf)}", spec)
        resolver = Resolver(local, status.setdefault("storedTemplates", {}), fetch)
        ex = Execution(self.env, wf, spec, resolver, now)
        if not status.get("phase") or status.get("phase") == c.NodePhase.PENDING.value:
            self._mark(ex, c.NodePhase.RUNNING.value, "")
        if problem:
            self._mark(ex, c.NodePhase.FAILED.value, problem)
            return self._outcome(ex, before, finished=True)
        for pod in pods:
            node_id = (m.meta(pod).get("annotations") or {}).get(c.ANNOTATION_NODE_ID)
            if node_id:
                ex.pods[str(node_id)] = pod
        ex.active_pods = sum(
            1
            for n in ex.nodes.pod_nodes()
            if n.get("phase") in ("Pending", "Running") and ex.pods.get(n["id"]) is not None
        )
        self._limits(ex, spec)
        claim_error = self._claims(ex)
        if claim_error:
            self._mark(ex, c.NodePhase.ERROR.value, claim_error)
            return self._outcome(ex, before, finished=True)
        entry: Obj = {"template": spec.get("entrypoint")}
        root = ex.execute(Call(ex.name, entry, resolver.local, spec.get("arguments"), ""))
        finished = False
        if root is not None and fulfilled(root):
            finished = self._finish(ex, spec, root)
        status["progress"] = ex.nodes.progress()
        if resolver.stored_changed:
            ex.nodes.changed = True
        return self._outcome(ex, before, finished=finished)

    def _limits(self, ex: Execution, spec: Obj) -> None:
        """The workflow's deadline, shutdown and suspend: what may still start."""
        shutdown = str(spec.get("shutdown") or "")
        started = ex.status.get("startedAt")
        deadline = spec.get("activeDeadlineSeconds")
        if shutdown:
            ex.blocked = True
            stop_active(ex, f"Stopped with strategy '{shutdown}'")
        elif isinstance(deadline, int) and started:
            ends = m.parse_timestamp(str(started)) + dt.timedelta(seconds=deadline)
            if ex.now >= ends:
                ex.blocked = True
                stop_active(ex, c.MESSAGE_DEADLINE)
            else:
                ex.wake_in((ends - ex.now).total_seconds())
        if spec.get("suspend"):
            ex.blocked = True

    def _finish(self, ex: Execution, spec: Obj, root: Obj) -> bool:
        """The entrypoint is done: run the exit handler, then settle the workflow."""
        phase = NODE_TO_WORKFLOW.get(str(root.get("phase")), "Error")
        hook = exit_hook(spec)
        exit_node = None
        if hook is not None and spec.get("shutdown") != "Terminate":
            failures = [
                {
                    "displayName": n.get("displayName"),
                    "message": n.get("message", ""),
                    "templateName": n.get("templateName", ""),
                    "phase": n.get("phase"),
                    "podName": n.get("id"),
                    "finishedAt": n.get("finishedAt"),
                }
                for n in ex.nodes.by_id.values()
                if n.get("phase") in ("Failed", "Error")
            ]
            ex.globals["workflow.status"] = phase
            ex.globals["workflow.failures"] = json.dumps(failures, separators=(",", ":"))
            was_blocked, ex.blocked = ex.blocked, False
            call = Call(
                f"{ex.name}.onExit",
                hook,
                ex.resolver.local,
                hook.get("arguments") or spec.get("arguments"),
            )
            exit_node = ex.execute(call, on_exit=True)
            ex.blocked = was_blocked
            if exit_node is None or not fulfilled(exit_node):
                return False
        message = str(root.get("message") or "")
        if root.get("phase") in ("Failed", "Error") and spec.get("shutdown"):
            message = f"Stopped with strategy '{spec['shutdown']}'"
        if (
            phase == "Succeeded"
            and exit_node is not None
            and exit_node.get("phase") in ("Failed", "Error")
        ):
            phase, message = str(exit_node["phase"]), str(exit_node.get("message") or "")
        self._mark(ex, phase, "" if phase == "Succeeded" else message)
        self._clean_up(ex, spec, phase)
        return True

    def _mark(self, ex: Execution, phase: str, message: str) -> None:
        """Argo's `markWorkflowPhase`: phase, message, times, events, conditions."""
        status = ex.status
        if status.get("phase") != phase:
            status["phase"] = phase
            reason = {"Running": "WorkflowRunning", "Succeeded": "WorkflowSucceeded"}.get(
                phase, "WorkflowFailed"
            )
            note = {"Running": "Workflow Running", "Succeeded": "Workflow completed"}.get(
                phase, message
            )
            self.env.recorder.record(
                ex.wf, "Normal" if phase in ("Running", "Succeeded") else "Warning", reason, note
            )
        if not status.get("startedAt"):
            status["startedAt"] = m.timestamp(ex.now)
        if message:
            status["message"] = message
        else:
            status.pop("message", None)
        if phase in ("Succeeded", "Failed", "Error") and not status.get("finishedAt"):
            status["finishedAt"] = m.timestamp(ex.now)
            conditions = [x for x in status.get("conditions") or [] if x.get("type") != "Completed"]
            status["conditions"] = [*conditions, {"type": "Completed", "status": "True"}]
            running = [
                n for n in ex.nodes.by_id.values() if n["id"] == ex.name and not fulfilled(n)
            ]
            for node in running:
                ex.nodes.mark(node, c.NodePhase.ERROR, "Workflow operation error")

    def _clean_up(self, ex: Execution, spec: Obj, phase: str) -> None:
        """Claims go on success (Argo's default volumeClaimGC); pods as `podGC` says."""
        store = self.env.store
        if phase == "Succeeded":
            for claim in ex.status.get("persistentVolumeClaims") or []:
                with contextlib.suppress(NotFound):
                    store.delete(
                        "persistentvolumeclaims",
                        ex.namespace,
                        claim["persistentVolumeClaim"]["claimName"],
                    )
            ex.status["persistentVolumeClaims"] = []
        gc = (spec.get("podGC") or {}).get("strategy")
        if gc == c.PodGCStrategy.ON_WORKFLOW_COMPLETION.value or (
            gc == c.PodGCStrategy.ON_WORKFLOW_SUCCESS.value and phase == "Succeeded"
        ):
            for pod in ex.pods.values():
                with contextlib.suppress(NotFound):
                    store.delete("pods", ex.namespace, m.name_of(pod))

    def _outcome(self, ex: Execution, before: str, *, finished: bool) -> Outcome:
        if not ex.status.get("storedTemplates"):
            ex.status.pop("storedTemplates", None)
        if not ex.status.get("persistentVolumeClaims"):
            ex.status.pop("persistentVolumeClaims", None)
        changed = json.dumps(ex.status, sort_keys=True) != before
        return Outcome(ex.wf, changed, ex.requeue, finished)
