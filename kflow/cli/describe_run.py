"""Readable forms of a run's details, artifacts and an artifact's lineage.

`kflow describe run RUN` shows the run (a workflow or a KFP run), its tasks with
where cached ones came from, its artifacts and its metrics; `kflow get artifacts
--run RUN` the artifacts alone; `kflow lineage ARTIFACT` the producing chain as a
tree. All of them print the JSON of the server's run-data routes.
"""

from __future__ import annotations

import json
from typing import Any

from kflow.cli.describers import field_line

Obj = dict[str, Any]
WIDTH = 12


def _grid(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _size(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return "-"
    if value < 1024:
        return f"{value}B"
    size = float(value)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f}{unit}"


def short(digest: str) -> str:
    """`sha256:3ad1c0ffee12` — enough of a digest to tell artifacts apart."""
    return digest[:19] if digest else "-"


def artifact_rows(items: list[Obj]) -> list[str]:
    """The artifacts table: NAME TASK TYPE SIZE DIGEST URI."""
    rows = [["NAME", "TASK", "TYPE", "SIZE", "DIGEST", "URI"]]
    for a in items:
        producer = a.get("producer") or {}
        rows.append(
            [
                str(a.get("name")),
                str(producer.get("task") or "-"),
                str(a.get("type") or ("directory" if a.get("directory") else "file")),
                _size(a.get("size")),
                short(str(a.get("digest") or "")),
                str(a.get("uri") or "-"),
            ]
        )
    return _grid(rows)


def _metric_value(metric: Obj) -> str:
    if metric.get("kind") == "classification":
        matrix = (metric.get("confusionMatrix") or {}).get("rows")
        if matrix:
            return "confusion matrix " + json.dumps([r.get("row") for r in matrix])
        return "classification metrics"
    if metric.get("kind") == "error":
        return str(metric.get("message"))
    return str(metric.get("value"))


def metric_rows(items: list[Obj]) -> list[str]:
    """The metrics table: TASK ARTIFACT NAME VALUE."""
    rows = [["TASK", "ARTIFACT", "NAME", "VALUE"]]
    for metric in items:
        rows.append(
            [
                str(metric.get("task") or "-"),
                str(metric.get("artifact") or "-"),
                str(metric.get("name") or "-"),
                _metric_value(metric),
            ]
        )
    return _grid(rows)


def describe_run(details: Obj) -> str:
    """The run, its tasks, artifacts and metrics."""
    run = details.get("run") or {}
    lines: list[str] = []
    field_line(lines, "Name", [str(run.get("name"))], WIDTH)
    field_line(lines, "Namespace", [str(run.get("namespace"))], WIDTH)
    if run.get("kfpRunId"):
        field_line(lines, "KFP Run ID", [str(run["kfpRunId"])], WIDTH)
    field_line(lines, "Phase", [str(run.get("phase"))], WIDTH)
    if run.get("message"):
        field_line(lines, "Message", [str(run["message"])], WIDTH)
    for label, key in (("Started", "startedAt"), ("Finished", "finishedAt")):
        if run.get(key):
            field_line(lines, label, [str(run[key])], WIDTH)
    tasks = details.get("tasks") or []
    lines += ["", "Tasks:"]
    rows = [["TASK", "PHASE", "CACHED FROM", "MESSAGE"]]
    rows += [
        [str(t["task"]), str(t["phase"]), str(t.get("cachedFrom") or "-"), str(t.get("message"))]
        for t in tasks
    ]
    lines += ["  " + r for r in _grid(rows)] if tasks else ["  <none>"]
    artifacts = details.get("artifacts") or []
    lines += ["", "Artifacts:"]
    lines += ["  " + r for r in artifact_rows(artifacts)] if artifacts else ["  <none>"]
    metrics = details.get("metrics") or []
    lines += ["", "Metrics:"]
    lines += ["  " + r for r in metric_rows(metrics)] if metrics else ["  <none>"]
    return "\n".join(lines) + "\n"


def _producer_line(producer: Obj) -> str:
    run = producer.get("run") or {}
    where = f"{run.get('name')}/{producer.get('task')}"
    extra = [str(producer.get("state") or "")]
    if producer.get("cachedFrom"):
        extra.append(f"cached from {producer['cachedFrom']}")
    params = producer.get("parameters") or {}
    if params:
        extra.append(", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(params.items())))
    return f"made by {where} ({'; '.join(e for e in extra if e)})"


def lineage_lines(tree: Obj, label: str = "", prefix: str = "", rest: str = "") -> list[str]:
    """An artifact and its producing chain, drawn as a tree."""
    head = f"{label}{short(str(tree.get('digest')))}"
    lines = [f"{prefix}{head}"]
    producer = tree.get("producer")
    if tree.get("truncated"):
        lines.append(f"{rest}└─ …")
        return lines
    if producer is None:
        lines.append(f"{rest}└─ no known producer in this namespace")
        return lines
    others = tree.get("alsoProducedBy") or []
    lines.append(f"{rest}└─ {_producer_line(producer)}")
    inner = rest + "   "
    if others:
        names = ", ".join(f"{o['run']['name']}/{o['task']}" for o in others)
        lines.append(f"{inner}(also produced by {names})")
    inputs = producer.get("inputs") or []
    for i, given in enumerate(inputs):
        last = i == len(inputs) - 1
        branch, cont = ("└─ ", "   ") if last else ("├─ ", "│  ")
        sub = given.get("lineage") or {"digest": given.get("digest"), "producer": None}
        lines += lineage_lines(sub, f"input {given.get('name')}: ", inner + branch, inner + cont)
    return lines
