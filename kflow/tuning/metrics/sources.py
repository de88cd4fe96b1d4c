"""Where a trial's metrics come from: the one place that knows the collector kinds.

The trial controller asks `collector_source(spec, objective)` once per trial and
then only follows the answer: read the pod's output (`STDOUT`), a file (`FILE`),
a directory of tfevent files (`TFEVENT`), scrape an endpoint (`PROMETHEUS`), or
read nothing because the trial pushes its metrics through the DB manager (`PUSH`)
or someone else's collector does (`CUSTOM`, `NONE`). For byte streams,
`CollectorSource.parse_chunk` picks the TEXT or JSON parser.

Katib fills the defaults in its webhook (kflow's defaulter does too); they are
applied here again so a spec read from an older object still resolves.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kflow.api.katib import contracts
from kflow.tuning.metrics.jsonlines import parse_json_lines
from kflow.tuning.metrics.results import Parsed
from kflow.tuning.metrics.text import compile_filters, parse_text


class SourceKind(enum.Enum):
    """What the controller reads for a trial."""

    STDOUT = "StdOut"
    """The primary pod's output (TEXT lines)."""
    FILE = "File"
    """A file the trial writes: `path`, in `format` TEXT or JSON."""
    TFEVENT = "TensorFlowEvent"
    """tfevent files under the directory `path`."""
    PROMETHEUS = "PrometheusMetric"
    """A text exposition at `http` on the trial's pod."""
    PUSH = "Push"
    """Nothing: the trial calls `report_metrics` (the DB manager API)."""
    CUSTOM = "Custom"
    """Nothing kflow can read: a user container collects (not run by kflow)."""
    NONE = "None"
    """Nothing: metrics are not collected."""


@dataclass(frozen=True)
class HttpEndpoint:
    """Where a Prometheus endpoint is, relative to the trial's pod."""

    port: int | str
    """A number, or a container port's name."""
    path: str = contracts.DEFAULT_PROMETHEUS_PATH
    scheme: str = "http"
    host: str = ""
    """Empty: the pod itself (localhost on one machine)."""


@dataclass(frozen=True)
class CollectorSource:
    """A trial's metrics source, resolved from `metricsCollectorSpec` and the objective."""

    kind: SourceKind
    metric_names: tuple[str, ...]
    """The objective metric first, then the additional ones (Katib's order)."""
    path: str | None = None
    format: str = "TEXT"
    filters: tuple[str, ...] = ()
    """`filter.metricsFormat`; empty means Katib's default regex."""
    http: HttpEndpoint | None = None

    @property
    def objective(self) -> str:
        return self.metric_names[0] if self.metric_names else ""

    @property
    def reads(self) -> bool:
        """Whether kflow reads anything for this trial."""
        return self.kind not in (SourceKind.PUSH, SourceKind.CUSTOM, SourceKind.NONE)

    def parse_chunk(self, data: bytes, *, now: _dt.datetime, final: bool = False) -> Parsed:
        """Parse a chunk of a `STDOUT` or `FILE` stream that starts at a line boundary."""
        if self.kind not in (SourceKind.STDOUT, SourceKind.FILE):
            raise ValueError(f"a {self.kind.value} source is not a byte stream")
        if self.format == "JSON":
            return parse_json_lines(data, metric_names=self.metric_names, now=now, final=final)
        return parse_text(
            data, metric_names=self.metric_names, filters=self.filters, now=now, final=final
        )


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dict(dump(exclude_none=True))
    raise TypeError(f"expected a mapping or a model, not {type(value).__name__}")


def metric_names(objective: Any) -> tuple[str, ...]:
    """`objectiveMetricName` then `additionalMetricNames`, without repeats."""
    spec = _as_dict(objective)
    names = [spec.get("objectiveMetricName") or "", *(spec.get("additionalMetricNames") or [])]
    return tuple(dict.fromkeys(str(n) for n in names if n))


def collector_source(spec: Any, objective: Any) -> CollectorSource:
    """Resolve a `MetricsCollectorSpec` (model or dict) and an `ObjectiveSpec`."""
    body = _as_dict(spec)
    kind_name = (body.get("collector") or {}).get("kind") or contracts.DEFAULT_COLLECTOR_KIND
    try:
        kind = SourceKind(kind_name)
    except ValueError:
        raise ValueError(
            f"metricsCollectorSpec.collector.kind: unsupported value {kind_name!r}: "
            f"must be one of {', '.join(contracts.COLLECTOR_KINDS)}"
        ) from None
    names = metric_names(objective)
    source = body.get("source") or {}
    filesystem = source.get("fileSystemPath") or {}
    filters = tuple((source.get("filter") or {}).get("metricsFormat") or ())
    if filters:
        compile_filters(filters)  # fail now, with the field's path, not at the first line
    if kind is SourceKind.STDOUT:
        return CollectorSource(kind, names, filters=filters)
    if kind is SourceKind.FILE:
        fmt = filesystem.get("format") or "TEXT"
        if fmt not in contracts.FILE_FORMATS:
            raise ValueError(
                f"metricsCollectorSpec.source.fileSystemPath.format: unsupported value {fmt!r}: "
                f"must be one of {', '.join(contracts.FILE_FORMATS)}"
            )
        path = filesystem.get("path") or contracts.DEFAULT_METRICS_FILE
        return CollectorSource(kind, names, path=path, format=fmt, filters=filters)
    if kind is SourceKind.TFEVENT:
        path = filesystem.get("path") or contracts.DEFAULT_TFEVENT_DIR
        return CollectorSource(kind, names, path=path)
    if kind is SourceKind.PROMETHEUS:
        http = source.get("httpGet") or {}
        endpoint = HttpEndpoint(
            port=http.get("port") or contracts.DEFAULT_PROMETHEUS_PORT,
            path=http.get("path") or contracts.DEFAULT_PROMETHEUS_PATH,
            scheme=str(http.get("scheme") or "http").lower(),
            host=http.get("host") or "",
        )
        return CollectorSource(kind, names, http=endpoint)
    return CollectorSource(kind, names)
