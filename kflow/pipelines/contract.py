"""The names kflow's pipeline translation and its launcher agree on, in one table.

The translation (`workflow.py`) writes them into the Argo Workflow; the launcher
(`launcher.py`) reads them back inside each task's pod; the docs and tests read them
from here too.
"""

from __future__ import annotations

LAUNCHER_MODULE = "kflow.pipelines.launcher"
"""What each task's container runs: `python3 -m kflow.pipelines.launcher`."""
PYTHON = "python3"
LAUNCHER_PRELOAD = ("kfp.dsl.executor", "kfp.dsl.kfp_config", "kfp.dsl.utils")
"""What `kflow up` imports in advance for launcher pods besides the launcher's own imports
(what `kfp.dsl.executor_main` imports), so a warm launcher starts with them done."""
LAUNCHER_REHEARSAL = "rehearse"
"""The launcher's function a warm launcher's process runs before its task arrives."""
CAPTURE_RESULT_ANNOTATION = "workflows.kflow.dev/capture-result"
"""Set to "false" in each task template's metadata: the workflow controller's annotation
(`kflow.api.argo.contracts.ANNOTATION_CAPTURE_RESULT`, named here so the launcher never
imports the API) for a step whose stdout is not kept as `outputs.result`."""

OUTPUTS_DIR = "/tmp/kflow/outputs"
"""Where the launcher writes each output for Argo's `valueFrom.path` (one file per output);
/tmp is private to each pod, so concurrent tasks never share these files."""

CACHED_FROM_OUTPUT = "kflow-cached-from"
"""An output of every executor task: "<run>/<task>" whose outputs a cache hit reused, else ""."""

LAUNCHER_IMAGE = "kflow-launcher"
"""Recorded on importer pods, which run no user image: the launcher does all the work."""

ROOT_TEMPLATE = "root"
"""The Argo template of the pipeline's root DAG: the workflow's entrypoint."""
ITERATION_TASK = "iteration"
"""The task inside a ParallelFor's iterator template that fans out over the items."""

PIPELINE_LABEL = "pipelines.kflow.dev/pipeline"
"""On the Workflow: the pipeline's name (DNS-1123 form)."""
RUN_ANNOTATION_CACHING = "pipelines.kflow.dev/enable-caching"
"""On the Workflow: "false" when caching was turned off for the whole run."""

HOME_ENV = "KFLOW_HOME"
"""The data directory (default ~/.kflow): its artifacts/ and kflow.db hold the artifact store
and the pipeline metadata (executions, lineage, the cache index)."""
ROOT_ENV = "KFLOW_PIPELINE_ROOT"
"""A default pipeline root: a URL (or directory) every task's outputs are also uploaded to."""
REPOSITORY_ENV = "KFLOW_ARTIFACT_REPOSITORY"
"""kflow's artifact repository URL (`kflow up` passes it to pods): the last default root."""
STALENESS_ENV = "KFLOW_MAX_CACHE_STALENESS"
"""Set on a task (`task.set_env_variable`) or the run: the oldest cached result to reuse,
as an ISO 8601 duration (`P30D`, `PT1H`); `P0D` never reuses."""
ARTIFACTS_DIR = "artifacts"
DATABASE_FILE = "kflow.db"
PACKAGES_DIR = "pipelines/packages"
"""Markers of `packages_to_install` sets already satisfied in this environment."""

FINAL_STATES = {
    "Succeeded": "SUCCEEDED",
    "Failed": "FAILED",
    "Error": "FAILED",
    "Skipped": "CANCELLED",
    "Omitted": "CANCELLED",
}
"""Argo node phase -> KFP task state, for `dsl.PipelineTaskFinalStatus`."""
