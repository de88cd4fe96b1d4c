"""Argo Workflows' names and values, as one table kflow's API, controller and CLI read.

Group and version, the labels and annotations Argo puts on workflow pods, node and
workflow phases, node types, template types, retry policies, pod GC strategies and
CronWorkflow concurrency policies: each is written once here, with Argo's spelling,
so validation, the controller, the printers and the docs cannot disagree.
"""

from __future__ import annotations

import enum

GROUP = "argoproj.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

WORKFLOWS = f"workflows.{GROUP}"
WORKFLOW_TEMPLATES = f"workflowtemplates.{GROUP}"
CLUSTER_WORKFLOW_TEMPLATES = f"clusterworkflowtemplates.{GROUP}"
CRON_WORKFLOWS = f"cronworkflows.{GROUP}"

# labels and annotations, as Argo's workflow controller writes them
LABEL_WORKFLOW = "workflows.argoproj.io/workflow"
"""On a workflow's pods: the workflow's name."""
LABEL_COMPLETED = "workflows.argoproj.io/completed"
"""On a workflow (and its pods): "true" once it has finished."""
LABEL_PHASE = "workflows.argoproj.io/phase"
"""On a workflow: its phase, so `-l workflows.argoproj.io/phase=Running` selects."""
LABEL_CRON_WORKFLOW = "workflows.argoproj.io/cron-workflow"
"""On a workflow started by a CronWorkflow: the CronWorkflow's name."""
LABEL_WORKFLOW_TEMPLATE = "workflows.argoproj.io/workflow-template"
LABEL_CLUSTER_WORKFLOW_TEMPLATE = "workflows.argoproj.io/cluster-workflow-template"
ANNOTATION_NODE_ID = "workflows.argoproj.io/node-id"
ANNOTATION_NODE_NAME = "workflows.argoproj.io/node-name"
ANNOTATION_SCHEDULED_TIME = "workflows.argoproj.io/scheduled-time"
"""On a workflow started by a CronWorkflow: the schedule time it stands for."""
ANNOTATION_RESUME = "workflows.kflow.dev/resume"
"""Set to a node name (or "true" for every suspended node) to resume suspend nodes."""
ANNOTATION_CAPTURE_RESULT = "workflows.kflow.dev/capture-result"
"""In a template's `metadata.annotations`, "false": main's stdout is not kept as
`outputs.result` (Argo keeps it only for tasks something refers to; kflow keeps it for
every step unless told so), so main runs its command directly, with no copying shell
around it. Pipeline tasks, whose outputs are files, set it."""

MAIN_CONTAINER = "main"
"""The container of a container or script template, as Argo names it."""
SCRIPT_DIR = "/argo/staging"
SCRIPT_FILE = f"{SCRIPT_DIR}/script"
"""Where a script template's `source` is written; its command runs on this file."""


class NodePhase(str, enum.Enum):
    """The phase of a node (and, for the first five, of a workflow)."""

    PENDING = "Pending"  # created, not started (a pod waiting to run)
    RUNNING = "Running"  # started, not finished
    SUCCEEDED = "Succeeded"  # finished well
    FAILED = "Failed"  # finished badly (a non-zero exit, a failed child)
    ERROR = "Error"  # could not be run as asked (bad input, a lost pod)
    SKIPPED = "Skipped"  # a `when` evaluated false
    OMITTED = "Omitted"  # a DAG task whose `depends` can no longer be met


FULFILLED = frozenset(
    {NodePhase.SUCCEEDED, NodePhase.FAILED, NodePhase.ERROR, NodePhase.SKIPPED, NodePhase.OMITTED}
)
"""Phases of a node that will not change any more."""
COMPLETED = frozenset({NodePhase.SUCCEEDED, NodePhase.FAILED, NodePhase.ERROR, NodePhase.SKIPPED})
"""Fulfilled phases of nodes that were considered (an omitted node never was)."""
UNSUCCESSFUL = frozenset({NodePhase.FAILED, NodePhase.ERROR})


class NodeType(str, enum.Enum):
    """What a node of `status.nodes` stands for."""

    POD = "Pod"  # a container, script or resource template: one pod (or one apply)
    STEPS = "Steps"  # a steps template
    STEP_GROUP = "StepGroup"  # one parallel group of a steps template
    DAG = "DAG"  # a dag template
    TASK_GROUP = "TaskGroup"  # a DAG task expanded by withItems/withParam/withSequence
    RETRY = "Retry"  # a template with a retryStrategy: its attempts are its children
    SKIPPED = "Skipped"  # a step or task that did not run (when false, omitted, errors)
    SUSPEND = "Suspend"  # a suspend template


TEMPLATE_TYPES = ("container", "steps", "script", "resource", "dag", "suspend")
"""The fields that make a template's type; exactly one may be set."""
LEAF_TYPES = ("container", "script", "resource", "suspend")
POD_TYPES = ("container", "script", "resource")


class RetryPolicy(str, enum.Enum):
    """Which failures a retryStrategy retries."""

    ALWAYS = "Always"  # Failed and Error
    ON_FAILURE = "OnFailure"  # Failed (the default without an expression)
    ON_ERROR = "OnError"  # Error
    ON_TRANSIENT_ERROR = "OnTransientError"  # Failed or Error that looks transient


class PodGCStrategy(str, enum.Enum):
    """When a workflow's pods are deleted."""

    ON_POD_COMPLETION = "OnPodCompletion"
    ON_POD_SUCCESS = "OnPodSuccess"
    ON_WORKFLOW_COMPLETION = "OnWorkflowCompletion"
    ON_WORKFLOW_SUCCESS = "OnWorkflowSuccess"


class ConcurrencyPolicy(str, enum.Enum):
    """What a CronWorkflow does when a run is due while another still runs."""

    ALLOW = "Allow"  # start it anyway
    FORBID = "Forbid"  # skip it
    REPLACE = "Replace"  # stop the running one, then start it


RESOURCE_ACTIONS = ("get", "create", "apply", "delete", "replace", "patch")
ARCHIVE_STRATEGIES = ("tar", "none", "zip")
"""An artifact's `archive` field: one of these keys (tgz, `tar: {}`, is the default)."""

# Argo's messages, where the same text is written from more than one place
MESSAGE_NO_MORE_RETRIES = "No more retries left"
MESSAGE_MAX_DURATION = "Max duration limit exceeded"
MESSAGE_OMITTED = "omitted: depends condition not met"
MESSAGE_DEADLINE = "Step exceeded its deadline"
MESSAGE_STOPPED = "Stopped with strategy 'Stop'"
MESSAGE_TERMINATED = "Stopped with strategy 'Terminate'"
