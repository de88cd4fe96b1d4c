"""The node tree of a workflow's status, and the few ways the controller changes it.

`status.nodes` maps node ids to nodes in Argo's shape (`id`, `name`, `displayName`,
`type`, `templateName`, `phase`, `boundaryID`, `children`, `outboundNodes`,
`startedAt`, `finishedAt`, `message`, `inputs`, `outputs`). `Nodes` wraps that dict
for one operation: nodes are found by name, created once (`init`), moved between
phases (`mark`, which stamps `finishedAt` when a node is fulfilled) and linked
(`add_child`). `changed` tells the operation whether status must be written.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.argo.naming import node_id

Node = dict[str, Any]

FULFILLED = frozenset(p.value for p in c.FULFILLED)
COMPLETED = frozenset(p.value for p in c.COMPLETED)
UNSUCCESSFUL = frozenset(p.value for p in c.UNSUCCESSFUL)


def fulfilled(node: Node | None) -> bool:
    """Will not change any more (Succeeded, Failed, Error, Skipped, Omitted)."""
    return node is not None and node.get("phase") in FULFILLED


def completed(node: Node | None) -> bool:
    """Fulfilled and considered: Omitted nodes are fulfilled but never completed."""
    return node is not None and node.get("phase") in COMPLETED


def unsuccessful(node: Node | None) -> bool:
    return node is not None and node.get("phase") in UNSUCCESSFUL


_SEPARATOR = re.compile(r"^(\[\d+\])?\.")


def display_name(name: str, boundary_name: str | None) -> str:
    """Argo's display name: the name without its boundary's, `[0].step` -> `step`."""
    if not boundary_name or not name.startswith(boundary_name):
        return name
    return _SEPARATOR.sub("", name[len(boundary_name) :], count=1)


class Nodes:
    """`status.nodes` of one workflow during one operation."""

    def __init__(self, workflow: str, nodes: dict[str, Node], now: dt.datetime) -> None:
        self.workflow = workflow
        self.by_id = nodes
        self.now = now
        self.changed = False

    def id_of(self, name: str) -> str:
        return node_id(self.workflow, name)

    def _name_of(self, id_: str) -> str | None:
        node = self.by_id.get(id_) if id_ else None
        return str(node["name"]) if node else None

    def get(self, name: str) -> Node | None:
        return self.by_id.get(self.id_of(name))

    def init(
        self,
        name: str,
        type_: c.NodeType,
        phase: c.NodePhase,
        *,
        template: str | None = None,
        template_ref: dict[str, Any] | None = None,
        template_scope: str = "",
        boundary_id: str = "",
        message: str = "",
        inputs: dict[str, Any] | None = None,
    ) -> Node:
        """Create the node named `name` (Argo's `initializeNode`); an existing one is kept."""
        existing = self.get(name)
        if existing is not None:
            return existing
        stamp = m.timestamp(self.now)
        node: Node = {
            "id": self.id_of(name),
            "name": name,
            "displayName": display_name(name, self._name_of(boundary_id)),
            "type": type_.value,
            "phase": phase.value,
            "startedAt": stamp,
        }
        if template:
            node["templateName"] = template
        if template_ref:
            node["templateRef"] = template_ref
        if template_scope:
            node["templateScope"] = template_scope
        if boundary_id:
            node["boundaryID"] = boundary_id
        if message:
            node["message"] = message
        if inputs:
            node["inputs"] = inputs
        if phase.value in FULFILLED:
            node["finishedAt"] = stamp
        if type_ == c.NodeType.POD:
            node["progress"] = "0/1"
        self.by_id[node["id"]] = node
        self.changed = True
        return node

    def mark(self, node: Node, phase: c.NodePhase | str, message: str | None = None) -> Node:
        """Move `node` to `phase` (Argo's `markNodePhase`); `message` replaces the old one."""
        value = phase.value if isinstance(phase, c.NodePhase) else phase
        if node.get("phase") != value:
            node["phase"] = value
            self.changed = True
        if message is not None and node.get("message", "") != message:
            if message:
                node["message"] = message
            else:
                node.pop("message", None)
            self.changed = True
        if value in FULFILLED and not node.get("finishedAt"):
            node["finishedAt"] = m.timestamp(self.now)
            if node.get("type") == c.NodeType.POD.value:
                node["progress"] = "1/1" if value == c.NodePhase.SUCCEEDED.value else "0/1"
            self.changed = True
        return node

    def set(self, node: Node, field: str, value: Any) -> None:
        """Set one field of a node, noting a change only if the value differs."""
        if node.get(field) != value:
            node[field] = value
            self.changed = True

    def add_child(self, parent: Node | None, child_id: str) -> None:
        """Link a child to `parent` by id; the child may be created later (Argo does too)."""
        if parent is None:
            return
        children = parent.setdefault("children", [])
        if child_id not in children:
            children.append(child_id)
            self.changed = True

    def child(self, node: Node, index: int) -> Node | None:
        children = node.get("children") or []
        if not children:
            return None
        try:
            return self.by_id.get(children[index])
        except IndexError:
            return None

    def outbound(self, node_id_: str) -> list[str]:
        """The nodes a later node hangs from (Argo's `getOutboundNodes`)."""
        node = self.by_id.get(node_id_)
        if node is None:
            return []
        kind = node.get("type")
        if kind in (c.NodeType.POD.value, c.NodeType.SKIPPED.value, c.NodeType.SUSPEND.value):
            return [node_id_]
        children = node.get("children") or []
        if kind == c.NodeType.TASK_GROUP.value:
            if not children:
                return [node_id_]
            return [o for ch in children for o in self.outbound(ch)]
        if kind == c.NodeType.RETRY.value:
            return self.outbound(children[-1]) if children else [node_id_]
        out = [o for ob in node.get("outboundNodes") or [] for o in self.outbound(ob)]
        return out or [node_id_]

    def pod_nodes(self) -> list[Node]:
        return [n for n in self.by_id.values() if n.get("type") == c.NodeType.POD.value]

    def progress(self) -> str:
        """`succeeded/total` over Pod nodes, as Argo's `status.progress`."""
        pods = self.pod_nodes()
        done = sum(1 for n in pods if n.get("phase") == c.NodePhase.SUCCEEDED.value)
        return f"{done}/{len(pods)}"
