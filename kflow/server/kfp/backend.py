"""What every KFP service needs: the object store, the record store, a clock and a translator.

`KfpBackend` is built once (by `kflow up`, or a test) and shared by the services
(`catalog`, `experiments`, `runs`, `recurring`) and the scheduler; it holds no state
of its own beyond them, so a restart loses nothing the stores keep.

Runs without a namespace of their own (KFP's single-user mode) create their
workflows in `kubeflow`, where KFP's API server runs and creates them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from kflow.api import meta as m
from kflow.api.kfp import times
from kflow.api.kfp.errors import InvalidArgument
from kflow.server.kfp.workflows import IrCompiler, compile_v2
from kflow.store.interface import Store
from kflow.store.kfp_records import KfpRecordStore, Record

DEFAULT_NAMESPACE = "kubeflow"


@dataclasses.dataclass
class KfpBackend:
    """The stores and collaborators of the KFP platform."""

    store: Store  # where run workflows live
    records: KfpRecordStore  # pipelines, versions, experiments, runs, recurring runs
    compile_ir: IrCompiler = compile_v2  # v2 pipeline spec -> Workflow
    clock: Callable[[], float] = time.time
    namespace: str = DEFAULT_NAMESPACE  # workflows of runs without a namespace

    def now(self) -> int:
        """The time in whole seconds, as KFP stores times."""
        return int(self.clock())

    def new_id(self) -> str:
        return m.new_uid()


def render(record: Record, time_fields: tuple[str, ...], hidden: tuple[str, ...] = ()) -> Record:
    """A record as the API writes it: times as RFC 3339, empty and hidden fields left out.

    KFP's gateway leaves unset proto fields out of the JSON; times it always sets (an
    unset one reads as the epoch), so those are kept.
    """
    out: Record = {}
    for key, value in record.items():
        if key in hidden or key.startswith("_"):
            continue
        if key in time_fields:
            out[key] = times.render(value)
        elif value not in (None, "", [], {}):
            out[key] = value
    return out


def optional_str(body: dict[str, Any], key: str, field: str) -> str:
    """A string field of a request body ('' when absent), or InvalidArgument."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string, not {type(value).__name__}")
    return value
