"""Runs: one execution of a pipeline, as one Argo Workflow, and the record that outlives it.

Creating a run resolves its template (an uploaded version, a pipeline's latest
version, or a `pipeline_spec` sent inline), substitutes KFP's `[[...]]` macros in
its parameters, admits the Workflow as any write to the object store is admitted
and creates it. The record keeps what KFP's run table keeps; `refresh` brings its
state, end time and task details up to date from the workflow (KFP's persistence
agent), so a run stays readable after its workflow is gone. Terminate and retry are
`run_control`'s.
"""

from __future__ import annotations

import contextlib
from typing import Any

from kflow.api import admission
from kflow.api.argo import contracts as c
from kflow.api.errors import Invalid
from kflow.api.errors import NotFound as ObjectNotFound
from kflow.api.kfp import macros, states
from kflow.api.kfp.errors import FailedPrecondition, InvalidArgument, NotFound
from kflow.api.kfp.states import RuntimeState, StorageState
from kflow.api.kinds import registry
from kflow.server.kfp import workflow_status, workflows
from kflow.server.kfp.backend import KfpBackend, optional_str
from kflow.server.kfp.catalog import Catalog
from kflow.server.kfp.experiments import Experiments
from kflow.server.kfp.run_inputs import check_v2_parameters, pipeline_source, runtime_config
from kflow.store.kfp_records import Record, RecordKind

RUN = RecordKind.RUN


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
                seen = workflow_status.Observed(
                    RuntimeState.CANCELED, now, "", current.get("task_details") or []
                )
            else:
                seen = workflow_status.observe(wf, current["run_id"], terminating=terminating)
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


_FINAL = frozenset(s.value for s in states.FINAL_STATES)
