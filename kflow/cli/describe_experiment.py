"""`kflow describe experiment`: a Katib Experiment as a tuning report, with its Events.

The generic describer would print the spec and status field by field; for a search
what matters is what was optimised and how, how it ended, which trial won with which
values and metrics, and how every trial fared. So after the usual header this
describer prints the objective, algorithm and limits, the best trial, one table row
per trial (its status, each parameter, the objective value by the metric's
strategy), the conditions, and the Events, as `kubectl describe` ends.
"""

from __future__ import annotations

from typing import Any

from kflow.api.katib.registration import (
    best_objective_value,
    condition_type,
    trial_counts,
    trial_objective_value,
)
from kflow.cli.describers import events_section, field_line, pairs
from kflow.sdk import LAST_APPLIED

Obj = dict[str, Any]

WIDTH = 17
"""Label column width: fits `Early Stopping:` and `Completion Time:`."""


def _number(value: float | None) -> str:
    return "<none>" if value is None else f"{value:.6g}"


def _settings(settings: Any) -> str:
    pairs = [f"{s.get('name')}={s.get('value')}" for s in settings or [] if isinstance(s, dict)]
    return f" ({', '.join(pairs)})" if pairs else ""


def _grid(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    ]


def _objective(spec: Obj) -> str:
    objective = spec.get("objective") or {}
    text = f"{objective.get('type', '?')} {objective.get('objectiveMetricName', '?')}"
    if objective.get("goal") is not None:
        text += f" (goal {objective['goal']})"
    extra = objective.get("additionalMetricNames") or []
    return text + (f"; also records {', '.join(extra)}" if extra else "")


def _limits(spec: Obj) -> str:
    parts = [f"max {spec.get('maxTrialCount', '<unset>')}"]
    parts.append(f"parallel {spec.get('parallelTrialCount', '<unset>')}")
    if spec.get("maxFailedTrialCount") is not None:
        parts.append(f"max failed {spec['maxFailedTrialCount']}")
    return ", ".join(parts)


def _state(obj: Obj) -> str:
    """The last condition's type, with its reason and message when it finished something."""
    conditions = (obj.get("status") or {}).get("conditions") or []
    if not conditions:
        return "Pending"
    last = conditions[-1]
    text = str(last.get("type") or "")
    if last.get("reason") and text not in ("Created", "Running"):
        text += f" ({last['reason']}: {last.get('message') or ''})".replace(": )", ")")
    return text


def _best(lines: list[str], experiment: Obj) -> None:
    optimal = (experiment.get("status") or {}).get("currentOptimalTrial") or {}
    if not optimal.get("bestTrialName"):
        field_line(lines, "Best Trial", ["<none>"], WIDTH)
        return
    lines.append("Best Trial:")
    lines.append(f"  Name:        {optimal['bestTrialName']}")
    lines.append(f"  Objective:   {_number(best_objective_value(experiment))}")
    assignments = optimal.get("parameterAssignments") or []
    params = [f"{a.get('name')}={a.get('value')}" for a in assignments]
    lines.append(f"  Parameters:  {', '.join(params) or '<none>'}")
    metrics = (optimal.get("observation") or {}).get("metrics") or []
    if metrics:
        lines.append("  Metrics:")
        rows = [["Name", "Min", "Max", "Latest"]]
        rows += [[str(m.get(k) or "") for k in ("name", "min", "max", "latest")] for m in metrics]
        lines.extend(_grid(rows, "    "))


def _trials(lines: list[str], experiment: Obj, trials: list[Obj]) -> None:
    if not trials:
        lines.append("Trials:          <none>")
        return
    spec = experiment.get("spec") or {}
    names = [str(p.get("name")) for p in spec.get("parameters") or []]
    metric = str((spec.get("objective") or {}).get("objectiveMetricName") or "OBJECTIVE")
    best = ((experiment.get("status") or {}).get("currentOptimalTrial") or {}).get("bestTrialName")
    rows = [["Name", "Status", *names, metric]]
    ordered = sorted(trials, key=lambda t: str((t.get("metadata") or {}).get("creationTimestamp")))
    for trial in ordered:
        name = str((trial.get("metadata") or {}).get("name") or "")
        values = {
            str(a.get("name")): str(a.get("value"))
            for a in (trial.get("spec") or {}).get("parameterAssignments") or []
        }
        rows.append(
            [
                f"{name} *" if name == best else name,
                condition_type(trial) or "Pending",
                *(values.get(n, "") for n in names),
                _number(trial_objective_value(trial)) if trial.get("status") else "",
            ]
        )
    lines.append("Trials:")
    lines.extend(_grid(rows))


def _conditions(lines: list[str], experiment: Obj) -> None:
    conditions = (experiment.get("status") or {}).get("conditions") or []
    if not conditions:
        return
    lines.append("Conditions:")
    rows = [["Type", "Status", "Reason", "Last Transition Time"]]
    rows += [
        [str(c.get(k) or "") for k in ("type", "status", "reason", "lastTransitionTime")]
        for c in conditions
    ]
    lines.extend(_grid(rows))


def describe_experiment(experiment: Obj, trials: list[Obj], events: list[Obj] | None) -> str:
    """The describe text of an Experiment, given its Trials and (if readable) its Events."""
    meta = experiment.get("metadata") or {}
    spec = experiment.get("spec") or {}
    status = experiment.get("status") or {}
    lines: list[str] = []
    field_line(lines, "Name", [str(meta.get("name") or "")], WIDTH)
    if meta.get("namespace"):
        field_line(lines, "Namespace", [str(meta["namespace"])], WIDTH)
    field_line(lines, "Labels", pairs(meta.get("labels")), WIDTH)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    field_line(lines, "Annotations", pairs(annotations), WIDTH)
    field_line(lines, "API Version", [str(experiment.get("apiVersion") or "")], WIDTH)
    field_line(lines, "Kind", [str(experiment.get("kind") or "")], WIDTH)
    field_line(lines, "Status", [_state(experiment)], WIDTH)
    field_line(lines, "Objective", [_objective(spec)], WIDTH)
    algorithm = spec.get("algorithm") or {}
    name = str(algorithm.get("algorithmName") or "<unset>")
    field_line(lines, "Algorithm", [name + _settings(algorithm.get("algorithmSettings"))], WIDTH)
    stopping = spec.get("earlyStopping") or {}
    if stopping.get("algorithmName"):
        text = str(stopping["algorithmName"]) + _settings(stopping.get("algorithmSettings"))
        field_line(lines, "Early Stopping", [text], WIDTH)
    field_line(lines, "Trial Limits", [_limits(spec)], WIDTH)
    field_line(lines, "Trial Counts", [trial_counts(experiment)], WIDTH)
    field_line(lines, "Start Time", [str(status.get("startTime") or "<unset>")], WIDTH)
    if status.get("completionTime"):
        field_line(lines, "Completion Time", [str(status["completionTime"])], WIDTH)
    _best(lines, experiment)
    _trials(lines, experiment, trials)
    _conditions(lines, experiment)
    if events is not None:
        events_section(lines, events)
    return "\n".join(lines) + "\n"
