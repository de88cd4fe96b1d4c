"""KFP v2 pipelines on kflow's Argo engine: the IR translation and the task launcher.

A pipeline written with the `kfp` DSL and compiled by `kfp.compiler` (the
pipeline-spec IR) becomes an Argo Workflow (`to_workflow`) that the workflow
controller runs like any other; each task's pod runs `python -m
kflow.pipelines.launcher`, which executes the component with kfp's own executor and
keeps artifacts in a content-addressed store, with caching and lineage in the kflow
database. This package imports only the standard library, `kflow.api`-free helpers
and (in the launcher, lazily) kfp: it is a pure layer beside `kflow.workflows`.
"""

from kflow.pipelines.errors import ArgumentError, ComponentFailed, PipelineError, SpecError
from kflow.pipelines.ir import Pipeline, load
from kflow.pipelines.workflow import to_workflow

__all__ = [
    "ArgumentError",
    "ComponentFailed",
    "Pipeline",
    "PipelineError",
    "SpecError",
    "load",
    "to_workflow",
]
