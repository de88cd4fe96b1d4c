"""`kflow retry`: run a failed Argo workflow again from what failed, like `argo retry`."""

from __future__ import annotations

from typing import Annotated

import typer

from kflow.cli import ui
from kflow.sdk.workflowretry import retry_workflow

HELP = """Retry a failed workflow, like `argo retry`.

Steps that succeeded or were skipped are kept with their outputs; the failed steps (and the exit handler) run again, and the workflow goes back to Running. Works on KFP runs' workflows too (the KFP API's retry does the same).

Examples:
  kflow retry workflow/flaky-x7k2p
  kflow retry workflow flaky-x7k2p
  kflow retry wf/flaky-x7k2p -n kubeflow
"""


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def retry(
        ctx: typer.Context,
        target: Annotated[
            list[str],
            typer.Argument(
                metavar="WORKFLOW", help="workflow/NAME, wf/NAME, workflow NAME or NAME."
            ),
        ],
        namespace: ui.NamespaceOption = None,
    ) -> None:
        client = ui.client(ctx, namespace)
        if len(target) == 2 and "/" not in target[0]:
            kind, name = target
        elif len(target) == 1 and "/" in target[0]:
            kind, name = ui.split_ref(target[0])
        elif len(target) == 1:
            kind, name = "workflows", target[0]
        else:
            raise ui.CliError("give one workflow: workflow/NAME, workflow NAME or NAME")
        if client.resource(kind).kind != "Workflow":
            raise ui.CliError(f'"{kind}/{name}": only workflows can be retried')
        deleted = retry_workflow(client, name, namespace=namespace)
        typer.echo(f"workflow {name} retried ({len(deleted)} failed pod(s) deleted)")
