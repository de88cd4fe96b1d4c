"""Argo Workflows' kinds (`argoproj.io/v1alpha1`): Workflow, WorkflowTemplate, CronWorkflow.

`contracts` holds Argo's names (labels, annotations, phases, node and template
types, policies) as one table the API, the workflow controller and the CLI read.
`models_template` and `models_workflow` are the kinds' schema, `validation` and
`validation_templates` Argo's admission checks with field paths, `registration`
ties them into `KindInfo`s with `argo list`'s columns. Importing this package
registers the kinds; `register_argo_kinds()` does it again harmlessly.
"""

from __future__ import annotations

from kflow.api.argo.contracts import API_VERSION, GROUP, VERSION
from kflow.api.argo.registration import (
    WORKFLOW_COLUMNS,
    argo_kinds,
    register_argo_kinds,
    workflow_status,
)
from kflow.api.argo.validation import (
    validate_cron_workflow,
    validate_workflow,
    validate_workflow_template,
)

__all__ = [
    "API_VERSION",
    "GROUP",
    "VERSION",
    "WORKFLOW_COLUMNS",
    "argo_kinds",
    "register_argo_kinds",
    "validate_cron_workflow",
    "validate_workflow",
    "validate_workflow_template",
    "workflow_status",
]

register_argo_kinds()
