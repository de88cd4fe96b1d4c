"""`kflow lineage`: where an artifact came from — its producing task, that task's inputs,
and theirs — drawn as a tree."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from kflow.cli import ui
from kflow.cli.describe_run import lineage_lines
from kflow.sdk.runs import lineage

HELP = """Show the lineage of an artifact: the run and task that made it, with the parameters and input artifacts it read, recursively.

ARTIFACT is a digest (sha256:...) or a stored artifact's URI (its local path or its artifact repository URL), as `kflow get artifacts --run RUN -o json` shows them. Only runs in the namespace are searched.

Examples:
  kflow lineage sha256:3ad1c0ffee...
  kflow lineage /home/me/.kflow/artifacts/blobs/sha256/3a/3ad1c0ffee... -n kubeflow
  kflow lineage s3://bucket/kflow/blobs/sha256/3a/3ad1c0ffee... -o json
"""


def register(app: typer.Typer) -> None:
    @app.command(name="lineage", help=HELP)
    @ui.handles_errors
    def lineage_command(
        ctx: typer.Context,
        artifact: Annotated[str, typer.Argument(metavar="ARTIFACT", help="A digest or a URI.")],
        namespace: ui.NamespaceOption = None,
        output: Annotated[
            str | None, typer.Option("--output", "-o", help="json for the server's JSON.")
        ] = None,
    ) -> None:
        if output not in (None, "json"):
            raise ui.CliError(f'--output: "{output}" is not allowed (json)')
        client = ui.client(ctx, namespace)
        tree = lineage(client, artifact, namespace=namespace)
        if output == "json":
            typer.echo(json.dumps(tree, indent=2))
            return
        typer.echo("\n".join(lineage_lines(tree)))
