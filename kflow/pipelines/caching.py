"""When a task may reuse an earlier execution instead of running, and which one.

The cache key is a SHA-256 over what decides a component's outputs: its interface
(input and output definitions), its executor (image, command, args, env), its input
parameter values and its input artifacts' *contents* (their digests — two artifacts
with the same bytes are the same input, whatever they are called). A task's own
`set_caching_options(cache_key=...)` replaces the computed key, as in KFP.

A hit must be a SUCCEEDED execution with that key, no older than the staleness
bound (`KFLOW_MAX_CACHE_STALENESS` on the task or the environment, or the run's
`max_cache_staleness`: an ISO 8601 duration, `P0D` never reuses), whose output
artifacts are all still in place. `set_caching_options(False)` on a task, or caching
turned off for the run, skips the lookup — the execution is still recorded, for
lineage and for later runs to reuse.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from kflow.pipelines import contract
from kflow.pipelines.errors import PipelineError
from kflow.pipelines.metadata import Execution

_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
_SECONDS = {
    "years": 365 * 86400,
    "months": 30 * 86400,
    "weeks": 7 * 86400,
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
}


def staleness_seconds(text: str) -> float:
    """An ISO 8601 duration (`P30D`, `PT12H`, `P1DT30M`) in seconds."""
    match = _DURATION.fullmatch(text.strip().upper())
    if match is None or text.strip().upper() in ("P", "PT"):
        raise PipelineError(
            f"max cache staleness {text!r}: expected an ISO 8601 duration such as P30D, PT1H or P0D"
        )
    return sum(float(v) * _SECONDS[k] for k, v in match.groupdict().items() if v)


def cache_key(spec: dict[str, Any], parameters: dict[str, Any], artifacts: dict[str, Any]) -> str:
    """The task's cache key (`spec` is the launcher's task spec)."""
    custom = str((spec.get("cache") or {}).get("key") or "")
    if custom:
        return "custom:" + hashlib.sha256(custom.encode()).hexdigest()
    executor = spec.get("executor") or {}
    container = executor.get("container") or {}
    contents = {
        name: [ref.get("digest") or ref.get("uri") for ref in refs]
        for name, refs in artifacts.items()
    }
    body = {
        "component": spec.get("component") or {},
        "executor": {
            "image": container.get("image"),
            "command": container.get("command") or [],
            "args": container.get("args") or [],
            "env": container.get("env") or [],
            "importer": executor.get("importer"),
        },
        "parameters": parameters,
        "artifacts": contents,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def enabled(spec: dict[str, Any]) -> bool:
    """The run's switch wins over the task's own `set_caching_options`."""
    run = spec.get("enableCaching")
    if run is not None:
        return bool(run)
    return bool((spec.get("cache") or {}).get("enabled"))


def staleness(spec: dict[str, Any], environ: dict[str, str]) -> float | None:
    """The staleness bound in seconds (None: any age): the task's env, the run, the environment."""
    container = (spec.get("executor") or {}).get("container") or {}
    task_env = {str(e.get("name")): str(e.get("value", "")) for e in container.get("env") or []}
    for text in (
        task_env.get(contract.STALENESS_ENV),
        spec.get("maxCacheStaleness"),
        environ.get(contract.STALENESS_ENV),
    ):
        if text:
            return staleness_seconds(str(text))
    return None


def still_there(execution: Execution) -> bool:
    """Every stored output artifact of `execution` still exists (remote ones are trusted)."""
    for ref in execution.output_artifacts().values():
        uri = str(ref.get("uri") or "")
        if "://" not in uri and not Path(uri).exists():
            return False
    return True
