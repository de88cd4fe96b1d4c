"""Reading a trial's metrics the way Katib's metrics collectors do, incrementally.

Pure functions over bytes, directories and scrape bodies: no store, no HTTP, no
processes. `collector_source` tells the trial controller what to read for an
Experiment's `metricsCollectorSpec`; the parsers turn what it read into
`Observation` rows plus the position to resume from, which the controller stores
with the rows in one transaction of the observation log.
"""

from __future__ import annotations

from kflow.tuning.metrics.jsonlines import parse_json_lines
from kflow.tuning.metrics.prometheus import parse_prometheus
from kflow.tuning.metrics.results import (
    UNAVAILABLE,
    Collected,
    Parsed,
    objective_reported,
    unavailable,
)
from kflow.tuning.metrics.sources import (
    CollectorSource,
    HttpEndpoint,
    SourceKind,
    collector_source,
    metric_names,
)
from kflow.tuning.metrics.text import DEFAULT_FILTER, compile_filters, parse_text
from kflow.tuning.metrics.tfevent import read_tfevents

__all__ = [
    "DEFAULT_FILTER",
    "UNAVAILABLE",
    "Collected",
    "CollectorSource",
    "HttpEndpoint",
    "Parsed",
    "SourceKind",
    "collector_source",
    "compile_filters",
    "metric_names",
    "objective_reported",
    "parse_json_lines",
    "parse_prometheus",
    "parse_text",
    "read_tfevents",
    "unavailable",
]
