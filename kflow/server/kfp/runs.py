"""Runs: one execution of a pipeline, as one Argo Workflow, and the record that outlives it.

Creating a run resolves its template (an uploaded version, a pipeline's latest
version, or a `pipeline_spec` sent inline), substitutes KFP's `[[...]]` macros in
its parameters, admits the Workflow as any write to the object store is admitted
and creates it. The record keeps what KFP's run table keeps; `refresh` brings its
state, end time and task details up to date from the workflow (KFP's persistence
agent), so a run stays readable after its workflow is gone.

Terminate asks the workflow to stop (`spec.shutdown: Terminate`, as `argo
terminate`): the run reads `CANCELING` until it has, then `CANCELED`. Retry rewrites
a failed workflow so only its failed nodes run again (`workflows.retry`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from kflow.api import admission
from kflow.api.argo import contracts as c
from kflow.api.errors import Conflict, Invalid
from kflow.api.errors import NotFound as ObjectNotFound
from kflow.api.kfp import listing, macros, states
from kflow.api.kfp.errors import FailedPrecondition, InvalidArgument, NotFound
from kflow.api.kfp.packages import V2, Package, from_struct
from kflow.api.kfp.states import RuntimeState, StorageState
from kflow.api.kinds import registry
from kflow.server.kfp import workflows
from kflow.server.kfp.backend import KfpBackend, optional_str, render
from kflow.server.kfp.catalog import Catalog, stored_package
from kflow.server.kfp.experiments import Experiments
from kflow.store.kfp_records import Record, RecordKind

RUN = RecordKind.RUN
POD_GONE_TIMEOUT = 30.0
RUN_TIMES = ("created_at", "scheduled_at", "finished_at")

RUNS = listing.Listing(
    "Run",
    "run_id",
    {
        "run_id": listing.field("run_id"),
        "id": listing.field("run_id"),
        "display_name": listing.field("display_name"),
        "name": listing.field("display_name"),
        "description": listing.field("description"),
        "created_at": listing.field("created_at", 0),
        "scheduled_at": listing.field("scheduled_at", 0),
        "finished_at": listing.field("finished_at", 0),
        "storage_state": listing.field("storage_state"),
        "state": listing.field("state"),
        "status": listing.field("state"),
        "namespace": listing.field("_namespace"),
        "experiment_id": listing.field("experiment_id"),
        "recurring_run_id": listing.field("recurring_run_id"),
        "pipeline_id": lambda r: (r.get("pipeline_version_reference") or {}).get("pipeline_id", ""),
        "pipeline_version_id": lambda r: (r.get("pipeline_version_reference") or {}).get(
            "pipeline_version_id", ""
        ),
    },
)


def run_json(record: Record) -> Record:
    out = render(record, RUN_TIMES, hidden=("task_details",))
    out["state_history"] = [
        {**entry, "update_time": render({"t": entry["update_time"]}, ("t",))["t"]}
        for entry in record.get("state_history") or []
    ]
    if record.get("task_details"):
        out["run_details"] = {"task_details": record["task_details"]}
    return out


def pipeline_source(
    body: dict[str, Any], catalog: Catalog, what: str
) -> tuple[Package, dict[str, str] | None, Any]:
    """The template a run or recurring run names: (package, version reference, inline spec)."""
    spec = body.get("pipeline_spec")
    reference = body.get("pipeline_version_reference")
    if spec and reference:
        raise InvalidArgument(
            f"{what} must have either pipeline_spec or pipeline_version_reference, not both"
        )
    if spec:
        return from_struct(spec, f"{what}.pipeline_spec"), None, spec
    if not isinstance(reference, dict) or not reference.get("pipeline_id"):
        if body.get("pipeline_version_id"):  # the deprecated field
            reference = {"pipeline_version_id": body["pipeline_version_id"], "pipeline_id": ""}
        else:
            raise InvalidArgument(
                f"{what} must have a pipeline_spec or a pipeline_version_reference with a pipeline_id"
            )
    pipeline_id = str(reference.get("pipeline_id") or "")
    version_id = str(reference.get("pipeline_version_id") or "")
    version = (
        catalog.get_version(pipeline_id, version_id)
        if version_id
        else catalog.latest_version(pipeline_id)
    )
    ref = {
        "pipeline_id": version["pipeline_id"],
        "pipeline_version_id": version["pipeline_version_id"],
    }
    return stored_package(version), ref, None


def runtime_config(body: dict[str, Any], what: str) -> dict[str, Any]:
    """A checked `runtime_config`: `parameters` (any JSON values) and `pipeline_root`."""
    raw = body.get("runtime_config") or {}
    if not isinstance(raw, dict):
        raise InvalidArgument(f"{what}.runtime_config must be an object")
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InvalidArgument(f"{what}.runtime_config.parameters must be an object")
    root = raw.get("pipeline_root") or ""
    if not isinstance(root, str):
        raise InvalidArgument(f"{what}.runtime_config.pipeline_root must be a string")
    return {"parameters": parameters, "pipeline_root": root}


def check_v2_parameters(package: Package, parameters: dict[str, Any]) -> None:
    """KFP's check: every parameter a run sets must be an input of the pipeline."""
    if package.kind != V2:
        return
    declared = ((package.spec.get("root") or {}).get("inputDefinitions") or {}).get(
        "parameters"
    ) or {}
    for name in parameters:
        if name not in declared:
            raise InvalidArgument(
                f"Failed to verify parameters: Invalid input error: Unrecognized input parameter: {name}"
            )


class Runs:
    """Runs and their workflows."""

    def __init__(self, backend: KfpBackend, catalog: Catalog, experiments: Experiments) -> None:
        self.backend = backend
        self.records = backend.records
        self.catalog = catalog
        self.experiments = experiments

    # -- create ---------------------------------------------------------------------

    def create(
        self,
        body: dict[str, Any],
        *,
        recurring_run_id: str = "",
        scheduled_at: int | None = None,
        index: int | None = None,
    ) -> Record:
        name = optional_str(body, "display_name", "run.display_name")
        if not name:
            raise InvalidArgument(
                "The run name is empty. Please specify a valid name (display_name)"
            )
        experiment_id = optional_str(body, "experiment_id", "run.experiment_id")
        experiment = (
            self.experiments.get(experiment_id) if experiment_id else self.experiments.default()
        )
        if experiment["storage_state"] == StorageState.ARCHIVED.value:
            raise FailedPrecondition(
                f"Failed to create a run: experiment {experiment['experiment_id']} is archived; "
                "unarchive it first"
            )
        package, reference, inline = pipeline_source(body, self.catalog, "run")
        config = runtime_config(body, "run")
        check_v2_parameters(package, config["parameters"])
        service_account = optional_str(body, "service_account", "run.service_account")
        run_id = self.backend.new_id()
        now = self.backend.now()
        namespace = experiment["namespace"] or self.backend.namespace
        parameters = macros.substitute_parameters(
            config["parameters"], run_id=run_id, now=now, scheduled=scheduled_at, index=index
        )
        spec = workflows.RunSpec(
            run_id, namespace, parameters, config["pipeline_root"], service_account
        )
        wf = self._create_workflow(workflows.build(package, spec, self.backend.compile_ir))
        record: Record = {
            "run_id": run_id,
            "experiment_id": experiment["experiment_id"],
            "display_name": name,
            "description": optional_str(body, "description", "run.description"),
            "storage_state": StorageState.AVAILABLE.value,
            "service_account": service_account,
            "created_at": now,
            "scheduled_at": scheduled_at if scheduled_at is not None else now,
            "finished_at": 0,
            "state": RuntimeState.PENDING.value,
            "state_history": [{"update_time": now, "state": RuntimeState.PENDING.value}],
            "runtime_config": config if (config["parameters"] or config["pipeline_root"]) else None,
            "pipeline_version_reference": reference,
            "pipeline_spec": inline,
            "recurring_run_id": recurring_run_id,
            "_namespace": namespace,
            "_workflow": wf["metadata"]["name"],
        }
        self.records.insert(RUN, run_id, record, parent=experiment["experiment_id"])
        self.experiments.note_run(experiment["experiment_id"], now)
        return record

    def _create_workflow(self, wf: dict[str, Any]) -> dict[str, Any]:
        info = registry.by_resource(c.WORKFLOWS)
        try:
            admitted = admission.admit(info, wf, None, operation="CREATE", version=info.version)
            return self.backend.store.create(c.WORKFLOWS, admitted)
        except Invalid as exc:
            causes = "; ".join(str(cause) for cause in exc.causes) or exc.message
            raise InvalidArgument(
                f"Failed to create a run: the workflow is invalid: {causes}"
            ) from None
        except ObjectNotFound as exc:
            raise InvalidArgument(f"Failed to create a run: {exc.message}") from None

    # -- read -----------------------------------------------------------------------

    def get(self, run_id: str) -> Record:
        record = self.records.get(RUN, run_id)
        if record is None:
            raise NotFound(f"Run {run_id} not found")
        return self.refresh(record)

    def list(self, *, experiment_id: str = "", namespace: str = "") -> list[Record]:
        records = self.records.list(RUN, parent=experiment_id or None)
        return [
            self.refresh(r) for r in records if not namespace or r.get("_namespace") == namespace
        ]

    def workflow(self, record: Record) -> dict[str, Any] | None:
        try:
            return self.backend.store.get(c.WORKFLOWS, record["_namespace"], record["_workflow"])
        except ObjectNotFound:
            return None

    def refresh(self, record: Record) -> Record:
        """The record, with what the run's workflow says now written into it."""
        if record["state"] in _FINAL:
            return record
        wf = self.workflow(record)
        now = self.backend.now()

        def observe(current: Record) -> Record | None:
            if current["state"] in _FINAL:
                return None
            terminating = bool(current.get("_terminating"))
            if wf is None:
                if not terminating:
                    return None  # nothing to read; keep what we knew
                seen = workflows.Observed(
                    RuntimeState.CANCELED, now, "", current.get("task_details") or []
                )
            else:
                seen = workflows.observe(wf, current["run_id"], terminating=terminating)
            changed = dict(current)
            if seen.state.value != current["state"]:
                changed["state"] = seen.state.value
                changed["state_history"] = [
                    *current.get("state_history", []),
                    {"update_time": now, "state": seen.state.value},
                ]
            changed["finished_at"] = seen.finished_at or (
                now if seen.state in states.FINAL_STATES else 0
            )
            changed["task_details"] = seen.task_details
            failed = seen.state is RuntimeState.FAILED and seen.message
            changed["error"] = {"code": 2, "message": seen.message} if failed else None
            return changed if changed != current else None

        updated = self.records.update(RUN, record["run_id"], observe)
        return updated if updated is not None else record

    # -- change ---------------------------------------------------------------------

    def set_storage(self, run_id: str, state: StorageState) -> None:
        record = self.get(run_id)
        if state is StorageState.AVAILABLE:
            experiment = self.records.get(RecordKind.EXPERIMENT, record["experiment_id"])
            if experiment and experiment["storage_state"] == StorageState.ARCHIVED.value:
                raise FailedPrecondition(
                    f"Failed to unarchive run {run_id} as experiment {record['experiment_id']} "
                    "must be un-archived first"
                )

        def store(current: Record) -> Record:
            current["storage_state"] = state.value
            return current

        self.records.update(RUN, run_id, store)

    def delete(self, run_id: str) -> None:
        record = self.records.get(RUN, run_id)
        if record is None:
            raise NotFound(f"Failed to delete run {run_id} as it does not exist")
        with contextlib.suppress(ObjectNotFound):
            self.backend.store.delete(c.WORKFLOWS, record["_namespace"], record["_workflow"])
        self.records.delete(RUN, run_id)

    def terminate(self, run_id: str) -> None:
        record = self.get(run_id)
        if record["state"] in _FINAL:
            raise FailedPrecondition(
                f"Failed to terminate run {run_id}: it has already finished ({record['state']})"
            )
        now = self.backend.now()

        def mark(current: Record) -> Record:
            current["_terminating"] = True
            if current["state"] != RuntimeState.CANCELING.value:
                current["state"] = RuntimeState.CANCELING.value
                current["state_history"] = [
                    *current.get("state_history", []),
                    {"update_time": now, "state": RuntimeState.CANCELING.value},
                ]
            return current

        self.records.update(RUN, run_id, mark)
        self._patch_workflow(
            record, lambda wf: wf.setdefault("spec", {}).update(shutdown="Terminate")
        )
        self.refresh(self.records.get(RUN, run_id) or record)

    def _patch_workflow(self, record: Record, change: Any) -> None:
        for _ in range(10):
            wf = self.workflow(record)
            if wf is None:
                return
            change(wf)
            try:
                self.backend.store.update(c.WORKFLOWS, wf)
                return
            except Conflict:
                continue
        raise FailedPrecondition(
            f"Failed to update the workflow of run {record['run_id']}: it kept changing"
        )

    async def retry(self, run_id: str) -> None:
        record = self.get(run_id)
        if record["storage_state"] == StorageState.ARCHIVED.value:
            raise FailedPrecondition(
                f"Failed to retry run {run_id}: an archived run cannot be retried"
            )
        wf = self.workflow(record)
        if wf is None:
            raise FailedPrecondition(f"Failed to retry run {run_id}: its workflow no longer exists")
        new, pods = workflows.retry(wf)
        namespace = record["_namespace"]
        for pod in pods:
            with contextlib.suppress(ObjectNotFound):
                self.backend.store.delete("pods", namespace, pod)
        await self._pods_gone(namespace, pods)
        status = new.pop("status")
        written = self.backend.store.update(c.WORKFLOWS, new)
        written["status"] = status
        self.backend.store.update_status(c.WORKFLOWS, written)
        now = self.backend.now()

        def restart(current: Record) -> Record:
            current.update(
                state=RuntimeState.RUNNING.value,
                finished_at=0,
                error=None,
                _terminating=False,
                state_history=[
                    *current.get("state_history", []),
                    {"update_time": now, "state": RuntimeState.RUNNING.value},
                ],
            )
            return current

        self.records.update(RUN, run_id, restart)

    async def _pods_gone(self, namespace: str, pods: Sequence[str]) -> None:
        """Wait until the failed nodes' pods are gone, so none is mistaken for a new attempt."""
        deadline = time.monotonic() + POD_GONE_TIMEOUT
        for pod in pods:
            while True:
                try:
                    self.backend.store.get("pods", namespace, pod)
                except ObjectNotFound:
                    break
                if time.monotonic() > deadline:
                    raise FailedPrecondition(
                        f"Failed to retry: pod {namespace}/{pod} of a failed task is still being deleted; try again"
                    )
                await asyncio.sleep(0.05)


_FINAL = frozenset(s.value for s in states.FINAL_STATES)
