"""Argo's retry strategy: a Retry node whose children are the attempts.

`execute_retried` runs the current attempt (`<name>(<n>)`, with `{{retries}}` = n and
its own `{{pod.name}}`) under the Retry node; `process_retries` is Argo's
`processNodeRetries`: once an attempt has finished it settles the Retry node (its
last attempt's phase and outputs, `No more retries left`, `Max duration limit
exceeded`, `retryStrategy.expression evaluated to false`) or lets a new attempt start
— after the backoff (`duration` * `factor`^(attempts-1)), for the failures the
`retryPolicy` retries (OnFailure by default, Always when there is an `expression`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.controllers.workflows.durations import parse_duration
from kflow.controllers.workflows.execution import Call, Execution
from kflow.controllers.workflows.nodes import Node, fulfilled, unsuccessful
from kflow.controllers.workflows.templates import (
    ArgumentError,
    Source,
    process_args,
    template_type,
)
from kflow.workflows.errors import TemplateError
from kflow.workflows.expr import evaluate_bool
from kflow.workflows.variables import expression_env, substitute_tree

Obj = dict[str, Any]


def execute_retried(
    ex: Execution, call: Call, tmpl: Obj, source: Source, *, on_exit: bool
) -> Node | None:
    """Argo's retry node: attempts `<name>(0)`, `<name>(1)`, ... until one succeeds or
    the strategy says stop."""
    strategy = substitute_tree(
        dict(tmpl.get("retryStrategy") or ex.spec.get("retryStrategy") or {}),
        ex.globals,
        strict=False,
    )
    retry = ex.nodes.get(call.name) or ex.init_node(call, c.NodeType.RETRY, tmpl)
    try:
        proceed = process_retries(ex, retry, strategy)
    except (ValueError, TemplateError) as error:
        return ex.nodes.mark(retry, c.NodePhase.ERROR, str(error))
    if fulfilled(retry) or not proceed:
        return retry
    children = retry.get("children") or []
    last = ex.nodes.child(retry, -1)
    index = len(children) - 1 if last is not None and not fulfilled(last) else len(children)
    child_name = f"{call.name}({index})"
    local = {"retries": str(index)}
    kind = template_type(tmpl)
    if kind in c.POD_TYPES:
        local["pod.name"] = ex.pod_name_of(child_name, tmpl)
    try:
        child_tmpl = process_args(tmpl, call.arguments, ex.globals, local)
    except (ArgumentError, TemplateError) as error:
        return ex.nodes.mark(retry, c.NodePhase.ERROR, str(error))
    child_call = dataclasses.replace(call, name=child_name)
    child = ex.dispatch(child_call, child_tmpl, source, on_exit=on_exit)
    if child is None:
        return retry
    ex.nodes.add_child(retry, child["id"])
    if fulfilled(child):
        try:
            process_retries(ex, retry, strategy)
        except (ValueError, TemplateError) as error:
            ex.nodes.mark(retry, c.NodePhase.ERROR, str(error))
        if not fulfilled(retry):
            ex.wake_in(0.05)
    return retry


def process_retries(ex: Execution, node: Node, strategy: Obj) -> bool:
    """Argo's `processNodeRetries`: settle the retry node, or say a new try may start."""
    last = ex.nodes.child(node, -1)
    if last is None or not fulfilled(last):
        return True
    if not unsuccessful(last):
        if last.get("outputs"):
            ex.nodes.set(node, "outputs", last["outputs"])
        ex.nodes.mark(node, last["phase"], last.get("message", ""))
        return True
    phase, message = last["phase"], str(last.get("message") or "")
    if ex.blocked:
        ex.nodes.mark(node, phase, message)
        return True
    backoff = strategy.get("backoff") or {}
    children = node.get("children") or []
    if backoff:
        max_deadline: dt.datetime | None = None
        if backoff.get("maxDuration") not in (None, ""):
            first = ex.nodes.child(node, 0) or last
            started = m.parse_timestamp(str(first["startedAt"]))
            max_deadline = started + dt.timedelta(
                seconds=parse_duration(backoff["maxDuration"], "retryStrategy.backoff.maxDuration")
            )
            if ex.now > max_deadline:
                ex.nodes.mark(node, phase, c.MESSAGE_MAX_DURATION)
                return True
        if backoff.get("duration") in (None, ""):
            raise ValueError("no base duration specified for retryStrategy")
        wait = parse_duration(backoff["duration"], "retryStrategy.backoff.duration")
        factor = backoff.get("factor")
        if factor not in (None, "") and int(factor) > 0:
            wait *= math.pow(int(factor), len(children) - 1)
        ready = m.parse_timestamp(str(last.get("finishedAt") or last["startedAt"]))
        ready += dt.timedelta(seconds=wait)
        if max_deadline is not None and ready > max_deadline:
            ex.nodes.mark(node, phase, "Backoff would exceed max duration limit")
            return True
        if ex.now < ready:
            ex.wake_in((ready - ex.now).total_seconds())
            ex.nodes.mark(node, node["phase"], f"Backoff for {_human(wait)}")
            return False
        ex.nodes.mark(node, node["phase"], "")
    policy = strategy.get("retryPolicy") or (
        c.RetryPolicy.ALWAYS.value if strategy.get("expression") else c.RetryPolicy.ON_FAILURE.value
    )
    on_failed = policy in (c.RetryPolicy.ALWAYS.value, c.RetryPolicy.ON_FAILURE.value)
    on_error = policy in (c.RetryPolicy.ALWAYS.value, c.RetryPolicy.ON_ERROR.value)
    if policy == c.RetryPolicy.ON_TRANSIENT_ERROR.value:
        on_failed = on_error = _transient(message)
    if (phase == c.NodePhase.FAILED.value and not on_failed) or (
        phase == c.NodePhase.ERROR.value and not on_error
    ):
        ex.nodes.mark(node, phase, message)
        return True
    expression = strategy.get("expression")
    if expression:
        env = expression_env({**ex.globals, **_last_retry(last, ex.now)})
        if not evaluate_bool(str(expression), env):
            ex.nodes.mark(node, phase, "retryStrategy.expression evaluated to false")
            return True
    limit = strategy.get("limit")
    if limit not in (None, "") and len(children) > int(limit):
        ex.nodes.mark(node, phase, c.MESSAGE_NO_MORE_RETRIES)
        return True
    return True


def _last_retry(last: Node, now: dt.datetime) -> dict[str, str]:
    started = m.parse_timestamp(str(last["startedAt"]))
    finished = m.parse_timestamp(str(last.get("finishedAt") or m.timestamp(now)))
    return {
        "lastRetry.exitCode": str((last.get("outputs") or {}).get("exitCode") or "-1"),
        "lastRetry.status": str(last.get("phase") or ""),
        "lastRetry.duration": str(int((finished - started).total_seconds())),
        "lastRetry.message": str(last.get("message") or ""),
    }


_TRANSIENT = ("pod deleted", "connection refused", "timeout", "i/o timeout", "Unschedulable")


def _transient(message: str) -> bool:
    """Argo's `IsTransientErr`, for what kflow's failures say."""
    return any(word in message for word in _TRANSIENT)


def _human(seconds: float) -> str:
    """`1s`, `2m0s` — how Argo prints a backoff."""
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:g}s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{rest}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes}m{rest}s"
