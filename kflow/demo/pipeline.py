"""The demo's pipeline step: a kfp v2 pipeline run twice, the second time from the cache.

`kflow.demos.mnist_pipeline` is plain kfp DSL (load the digits, train, evaluate,
approve when accurate enough). kflow compiles it with kfp's compiler, runs its IR as
an Argo Workflow on the demo's control plane, and shows the tasks live. The second
run has the same inputs, so every task is taken from the cache: nothing runs again.
"""

from __future__ import annotations

import time

from rich.console import Console

from kflow.sdk import Client
from kflow.sdk.pipelines import PipelineFailed, PipelineRun, run_pipeline

ARGUMENTS = {"test_fraction": 0.25, "regularization": 0.5}


def _cached(run: PipelineRun) -> int:
    return sum(1 for task in run.tasks.values() if task.cached_from)


def run_twice(client: Client, namespace: str, console: Console) -> tuple[str, bool]:
    """Run the pipeline, then again; returns (summary, succeeded)."""
    from kflow.demos.mnist_pipeline import mnist_pipeline  # imports kfp: only when run

    try:
        first = run_pipeline(
            mnist_pipeline, ARGUMENTS, namespace=namespace, client=client, console=console
        )
        started = time.monotonic()
        again = run_pipeline(
            mnist_pipeline, ARGUMENTS, namespace=namespace, client=client, console=console
        )
    except PipelineFailed as exc:
        return f"Failed: {exc}", False
    rerun = time.monotonic() - started
    accuracy = first.outputs.get("Output")
    ran = len(first.tasks) - _cached(first)
    summary = (
        f"{first.phase}, accuracy {accuracy:.4f}, {ran} tasks ran; "
        f"again from the cache: {_cached(again)}/{len(again.tasks)} reused in {rerun:.1f}s"
        if isinstance(accuracy, float)
        else f"{first.phase}: {first.message}"
    )
    return summary, first.phase == again.phase == "Succeeded"
