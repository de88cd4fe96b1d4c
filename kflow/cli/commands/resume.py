"""`kflow resume`: let a suspended Argo workflow go on, like `argo resume`."""

from __future__ import annotations

from typing import Annotated

import typer

from kflow.cli import ui
from kflow.sdk.workflowlogs import resume_workflow

HELP = """Resume a suspended workflow, like `argo resume`.

Every suspend step that waits (or only the one --node names, by its name or display name) succeeds, its output parameters taking their defaults, and a workflow suspended as a whole (spec.suspend) starts new steps again.

Examples:
  kflow resume workflow/approval-x7k2p
  kflow resume wf/approval-x7k2p --node approve
"""


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def resume(
        ctx: typer.Context,
        target: Annotated[
            str, typer.Argument(metavar="WORKFLOW", help="workflow/NAME, wf/NAME or NAME.")
        ],
        node: Annotated[
            str | None,
            typer.Option("--node", help="Only this suspend step (name or display name)."),
        ] = None,
        namespace: ui.NamespaceOption = None,
    ) -> None:
        client = ui.client(ctx, namespace)
        name = target
        if "/" in target:
            kind, name = ui.split_ref(target)
            res = client.resource(kind)
            if res.kind != "Workflow":
                raise ui.CliError(f'"{target}": only workflows can be resumed')
        resumed = resume_workflow(client, name, namespace=namespace, node=node)
        if not resumed:
            raise ui.CliError(f'workflow "{name}" has no suspended step to resume')
        for what in resumed:
            typer.echo(f"{what} resumed")
