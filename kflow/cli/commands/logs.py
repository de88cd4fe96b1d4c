"""`kflow logs`: print or follow a pod container's output."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kflow.cli import ui

HELP = """Print the logs of a container in a pod, like `kubectl logs`.

Examples:
  kflow logs web
  kflow logs pod/mnist-worker-0 -c tensorflow -f
  kflow logs web --previous --tail 20
"""


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def logs(
        ctx: typer.Context,
        pod: Annotated[str, typer.Argument(metavar="POD", help="The pod: NAME or pod/NAME.")],
        container: Annotated[
            str | None,
            typer.Option(
                "--container", "-c", help="The container (needed when the pod has several)."
            ),
        ] = None,
        follow: Annotated[
            bool,
            typer.Option(
                "--follow", "-f", help="Keep streaming new output until the container ends."
            ),
        ] = False,
        previous: Annotated[
            bool,
            typer.Option("--previous", "-p", help="Show the previous (restarted) run's output."),
        ] = False,
        tail: Annotated[int, typer.Option(help="Only the last N lines; -1 for all.")] = -1,
        namespace: ui.NamespaceOption = None,
    ) -> None:
        if "/" in pod:
            kind, name = ui.split_ref(pod)
            if kind.lower() not in ("po", "pod", "pods"):
                raise ui.CliError(f'"{pod}": logs are read from pods: use pod/NAME')
        else:
            name = pod
        client = ui.client(ctx, namespace)
        lines = client.logs(
            name,
            container,
            namespace=namespace,
            follow=follow,
            previous=previous,
            tail=tail if tail >= 0 else None,
        )
        for line in lines:
            typer.echo(line)
            if follow:
                sys.stdout.flush()
