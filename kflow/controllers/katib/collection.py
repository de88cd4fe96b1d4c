"""Reading a trial's metrics without a sidecar: logs, files, tfevents, endpoints.

Katib injects a metrics-collector container into each trial pod. kflow's trial
controller reads the same sources itself, through the runtime: the primary
container's log (StdOut), a file or a tfevent directory in the pod's metrics volume
(File, TensorFlowEvent; `templates.workload_for` mounts it), or an HTTP endpoint on
the pod's port (PrometheusMetric). Push, Custom and None collectors report through
the DB manager API instead, so there is nothing to read. Each source keeps its own
position in the observation log, written in the same transaction as what was read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import httpx

from kflow.api import meta as m
from kflow.api.selectors import parse_label_selector
from kflow.controllers.events import EventRecorder
from kflow.controllers.katib.records import TRIAL_LABEL
from kflow.runtime.interface import Runtime
from kflow.store.interface import Store
from kflow.store.observations import ObservationLog
from kflow.tuning.metrics.jsonlines import parse_json_lines
from kflow.tuning.metrics.prometheus import parse_prometheus
from kflow.tuning.metrics.results import Collected, Parsed, objective_reported, unavailable
from kflow.tuning.metrics.text import parse_text
from kflow.tuning.metrics.tfevent import read_tfevents

Obj = dict[str, Any]
log = logging.getLogger(__name__)

SCRAPE_TIMEOUT_SECONDS = 2.0


def metric_names(trial: Obj) -> list[str]:
    """The objective metric first, then the additional ones (Katib's order)."""
    objective = (trial.get("spec") or {}).get("objective") or {}
    names = [str(objective.get("objectiveMetricName"))]
    names += [str(n) for n in objective.get("additionalMetricNames") or [] if n not in names]
    return names


def _finished(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


class MetricsCollector:
    """Reads new observations of one trial into the observation log."""

    def __init__(
        self,
        store: Store,
        runtime: Runtime,
        observations: ObservationLog,
        recorder: EventRecorder | None = None,
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.observations = observations
        self.recorder = recorder

    def _report(self, trial: Obj, problems: list[str]) -> None:
        """Lines a parser could not read: shown on the trial, never fatal."""
        if self.recorder is None:
            return
        for problem in problems[:5]:
            self.recorder.record(trial, "Warning", "MetricsParseError", problem)

    def primary_pods(self, trial: Obj) -> list[Obj]:
        spec = trial.get("spec") or {}
        wanted = dict(spec.get("primaryPodLabels") or {})
        selector = parse_label_selector(f"{TRIAL_LABEL}={m.name_of(trial)}")
        pods = self.store.list("pods", m.namespace_of(trial), labels=selector).items
        return [
            p
            for p in pods
            if all(m.labels_of(p).get(k) == v for k, v in wanted.items())
            and (p.get("status") or {}).get("phase") not in (None, "", "Pending")
        ]

    async def collect(self, trial: Obj, *, final: bool) -> bool:
        """Read what is new; at the end, record Katib's `unavailable` if the objective
        metric never came. Says whether any observation was added."""
        spec = trial.get("spec") or {}
        collector = spec.get("metricsCollector") or {}
        kind = (collector.get("collector") or {}).get("kind") or "StdOut"
        source = collector.get("source") or {}
        names = metric_names(trial)
        added = False
        for pod in self.primary_pods(trial):
            ended = final or _finished(pod)
            try:
                if kind == "StdOut":
                    added |= await self._stdout(trial, pod, source, names, ended)
                elif kind == "File":
                    added |= await self._file(trial, pod, source, names, ended)
                elif kind == "TensorFlowEvent":
                    added |= await self._tfevents(trial, pod, source, names)
                elif kind == "PrometheusMetric" and not _finished(pod):
                    added |= await self._scrape(trial, pod, source, names)
            except OSError as err:  # a file not written yet, an endpoint not up yet
                log.debug("metrics of %s: %s", m.name_of(trial), err)
        if final and names:
            namespace, name = m.namespace_of(trial), m.name_of(trial)
            seen = await asyncio.to_thread(self.observations.read, namespace, name)
            if not objective_reported(seen, names[0]):
                await asyncio.to_thread(
                    self.observations.append, namespace, name, [unavailable(names[0])]
                )
                added = True
        return added

    # --- sources ----------------------------------------------------------------------

    def _offset(self, trial: Obj, source: str) -> int:
        text = self.observations.cursor(m.namespace_of(trial), m.name_of(trial), source)
        return int(text) if text else 0

    def _keep(self, trial: Obj, source: str, offset: int, parsed: Parsed) -> bool:
        self._report(trial, parsed.problems)
        if not parsed.consumed and not parsed.observations:
            return False
        self.observations.append(
            m.namespace_of(trial),
            m.name_of(trial),
            parsed.observations,
            source=source,
            cursor=str(offset + parsed.consumed),
        )
        return bool(parsed.observations)

    def _keep_collected(self, trial: Obj, source: str, got: Collected) -> bool:
        self._report(trial, got.problems)
        self.observations.append(
            m.namespace_of(trial),
            m.name_of(trial),
            got.observations,
            source=source,
            cursor=got.cursor,
        )
        return bool(got.observations)

    def _filters(self, source: Obj) -> list[str] | None:
        formats = (source.get("filter") or {}).get("metricsFormat")
        return [str(f) for f in formats] if formats else None

    async def _stdout(
        self, trial: Obj, pod: Obj, source: Obj, names: list[str], ended: bool
    ) -> bool:
        container = str((trial.get("spec") or {}).get("primaryContainerName") or "")
        uid = str(m.meta(pod).get("uid"))
        key = f"stdout/{uid}/{container}"
        offset = self._offset(trial, key)
        chunks = [chunk async for chunk in self.runtime.logs(uid, container)]
        data = b"".join(chunks)[offset:]
        parsed = parse_text(
            data, metric_names=names, filters=self._filters(source), now=m.now(), final=ended
        )
        return await asyncio.to_thread(self._keep, trial, key, offset, parsed)

    def _host_path(self, trial: Obj, pod: Obj, path: str) -> str | None:
        container = str((trial.get("spec") or {}).get("primaryContainerName") or "")
        return self.runtime.container_path(str(m.meta(pod).get("uid")), container, path)

    async def _file(self, trial: Obj, pod: Obj, source: Obj, names: list[str], ended: bool) -> bool:
        fs = source.get("fileSystemPath") or {}
        host = self._host_path(trial, pod, str(fs.get("path")))
        if host is None:
            return False
        key = f"file/{m.meta(pod).get('uid')}"
        offset = self._offset(trial, key)

        def read() -> bytes:
            with open(host, "rb") as f:
                f.seek(offset)
                return f.read()

        data = await asyncio.to_thread(read)
        if fs.get("format") == "JSON":
            parsed = parse_json_lines(data, metric_names=names, now=m.now(), final=ended)
        else:
            parsed = parse_text(
                data, metric_names=names, filters=self._filters(source), now=m.now(), final=ended
            )
        return await asyncio.to_thread(self._keep, trial, key, offset, parsed)

    async def _tfevents(self, trial: Obj, pod: Obj, source: Obj, names: list[str]) -> bool:
        fs = source.get("fileSystemPath") or {}
        host = self._host_path(trial, pod, str(fs.get("path")))
        if host is None:
            return False
        key = f"tfevent/{m.meta(pod).get('uid')}"
        cursor = self.observations.cursor(m.namespace_of(trial), m.name_of(trial), key)
        got = await asyncio.to_thread(read_tfevents, host, metric_names=names, cursor=cursor)
        if got.cursor == cursor and not got.observations:
            return False
        return await asyncio.to_thread(self._keep_collected, trial, key, got)

    async def _scrape(self, trial: Obj, pod: Obj, source: Obj, names: list[str]) -> bool:
        http = source.get("httpGet") or {}
        port = int(http.get("port") or 8080)
        host_port = self.runtime.port_map(str(m.meta(pod).get("uid"))).get(port, port)
        scheme = str(http.get("scheme") or "HTTP").lower()
        path = str(http.get("path") or "/metrics")
        url = f"{scheme}://127.0.0.1:{host_port}{path}"
        async with httpx.AsyncClient(timeout=SCRAPE_TIMEOUT_SECONDS, verify=False) as client:
            try:
                response = await client.get(url)
            except httpx.HTTPError as err:
                raise OSError(str(err)) from None
        if response.status_code != 200:
            return False
        key = f"prometheus/{m.meta(pod).get('uid')}"
        cursor = self.observations.cursor(m.namespace_of(trial), m.name_of(trial), key)
        got = parse_prometheus(
            response.text, metric_names=names, now=dt.datetime.now(dt.timezone.utc), cursor=cursor
        )
        return await asyncio.to_thread(self._keep_collected, trial, key, got)
