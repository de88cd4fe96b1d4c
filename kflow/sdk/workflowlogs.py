"""One log for a whole Argo workflow: every step's `main` container, each line with its step.

A workflow is many pods, one per step, all labelled
`workflows.argoproj.io/workflow=<name>` and annotated with their node's name.
`workflow_logs` reads them in the order the steps started; with `follow` it streams
the running ones at once, lets later steps join as they start, and ends once the
workflow has finished and every stream has drained. Like `job_logs`, it is built on
`Client.list` and `Client.logs`, plus the server's archived step logs
(`kflow.sdk.runs.archived_logs`) for steps whose pods are gone (`podGC`, deleted
pods). `resume_workflow` is `argo resume`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.argo.resume import resumed
from kflow.api.errors import BadRequest, Conflict, NotFound
from kflow.sdk.client import Client
from kflow.sdk.joblogs import LogLine
from kflow.sdk.runs import archived_logs

Obj = dict[str, Any]
POLL_INTERVAL = 0.25
FINISHED = ("Succeeded", "Failed", "Error")


def step_name(pod: Obj) -> str:
    """The step a pod runs, from its node name: `wf[1].hello2a` -> `hello2a`."""
    node = str((m.meta(pod).get("annotations") or {}).get(c.ANNOTATION_NODE_NAME) or "")
    workflow = m.labels_of(pod).get(c.LABEL_WORKFLOW, "")
    return node_step(node, workflow) or m.name_of(pod)


def node_step(node: str, workflow: str) -> str:
    """The step of a node name: `wf[1].hello2a` -> `hello2a`; the workflow's own node as is."""
    if not node or node == workflow:
        return node
    depth, cut = 0, 0
    for i, char in enumerate(node):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "." and depth == 0:
            cut = i + 1
    return node[cut:] or node


def workflow_pods(client: Client, name: str, *, namespace: str | None = None) -> list[Obj]:
    """The pods of a workflow, in the order its steps started."""
    pods = client.list("pods", namespace=namespace, labels=f"{c.LABEL_WORKFLOW}={name}").items
    return sorted(pods, key=lambda p: (str(m.meta(p).get("creationTimestamp")), m.name_of(p)))


def _started(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Running", "Succeeded", "Failed")


def _read(client: Client, pod: Obj, namespace: str | None, tail: int | None) -> Iterator[LogLine]:
    try:
        for text in client.logs(m.name_of(pod), c.MAIN_CONTAINER, namespace=namespace, tail=tail):
            yield LogLine(step_name(pod), m.name_of(pod), text)
    except (BadRequest, NotFound):
        return


def _archived(client: Client, name: str, namespace: str | None) -> list[Obj]:
    """The archived main logs of the workflow's steps (none from a server without them)."""
    try:
        return archived_logs(client, name, namespace=namespace)
    except NotFound:
        return []


def _archived_lines(entry: Obj, workflow: str, tail: int | None) -> Iterator[LogLine]:
    lines = str(entry.get("text") or "").splitlines()
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    step = node_step(str(entry.get("nodeName") or ""), workflow) or str(entry["podName"])
    for text in lines:
        yield LogLine(step, str(entry["podName"]), text)


def workflow_logs(
    client: Client,
    name: str,
    *,
    namespace: str | None = None,
    follow: bool = False,
    tail: int | None = None,
    timeout: float | None = None,
) -> Iterator[LogLine]:
    """The merged `main` log of every step of workflow `name` (NotFound if there is none)."""
    client.get("workflows", name, namespace=namespace)
    if not follow:
        pods = workflow_pods(client, name, namespace=namespace)
        live = {m.name_of(p) for p in pods}
        steps: list[tuple[str, Obj | None, Obj | None]] = [
            (str(m.meta(p).get("creationTimestamp") or ""), p, None) for p in pods
        ]
        steps += [
            (str(e.get("startedAt") or ""), None, e)
            for e in _archived(client, name, namespace)
            if e["podName"] not in live
        ]
        for _, pod, archived in sorted(steps, key=lambda s: s[0]):
            if pod is not None:
                yield from _read(client, pod, namespace, tail)
            elif archived is not None:
                yield from _archived_lines(archived, name, tail)
        return
    lines: queue.Queue[LogLine | str] = queue.Queue()
    reading: set[str] = set()
    seen: set[str] = set()
    followed: set[str] = set()
    stop = threading.Event()

    def pump(pod: Obj, uid: str) -> None:
        try:
            for text in client.logs(
                m.name_of(pod), c.MAIN_CONTAINER, namespace=namespace, follow=True, tail=tail
            ):
                lines.put(LogLine(step_name(pod), m.name_of(pod), text))
                if stop.is_set():
                    return
        except Exception:  # a broken stream must not hang the merge
            return
        finally:
            lines.put(uid)

    deadline = None if timeout is None else time.monotonic() + timeout
    next_look = 0.0
    finished = False
    try:
        while True:
            now = time.monotonic()
            if now >= next_look:
                next_look = now + POLL_INTERVAL
                try:
                    wf = client.get("workflows", name, namespace=namespace)
                except NotFound:
                    wf = {}
                finished = (wf.get("status") or {}).get("phase") in FINISHED or not wf
                for pod in workflow_pods(client, name, namespace=namespace):
                    uid = str(m.meta(pod).get("uid") or m.name_of(pod))
                    if uid in seen or not _started(pod):
                        continue
                    seen.add(uid)
                    followed.add(m.name_of(pod))
                    reading.add(uid)
                    threading.Thread(target=pump, args=(pod, uid), daemon=True).start()
            if finished and not reading and lines.empty():
                # steps whose pods were gone before they could be followed (podGC)
                for entry in _archived(client, name, namespace):
                    if entry["podName"] not in followed:
                        yield from _archived_lines(entry, name, tail)
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            try:
                item = lines.get(timeout=max(0.0, next_look - time.monotonic()))
            except queue.Empty:
                continue
            if isinstance(item, str):
                reading.discard(item)
            else:
                yield item
    finally:
        stop.set()


def resume_workflow(
    client: Client, name: str, *, namespace: str | None = None, node: str | None = None
) -> list[str]:
    """Argo's `resume`: waiting suspend nodes succeed (and `spec.suspend` is cleared);
    the names of the nodes resumed."""
    wf = client.get("workflows", name, namespace=namespace)
    resumed_any: list[str] = []
    if (wf.get("spec") or {}).get("suspend"):
        client.patch("workflows", name, {"spec": {"suspend": None}}, namespace=namespace)
        resumed_any.append(name)
    for _ in range(10):
        wf = client.get("workflows", name, namespace=namespace)
        body, names = resumed(wf, m.now(), node=node)
        if not names:
            return resumed_any
        nodes = (body.get("status") or {}).get("nodes") or {}
        # a merge patch keeps what it does not name: the old message is removed explicitly
        changed = {i: {"message": None, **n} for i, n in nodes.items() if n.get("name") in names}
        patch = {
            "metadata": {"resourceVersion": m.meta(wf).get("resourceVersion")},
            "status": {"nodes": changed},
        }
        try:
            client.patch("workflows", name, patch, namespace=namespace, subresource="status")
        except Conflict:
            continue
        return resumed_any + names
    raise Conflict(f'workflow "{name}" kept changing; try again')
