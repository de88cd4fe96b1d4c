"""Argo Workflows on kflow: the Workflow controller and what it is made of.

`controller.WorkflowController` is the reconcile loop; `operator.Operator` one pass
(Argo's `operate()`), walking the templates through `execution.Execution` with
`retries`, `steps`, `dag`, `leaves` (pods) and `actions` (resources, suspends);
`nodes` is the node tree, `scope`/`references`/`templates` the variables and template resolution (Argo's
template language itself is `kflow.workflows`), `podspec`/`podstatus`/`staging` the
pods and their files, `artifacts` kflow's content-addressed artifact store.
`admission` adds the checks that need the template language to the kinds;
`cron.CronWorkflowController` starts workflows on CronWorkflows' schedules.
"""

from __future__ import annotations

from kflow.artifacts import ArtifactStore, StoredArtifact
from kflow.controllers.workflows.admission import register_workflow_validation
from kflow.controllers.workflows.controller import WorkflowController
from kflow.controllers.workflows.cron import CronWorkflowController

__all__ = [
    "ArtifactStore",
    "CronWorkflowController",
    "StoredArtifact",
    "WorkflowController",
    "register_workflow_validation",
]
