"""`PrometheusMetric` collection: metrics scraped from the trial's `/metrics` endpoint.

Katib defines this collector kind (and defaults its endpoint to port 8080, path
`/metrics`) but ships no collector for it, so kflow sets the rules:

- a metric name selects the samples of that exact name (`accuracy`, or a counter's
  `steps_total`); `name{label="value",...}` also requires those labels; when several
  series match, the first in the exposition is taken;
- a scrape is one observation per metric, at the sample's own timestamp if the
  exposition gives one, else the scrape time (`now`);
- a gauge that has not changed is not observed again: the cursor remembers the last
  (value, timestamp) recorded per metric, `{"last": {"accuracy": [0.9, null]}}`;
- NaN samples (a gauge not set yet) are not observations.

Parsing needs the `prometheus-client` package.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Sequence
from typing import Any

from kflow.api.katib.observations import Observation
from kflow.tuning.metrics import timestamps
from kflow.tuning.metrics.results import Collected

_SELECTOR = re.compile(r"\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{(.*)\})?\s*")
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse_selector(metric: str) -> tuple[str, dict[str, str]]:
    """(sample name, required labels) of a metric name such as `acc{split="test"}`."""
    match = _SELECTOR.fullmatch(metric)
    if match is None:
        raise ValueError(f'{metric!r} is not a Prometheus metric name or name{{label="value"}}')
    name, body = match.group(1), match.group(2) or ""
    labels: dict[str, str] = {}
    pos = 0
    while pos < len(body.rstrip()):
        matcher = _MATCHER.match(body, pos)
        if matcher is None:
            raise ValueError(f"{metric!r}: cannot read the label matchers {body!r}")
        labels[matcher.group(1)] = bytes(matcher.group(2), "utf-8").decode("unicode_escape")
        pos = matcher.end()
    return name, labels


def _families(body: str) -> Any:
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "the PrometheusMetric metrics collector needs prometheus-client: "
            "pip install prometheus-client"
        ) from exc
    return text_string_to_metric_families(body)


def _format(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def parse_prometheus(
    body: str,
    *,
    metric_names: Sequence[str],
    now: _dt.datetime,
    cursor: str | None = None,
) -> Collected:
    """The observations in one scrape of a text exposition, new since `cursor`."""
    selectors: dict[str, tuple[str, dict[str, str]]] = {}
    problems: list[str] = []
    for metric in dict.fromkeys(metric_names):
        try:
            selectors[metric] = parse_selector(metric)
        except ValueError as exc:
            problems.append(str(exc))
    last: dict[str, list[Any]] = {}
    if cursor:
        try:
            last = dict(json.loads(cursor).get("last", {}))
        except (ValueError, AttributeError):
            last = {}
    found: dict[str, tuple[float, float | None]] = {}
    try:
        samples = [s for family in _families(body) for s in family.samples]
    except ValueError as exc:
        problems.append(f"not a Prometheus text exposition: {exc}")
        return Collected([], json.dumps({"last": last}, sort_keys=True), problems)
    for metric, (name, labels) in selectors.items():
        for sample in samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                found[metric] = (float(sample.value), sample.timestamp)
                break
    observations = []
    scraped = timestamps.from_datetime(now)
    for metric, (value, sample_time) in found.items():
        if math.isnan(value) or last.get(metric) == [value, sample_time]:
            continue
        last[metric] = [value, sample_time]
        stamp = timestamps.from_epoch(float(sample_time)) if sample_time is not None else scraped
        observations.append(Observation(metric, _format(value), stamp))
    return Collected(observations, json.dumps({"last": last}, sort_keys=True), problems)
