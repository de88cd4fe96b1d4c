"""`describe`: an object as a person reads it, with the Events about it.

The layout follows kubectl: Name, Namespace, Labels and Annotations first, then the
kind's own story — for Pods the phase, each container's state, restarts and
conditions; for every other kind the spec and status, with field names spelled out
(`tfReplicaSpecs` -> `Tf Replica Specs`) — and last the object's Events, oldest first.
"""

from __future__ import annotations

import re
from typing import Any

from kflow.api.tables import human_age
from kflow.sdk import LAST_APPLIED

Obj = dict[str, Any]

_SKIPPED_METADATA = {"name", "namespace", "labels", "annotations", "managedFields"}


def _words(key: str) -> str:
    """`tfReplicaSpecs` -> `Tf Replica Specs`, as kubectl's generic describer writes."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", key)
    return " ".join(w[:1].upper() + w[1:] for w in spaced.replace("_", " ").split())


def pairs(mapping: Any) -> list[str]:
    if not isinstance(mapping, dict) or not mapping:
        return ["<none>"]
    return [f"{k}={v}" for k, v in sorted(mapping.items())]


def field_line(lines: list[str], label: str, values: list[str], width: int = 14) -> None:
    head = f"{label}:".ljust(width)
    lines.append(head + values[0])
    lines.extend(" " * width + v for v in values[1:])


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    return str(value)


def _nested(lines: list[str], value: Any, indent: int) -> None:
    pad = "  " * indent
    if isinstance(value, dict):
        width = max((len(_words(k)) for k in value), default=0) + 3
        for key, child in value.items():
            label = f"{_words(key)}:"
            if isinstance(child, dict | list) and child:
                lines.append(pad + label)
                _nested(lines, child, indent + 1)
            else:
                shown = _scalar(child) if not isinstance(child, dict | list) else "<none>"
                lines.append(pad + label.ljust(width) + shown)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list):
                _nested(lines, item, indent)
            else:
                lines.append(pad + _scalar(item))


def _container_state(state: Any) -> list[str]:
    if not isinstance(state, dict) or not state:
        return ["Waiting"]
    kind, detail = next(iter(state.items()))
    detail = detail if isinstance(detail, dict) else {}
    out = [_words(kind)]
    for key in ("reason", "message", "exitCode", "startedAt", "finishedAt"):
        if key in detail:
            out.append(f"  {_words(key)}: {detail[key]}")
    return out


def _env_value(env: Obj) -> str:
    """An env var's value as `kubectl describe` shows it (references named, never read)."""
    if "value" in env:
        return str(env["value"])
    source = env.get("valueFrom") or {}
    if ref := source.get("fieldRef"):
        return f"({ref.get('apiVersion', 'v1')}:{ref.get('fieldPath', '')})"
    if ref := source.get("configMapKeyRef"):
        optional = f"  Optional: {str(bool(ref.get('optional'))).lower()}"
        return f"<set to the key '{ref.get('key')}' of config map '{ref.get('name')}'>{optional}"
    if ref := source.get("secretKeyRef"):
        optional = f"  Optional: {str(bool(ref.get('optional'))).lower()}"
        return f"<set to the key '{ref.get('key')}' in secret '{ref.get('name')}'>{optional}"
    if ref := source.get("resourceFieldRef"):
        return f"{ref.get('resource', '')} ({ref.get('containerName', '')})"
    kind = next(iter(source), "")
    return f"<set from {kind}>" if kind else ""


def _pod(lines: list[str], pod: Obj) -> None:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    field_line(lines, "Start Time", [str(status.get("startTime") or "<unset>")])
    field_line(lines, "Status", [str(status.get("phase") or "Unknown")])
    if status.get("reason"):
        field_line(lines, "Reason", [str(status["reason"])])
    if status.get("message"):
        field_line(lines, "Message", [str(status["message"])])
    field_line(lines, "IP", [str(status.get("podIP") or "")])
    statuses = {
        s.get("name"): s
        for s in (status.get("containerStatuses") or [])
        + (status.get("initContainerStatuses") or [])
    }
    for title, containers in (
        ("Init Containers", spec.get("initContainers")),
        ("Containers", spec.get("containers")),
    ):
        if not containers:
            continue
        lines.append(f"{title}:")
        for c in containers:
            st = statuses.get(c.get("name")) or {}
            lines.append(f"  {c.get('name')}:")
            rows: list[tuple[str, list[str]]] = [("Image", [str(c.get("image") or "")])]
            ports = [
                f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or []
            ]
            if ports:
                rows.append(("Port", [", ".join(ports)]))
            if c.get("command"):
                rows.append(("Command", ["", *[f"  {a}" for a in c["command"]]]))
            if c.get("args"):
                rows.append(("Args", ["", *[f"  {a}" for a in c["args"]]]))
            rows.append(("State", _container_state(st.get("state"))))
            if st.get("lastState"):
                rows.append(("Last State", _container_state(st.get("lastState"))))
            rows.append(("Ready", [str(bool(st.get("ready")))]))
            rows.append(("Restart Count", [str(st.get("restartCount", 0))]))
            env = [f"{e.get('name')}:  {_env_value(e)}" for e in c.get("env") or []]
            rows.append(("Environment", env or ["<none>"]))
            for label, values in rows:
                head = f"    {label}:".ljust(20)
                lines.append(head + values[0] if values[0] else f"    {label}:")
                lines.extend(
                    " " * 6 + v.strip() if v.startswith("  ") else " " * 20 + v for v in values[1:]
                )
    conditions = status.get("conditions") or []
    if conditions:
        lines.append("Conditions:")
        width = max(len("Type"), *(len(str(c.get("type"))) for c in conditions)) + 2
        lines.append("  " + "Type".ljust(width) + "Status")
        lines.extend(
            "  " + str(c.get("type")).ljust(width) + str(c.get("status")) for c in conditions
        )


def _event_age(event: Obj) -> str:
    last = (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or (event.get("metadata") or {}).get("creationTimestamp")
    )
    age = human_age(last)
    count = int(event.get("count") or (event.get("series") or {}).get("count") or 1)
    first = event.get("firstTimestamp")
    if count > 1 and first:
        return f"{age} (x{count} over {human_age(first)})"
    return age


def events_section(lines: list[str], events: list[Obj]) -> None:
    if not events:
        lines.append("Events:       <none>")
        return
    lines.append("Events:")
    rows = [
        ["Type", "Reason", "Age", "From", "Message"],
        ["----", "------", "----", "----", "-------"],
    ]
    for e in events:
        source = e.get("source") or {}
        origin = e.get("reportingComponent") or source.get("component") or ""
        if source.get("host"):
            origin = f"{origin}, {source['host']}" if origin else source["host"]
        rows.append(
            [
                str(e.get("type") or ""),
                str(e.get("reason") or ""),
                _event_age(e),
                str(origin),
                str(e.get("message") or "").replace("\n", " "),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        lines.append("  " + "  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])


def describe(obj: Obj, events: list[Obj] | None) -> str:
    """The describe text of one object; `events` None when they could not be read."""
    meta = obj.get("metadata") or {}
    lines: list[str] = []
    field_line(lines, "Name", [str(meta.get("name") or "")])
    if meta.get("namespace"):
        field_line(lines, "Namespace", [str(meta["namespace"])])
    field_line(lines, "Labels", pairs(meta.get("labels")))
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    field_line(lines, "Annotations", pairs(annotations))
    if obj.get("kind") == "Pod" and obj.get("apiVersion") == "v1":
        if meta.get("deletionTimestamp"):
            field_line(lines, "Status", ["Terminating"])
        _pod(lines, obj)
    else:
        field_line(lines, "API Version", [str(obj.get("apiVersion") or "")])
        field_line(lines, "Kind", [str(obj.get("kind") or "")])
        rest = {k: v for k, v in meta.items() if k not in _SKIPPED_METADATA}
        if rest:
            lines.append("Metadata:")
            _nested(lines, rest, 1)
        for key, value in obj.items():
            if key in ("apiVersion", "kind", "metadata"):
                continue
            if isinstance(value, dict | list) and value:
                lines.append(f"{_words(key)}:")
                _nested(lines, value, 1)
            else:
                field_line(
                    lines, _words(key), [_scalar(value) if value not in ({}, []) else "<none>"]
                )
    if events is not None:
        events_section(lines, events)
    return "\n".join(lines) + "\n"
