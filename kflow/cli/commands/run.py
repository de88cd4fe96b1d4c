"""`kflow run`: run a KFP v2 pipeline (a `.py` file or compiled IR) and show its tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kflow.cli import ui
from kflow.pipelines import PipelineError
from kflow.sdk.pipelines import PipelineFailed, cli_arguments, compile_pipeline, run_pipeline

HELP = """Run a Kubeflow Pipelines (kfp v2) pipeline on the kflow server.

FILE is a Python file defining a @dsl.pipeline (compiled with the kfp compiler) or a pipeline spec compiled with it (.yaml/.json). Each --param NAME=VALUE sets a pipeline input, typed as the pipeline declares it. The run is an Argo Workflow; its tasks show live, with the ones served from the cache. The pipeline's outputs are printed when it succeeds.

Examples:
  kflow run pipeline.py --param x=5
  kflow run pipeline.yaml --param lr=0.1 --param layers='[64, 32]'
  kflow run pipelines.py --pipeline train --no-cache
"""


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def run(
        ctx: typer.Context,
        file: Annotated[
            Path, typer.Argument(metavar="FILE", help="pipeline.py, or compiled .yaml/.json")
        ],
        param: Annotated[
            list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE for a pipeline input.")
        ] = None,
        pipeline: Annotated[
            str | None,
            typer.Option(
                help="Which pipeline of FILE to run, when it defines several.", show_default=False
            ),
        ] = None,
        name: Annotated[
            str | None,
            typer.Option(help="The run's name (default: <pipeline>-<random>).", show_default=False),
        ] = None,
        no_cache: Annotated[
            bool, typer.Option("--no-cache", help="Run every task, reusing nothing.")
        ] = False,
        max_cache_staleness: Annotated[
            str | None,
            typer.Option(
                help="Reuse only results younger than this ISO 8601 duration, e.g. P7D.",
                show_default=False,
            ),
        ] = None,
        detach: Annotated[
            bool, typer.Option("--detach", "-d", help="Return once the run is created.")
        ] = False,
        namespace: ui.NamespaceOption = None,
    ) -> None:
        try:
            spec = compile_pipeline(file, pipeline_name=pipeline)
            arguments = cli_arguments(spec, param or [])
            done = run_pipeline(
                spec,
                arguments,
                name=name,
                namespace=namespace,
                enable_caching=False if no_cache else None,
                max_cache_staleness=max_cache_staleness,
                follow=not detach,
                client=ui.client(ctx, namespace),
            )
        except PipelineFailed as failed:
            raise ui.CliError(str(failed)) from None
        except PipelineError as error:
            raise ui.CliError(str(error)) from None
        if detach:
            typer.echo(f"workflow.argoproj.io/{done.name} created")
            return
        for key, value in done.outputs.items():
            typer.echo(f"{key}: {value}")
