"""Records core v1 Events about objects, as `kubectl describe` shows them.

Every decision a controller makes (scheduled, started, backed off, killed) becomes
an Event in the object's namespace. Repeats of the same reason and message on the
same object bump `count` and `lastTimestamp` instead of piling up, as the Kubernetes
event recorder does. Recording never fails the caller: an Event is best effort.
"""

from __future__ import annotations

import logging
from typing import Any

from kflow.api import meta as m
from kflow.api.errors import ApiError, Conflict, NotFound
from kflow.store.interface import Store

log = logging.getLogger(__name__)

COMPONENT = "kflow"


class EventRecorder:
    """Writes Events for one component."""

    def __init__(self, store: Store, component: str = COMPONENT) -> None:
        self.store = store
        self.component = component
        # (object uid, reason, message) -> event name, so repeats aggregate
        self._seen: dict[tuple[str, str, str], tuple[str, str]] = {}

    def record(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        md = m.meta(obj)
        namespace = md.get("namespace") or "default"
        uid = str(md.get("uid") or "")
        key = (uid, reason, message)
        stamp = m.timestamp()
        try:
            if key in self._seen:
                ns, name = self._seen[key]
                for _ in range(3):
                    try:
                        event = self.store.get("events", ns, name)
                        event["count"] = int(event.get("count") or 1) + 1
                        event["lastTimestamp"] = stamp
                        self.store.update("events", event)
                        return
                    except Conflict:
                        continue
                    except NotFound:
                        break
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": f"{md.get('name', 'object')}.{m.random_suffix(10)}",
                    "namespace": namespace,
                },
                "involvedObject": {
                    "apiVersion": obj.get("apiVersion", ""),
                    "kind": obj.get("kind", ""),
                    "name": md.get("name", ""),
                    "namespace": md.get("namespace", ""),
                    "uid": uid,
                    "resourceVersion": md.get("resourceVersion", ""),
                },
                "reason": reason,
                "message": message,
                "type": type_,
                "count": 1,
                "firstTimestamp": stamp,
                "eventTime": m.micro_timestamp(),  # orders events within one second
                "lastTimestamp": stamp,
                "source": {"component": self.component},
                "reportingComponent": self.component,
                "reportingInstance": self.component,
            }
            created = self.store.create("events", event)
            self._seen[key] = (namespace, m.name_of(created))
        except ApiError as exc:  # e.g. the namespace is being deleted
            log.debug("event %s/%s not recorded: %s", reason, message, exc)

    def forget(self, uid: str) -> None:
        """Drop aggregation state for an object that is gone."""
        for key in [k for k in self._seen if k[0] == uid]:
            del self._seen[key]
