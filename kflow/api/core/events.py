"""The Event kind: `Normal` or `Warning`, counted, printed as `kubectl get events` does."""

from __future__ import annotations

from kflow.api import meta as m
from kflow.api.core._common import as_dict, core_kind
from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj
from kflow.api.models import core as models
from kflow.api.tables import human_age


def _event_last_seen(event: Obj) -> str:
    when = (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or m.meta(event).get("creationTimestamp")
    )
    return human_age(when)


def _event_object(event: Obj) -> str:
    ref = as_dict(event.get("involvedObject"))
    return f"{str(ref.get('kind') or '').lower()}/{ref.get('name') or ''}"


def _default_event(obj: Obj) -> None:
    obj.setdefault("type", "Normal")
    if obj.get("count") is None and not obj.get("series"):
        obj["count"] = 1


def _validate_event(obj: Obj, old: Obj | None) -> list[Cause]:
    if obj.get("type") not in ("Normal", "Warning"):
        return [
            Cause(
                "type",
                f'Unsupported value: "{obj.get("type")}": supported values: "Normal", "Warning"',
                "FieldValueNotSupported",
            )
        ]
    return []


EVENT_COLUMNS = (
    Column("LAST SEEN", _event_last_seen, description="Time since the event last happened."),
    Column("TYPE", lambda e: str(e.get("type") or ""), description="Normal or Warning."),
    Column("REASON", lambda e: str(e.get("reason") or ""), description="Why the event happened."),
    Column("OBJECT", _event_object, description="The object the event is about."),
    Column("MESSAGE", lambda e: str(e.get("message") or "").strip(), description="What happened."),
    Column(
        "SUBOBJECT",
        lambda e: str(as_dict(e.get("involvedObject")).get("fieldPath") or ""),
        priority=1,
        description="The part of the object.",
    ),
    Column(
        "SOURCE",
        lambda e: str(
            as_dict(e.get("source")).get("component") or e.get("reportingComponent") or ""
        ),
        priority=1,
        description="Who reported the event.",
    ),
    Column(
        "FIRST SEEN",
        lambda e: human_age(e.get("firstTimestamp") or e.get("eventTime")),
        priority=1,
        description="Time since the event first happened.",
    ),
    Column(
        "COUNT",
        lambda e: int(e.get("count") or 1),
        type="integer",
        priority=1,
        description="How many times it happened.",
    ),
    Column("NAME", m.name_of, priority=1, description="Name of the event."),
)


def event_kind() -> KindInfo:
    return core_kind(
        models.Event,
        "events",
        short_names=("ev",),
        subresources=(),
        has_status=False,
        defaulters=(_default_event,),
        validators=(_validate_event,),
        columns=EVENT_COLUMNS,
    )
