"""`kflow describe workflow`: a Workflow as `argo get` shows it, with its Events.

A header (name, namespace, status, conditions, times, duration, progress, message,
parameters, outputs), then the node tree: one line per step or task with its phase
icon, display name, template, pod and duration, indented under the steps or dag that
ran it — step groups and task groups are drawn as branches, not lines of their own,
as Argo draws them — then the Events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kflow.api import meta as m
from kflow.api.argo.naming import pod_name
from kflow.api.argo.registration import workflow_duration, workflow_status
from kflow.api.tables import human_age, human_duration
from kflow.cli.describers import events_section, field_line

Obj = dict[str, Any]
WIDTH = 20

ICONS = {
    "Succeeded": "✔",
    "Running": "●",
    "Pending": "◷",
    "Failed": "✖",
    "Error": "⚠",
    "Skipped": "○",
    "Omitted": "○",
}
"""`argo get`'s phase icons."""
SUSPENDED = "ǁ"
HIDDEN = ("StepGroup", "TaskGroup")
"""Nodes drawn as branches: their children are listed under their parent."""


def _icon(node: Obj) -> str:
    if node.get("type") == "Suspend" and node.get("phase") == "Running":
        return SUSPENDED
    return ICONS.get(str(node.get("phase")), "?")


def node_duration(node: Obj, now: dt.datetime | None = None) -> str:
    started = node.get("startedAt")
    if not started:
        return ""
    end = m.parse_timestamp(str(node["finishedAt"])) if node.get("finishedAt") else (now or m.now())
    return human_duration(int((end - m.parse_timestamp(str(started))).total_seconds()))


class Tree:
    """The workflow's nodes as `argo get` nests them."""

    def __init__(self, wf: Obj) -> None:
        self.workflow = m.name_of(wf)
        self.nodes: dict[str, Obj] = dict((wf.get("status") or {}).get("nodes") or {})
        # nodes are stored in the order they were made: the tie-break for equal start times
        self._made = {node_id: i for i, node_id in enumerate(self.nodes)}

    def _order(self, node: Obj) -> tuple[str, int]:
        return (str(node.get("startedAt") or ""), self._made.get(str(node.get("id")), 0))

    def children(self, node: Obj) -> list[Obj]:
        """What is drawn under `node`: nodes it bounds (steps, dag) or owns (retries, groups)."""
        kind = node.get("type")
        if kind in ("Steps", "DAG"):
            inside = [
                n
                for n in self.nodes.values()
                if n.get("boundaryID") == node["id"] and n.get("type") != "StepGroup"
            ]
            groups = {
                n["id"]
                for n in self.nodes.values()
                if n.get("boundaryID") == node["id"] and n.get("type") == "TaskGroup"
            }
            # a TaskGroup's iterations are drawn under it; the onExit hooks under their node
            members = {c for g in groups for c in self.nodes[g].get("children") or []}
            hooks = {n["id"] for n in inside if str(n.get("name", "")).endswith(".onExit")}
            top = [n for n in inside if n["id"] not in members and n["id"] not in hooks]
            retried = {c for n in top if n.get("type") == "Retry" for c in n.get("children") or []}
            return sorted((n for n in top if n["id"] not in retried), key=self._order)
        if kind in ("Retry", "TaskGroup"):
            found = [self.nodes[c] for c in node.get("children") or [] if c in self.nodes]
            return sorted(found, key=self._order)
        exits = [
            self.nodes[c]
            for c in node.get("children") or []
            if c in self.nodes and str(self.nodes[c].get("name", "")).endswith(".onExit")
        ]
        return sorted(exits, key=self._order)

    def rows(self) -> list[list[str]]:
        root = self.nodes.get(self.workflow)
        rows: list[list[str]] = []
        if root is not None:
            self._walk(root, "", "", rows)
        exit_node = next(
            (n for n in self.nodes.values() if n.get("name") == f"{self.workflow}.onExit"), None
        )
        if exit_node is not None:
            self._walk(exit_node, "", "", rows)
        return rows

    def _walk(self, node: Obj, lead: str, rest: str, rows: list[list[str]]) -> None:
        pod = ""
        if node.get("type") == "Pod":
            pod = pod_name(self.workflow, str(node["name"]), str(node.get("templateName") or ""))
            if node.get("templateRef"):
                pod = pod_name(
                    self.workflow, str(node["name"]), str(node["templateRef"].get("template"))
                )
        template = str(
            node.get("templateName") or (node.get("templateRef") or {}).get("template") or ""
        )
        rows.append(
            [
                f"{lead}{_icon(node)} {node.get('displayName') or node.get('name')}",
                template,
                pod,
                node_duration(node) if node.get("type") in ("Pod", "Suspend", "Retry") else "",
                str(node.get("message") or ""),
            ]
        )
        kids = self.children(node)
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            self._walk(
                kid, f"{rest}{'└─' if last else '├─'}", f"{rest}{'  ' if last else '│ '}", rows
            )


def _grid(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        " " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]


def describe_workflow(wf: Obj, events: list[Obj] | None) -> str:
    """`argo get`'s report of a workflow, then its Events."""
    md, spec, status = m.meta(wf), wf.get("spec") or {}, wf.get("status") or {}
    lines: list[str] = []
    field_line(lines, "Name", [m.name_of(wf)], WIDTH)
    field_line(lines, "Namespace", [m.namespace_of(wf)], WIDTH)
    field_line(lines, "ServiceAccount", [str(spec.get("serviceAccountName") or "unset")], WIDTH)
    field_line(lines, "Status", [workflow_status(wf)], WIDTH)
    if status.get("message"):
        field_line(lines, "Message", [str(status["message"])], WIDTH)
    conditions = [f"{x.get('type')}  {x.get('status')}" for x in status.get("conditions") or []]
    if conditions:
        field_line(lines, "Conditions", conditions, WIDTH)
    created = md.get("creationTimestamp")
    if created:
        field_line(lines, "Created", [f"{created} ({human_age(str(created))} ago)"], WIDTH)
    for label, field in (("Started", "startedAt"), ("Finished", "finishedAt")):
        if status.get(field):
            field_line(lines, label, [str(status[field])], WIDTH)
    if status.get("startedAt"):
        field_line(lines, "Duration", [workflow_duration(wf)], WIDTH)
    if status.get("progress"):
        field_line(lines, "Progress", [str(status["progress"])], WIDTH)
    params = (spec.get("arguments") or {}).get("parameters") or []
    if params:
        lines.append("Parameters:")
        lines += [f"  {p.get('name')}:".ljust(WIDTH) + f"{p.get('value', '')}" for p in params]
    outputs = (status.get("outputs") or {}).get("parameters") or []
    if outputs:
        lines.append("Outputs:")
        lines += [f"  {p.get('name')}:".ljust(WIDTH) + f"{p.get('value', '')}" for p in outputs]
    rows = Tree(wf).rows()
    if rows:
        lines.append("")
        lines += _grid([["STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE"], *rows])
    events_section(lines, events or [])
    return "\n".join(lines) + "\n"
