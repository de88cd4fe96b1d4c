"""What `argo resume` does to a workflow: its waiting suspend nodes succeed.

Argo's API server resumes a workflow by editing it: `spec.suspend` is cleared and
every suspend node that still waits (type Suspend, phase Running) — or only those a
node field selector names — becomes Succeeded, its output parameters taking their
`valueFrom.default` when nobody supplied a value. The workflow controller then goes
on from there. `kflow resume` does the same through the status subresource.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c

Obj = dict[str, Any]


def waiting_suspends(wf: Obj) -> list[Obj]:
    """The suspend nodes that wait for a resume."""
    nodes = (wf.get("status") or {}).get("nodes") or {}
    return [
        n
        for n in nodes.values()
        if n.get("type") == c.NodeType.SUSPEND.value and n.get("phase") == c.NodePhase.RUNNING.value
    ]


def resumed(wf: Obj, now: dt.datetime, *, node: str | None = None) -> tuple[Obj, list[str]]:
    """`wf` with its waiting suspend nodes (or the one named/displayed `node`) succeeded;
    and the names of the nodes resumed."""
    body = copy.deepcopy(wf)
    names: list[str] = []
    for waiting in waiting_suspends(body):
        if node is not None and node not in (waiting.get("name"), waiting.get("displayName")):
            continue
        waiting["phase"] = c.NodePhase.SUCCEEDED.value
        waiting["finishedAt"] = m.timestamp(now)
        waiting.pop("message", None)
        for param in (waiting.get("outputs") or {}).get("parameters") or []:
            default = (param.get("valueFrom") or {}).get("default")
            if param.get("value") is None and default is not None:
                param["value"] = str(default)
        names.append(str(waiting.get("name")))
    return body, names
