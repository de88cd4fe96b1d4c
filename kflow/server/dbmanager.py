"""Katib's DB manager gRPC API (`api.v1.beta1.DBManager`) over kflow's observation log.

Training code calls `kubeflow.katib.report_metrics(...)` (a `Push` collector) and
notebooks call `KatibClient.get_trial_metrics(...)`; both speak this service. It is
served with generic handlers and the message tables below (field numbers from
Katib's `pkg/apis/manager/v1beta1/api.proto`), so kflow ships no generated code and
needs no `protobuf` runtime: `kflow.server.protobuf` reads and writes the bytes.

Katib's API names a trial without its namespace. The namespace is whichever one has
a Trial of that name: `resolve` (the Trials in the object store, `store_resolver`)
or the observation log itself. No such trial is NOT_FOUND; a name in two namespaces
is FAILED_PRECONDITION, since the API cannot say which one is meant.

Katib's rules kept: a metric log without a time is skipped, a time that is not
RFC 3339 fails the whole report; a read filters by metric and an inclusive time
window and returns rows ordered by time. Times are stored in UTC.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from kflow.api.katib.observations import Observation
from kflow.api.selectors import parse_field_selector
from kflow.server.protobuf import MalformedMessage, Schema, decode_message, encode_message
from kflow.store.interface import Store
from kflow.store.observations import ObservationLog, timestamp_key
from kflow.tuning.metrics import timestamps

log = logging.getLogger(__name__)

SERVICE = "api.v1.beta1.DBManager"
DEFAULT_PORT = 6789
"""Katib's `katib-db-manager` Service port (`katib-db-manager.kubeflow:6789`)."""

_METRIC: Schema = {1: ("name", "string", False), 2: ("value", "string", False)}
_METRIC_LOG: Schema = {1: ("time_stamp", "string", False), 2: ("metric", _METRIC, False)}
_OBSERVATION_LOG: Schema = {1: ("metric_logs", _METRIC_LOG, True)}
REPORT_REQUEST: Schema = {
    1: ("trial_name", "string", False),
    2: ("observation_log", _OBSERVATION_LOG, False),
}
GET_REQUEST: Schema = {
    1: ("trial_name", "string", False),
    2: ("metric_name", "string", False),
    3: ("start_time", "string", False),
    4: ("end_time", "string", False),
}
GET_REPLY: Schema = {1: ("observation_log", _OBSERVATION_LOG, False)}
DELETE_REQUEST: Schema = {1: ("trial_name", "string", False)}
EMPTY: Schema = {}

OnReport = Callable[[str, str], None]
"""Called with (namespace, trial) after a report is stored."""
Resolve = Callable[[str], Sequence[str]]
"""The namespaces holding a Trial of the given name."""


def store_resolver(store: Store) -> Resolve:
    """Resolve trial names against the Trials in the object store."""

    def resolve(name: str) -> list[str]:
        selector = parse_field_selector(f"metadata.name={name}")
        items = store.list("trials.kubeflow.org", None, fields=selector).items
        return [str(item["metadata"]["namespace"]) for item in items]

    return resolve


class _Abort(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _time(value: str, field: str) -> str:
    normal = timestamps.normalize(value)
    if normal is None:
        raise _Abort(
            grpc.StatusCode.INVALID_ARGUMENT,
            f'{field} "{value}" is not an RFC 3339 time (like "2026-11-25T10:00:00Z")',
        )
    return normal


class DBManager:
    """The DB manager service on a `grpc.aio` server; `start` it inside an event loop."""

    def __init__(
        self,
        log: ObservationLog,
        *,
        on_report: OnReport | None = None,
        resolve: Resolve | None = None,
    ) -> None:
        self.log = log
        self._on_report = on_report
        self._resolve = resolve
        self._server: grpc.aio.Server | None = None
        self.port: int | None = None

    async def start(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> int:
        """Listen on host:port (0 picks a free port); returns the bound port."""
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((self._handler(),))
        try:
            bound = int(server.add_insecure_port(f"{host}:{port}"))
        except RuntimeError as exc:
            raise OSError(f"the DB manager cannot listen on {host}:{port}: {exc}") from None
        if not bound:
            raise OSError(f"the DB manager cannot listen on {host}:{port}")
        await server.start()
        self._server, self.port = server, bound
        return bound

    async def stop(self, grace: float | None = 1.0) -> None:
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None

    def _handler(self) -> grpc.GenericRpcHandler:
        def method(call: Callable[[dict[str, Any]], Any], request: Schema, reply: Schema) -> Any:
            async def run(message: dict[str, Any], context: grpc.aio.ServicerContext) -> Any:
                try:
                    return await asyncio.to_thread(call, message)
                except _Abort as exc:
                    await context.abort(exc.code, str(exc))

            def deserialize(data: bytes) -> dict[str, Any]:
                try:
                    return decode_message(request, data)
                except MalformedMessage as exc:
                    raise ValueError(f"malformed {SERVICE} request: {exc}") from None

            return grpc.unary_unary_rpc_method_handler(
                run,
                request_deserializer=deserialize,
                response_serializer=lambda message: encode_message(reply, message),
            )

        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "ReportObservationLog": method(self.report, REPORT_REQUEST, EMPTY),
                "GetObservationLog": method(self.get, GET_REQUEST, GET_REPLY),
                "DeleteObservationLog": method(self.delete, DELETE_REQUEST, EMPTY),
            },
        )

    # -- the three calls, synchronous: they run on a worker thread -----------------

    def namespace_of(self, trial: str) -> str:
        """The one namespace with a trial named `trial` (else a NOT_FOUND/ambiguity abort)."""
        if not trial:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "trial_name is required")
        found = set(self.log.trials_named(trial))
        if self._resolve is not None:
            found.update(self._resolve(trial))
        if not found:
            raise _Abort(
                grpc.StatusCode.NOT_FOUND,
                f'trial "{trial}" not found in any namespace: is the name right, and '
                "does the Trial still exist? (kubectl get trials -A)",
            )
        if len(found) > 1:
            raise _Abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f'trial name "{trial}" exists in namespaces {", ".join(sorted(found))}; '
                "Katib's DB manager API names trials without a namespace, so it cannot "
                "tell them apart: use the REST observationlog endpoint instead",
            )
        return found.pop()

    def report(self, request: dict[str, Any]) -> dict[str, Any]:
        trial = str(request.get("trial_name") or "")
        rows = []
        metric_logs = (request.get("observation_log") or {}).get("metric_logs") or []
        for index, entry in enumerate(metric_logs):
            where = f"observation_log.metric_logs[{index}]"
            if not entry.get("time_stamp"):
                continue  # Katib skips a metric log without a time
            metric = entry.get("metric") or {}
            if not metric.get("name"):
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"{where}.metric.name is required")
            stamp = _time(str(entry["time_stamp"]), f"{where}.time_stamp")
            rows.append(Observation(str(metric["name"]), str(metric.get("value") or ""), stamp))
        namespace = self.namespace_of(trial)
        self.log.append(namespace, trial, rows)
        if self._on_report is not None:
            try:
                self._on_report(namespace, trial)
            except Exception:  # the rows are stored; the controller will see them anyway
                log.exception("on_report for trial %s/%s failed", namespace, trial)
        return {}

    def get(self, request: dict[str, Any]) -> dict[str, Any]:
        trial = str(request.get("trial_name") or "")
        start = request.get("start_time")
        end = request.get("end_time")
        start = _time(start, "start_time") if start else None
        end = _time(end, "end_time") if end else None
        namespace = self.namespace_of(trial)
        rows = self.log.read(
            namespace,
            trial,
            metric=request.get("metric_name") or None,
            start_time=start,
            end_time=end,
        )
        rows.sort(key=lambda o: timestamp_key(o.timestamp))  # stable: ties keep their order
        return {
            "observation_log": {
                "metric_logs": [
                    {"time_stamp": o.timestamp, "metric": {"name": o.metric, "value": o.value}}
                    for o in rows
                ]
            }
        }

    def delete(self, request: dict[str, Any]) -> dict[str, Any]:
        trial = str(request.get("trial_name") or "")
        self.log.delete(self.namespace_of(trial), trial)
        return {}
