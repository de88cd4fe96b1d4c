"""`kflow logs`: print or follow a pod container's output, or a whole training job's."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from kflow.api.argo import contracts as argo
from kflow.api.training.contracts import GROUP, TRAINING_KINDS
from kflow.cli import ui
from kflow.sdk import Client
from kflow.sdk.joblogs import LogLine, job_logs
from kflow.sdk.workflowlogs import workflow_logs

HELP = """Print the logs of a container in a pod, like `kubectl logs`, of every replica of a training job, or of every step of an Argo workflow.

For a job (job/NAME, tfjob/NAME, pytorchjob/NAME...) the lines of all its replicas are merged, each prefixed with its [role-index]; with -f new replicas join as they start and the command ends when the job has finished. For a workflow (workflow/NAME, wf/NAME) each step's main container is printed in the order the steps started, each line prefixed with its [step]; with -f steps join as they start and the command ends when the workflow has finished.

Examples:
  kflow logs web
  kflow logs pod/mnist-worker-0 -c tensorflow -f
  kflow logs web --previous --tail 20
  kflow logs job/mnist -f
  kflow logs pytorchjob/mnist --tail 5
  kflow logs workflow/hello-world-x7k2p -f
"""

_POD_KINDS = ("po", "pod", "pods")
_ANY_JOB = ("job", "jobs")
_JOB_KINDS = {(GROUP, k) for k in TRAINING_KINDS}
_COLOURS = ("cyan", "green", "magenta", "yellow", "blue", "bright_red")


def _print_job(lines: Iterator[LogLine], follow: bool) -> None:
    colours: dict[str, str] = {}
    styled = sys.stdout.isatty()
    for line in lines:
        prefix = f"[{line.replica}]"
        if styled:
            colour = colours.setdefault(line.replica, _COLOURS[len(colours) % len(_COLOURS)])
            prefix = typer.style(prefix, fg=colour)
        typer.echo(f"{prefix} {line.text}")
        if follow:
            sys.stdout.flush()


def _job(
    client: Client,
    kind: str,
    name: str,
    namespace: str | None,
    container: str | None,
    follow: bool,
    tail: int | None,
) -> None:
    typed = None if kind.lower() in _ANY_JOB else client.resource(kind)
    if typed is not None and (typed.group, typed.kind) == (argo.GROUP, "Workflow"):
        steps = workflow_logs(client, name, namespace=namespace, follow=follow, tail=tail)
        _print_job(steps, follow)
        return
    if typed is not None and (typed.group, typed.kind) not in _JOB_KINDS:
        raise ui.CliError(f'"{kind}/{name}": logs are read from pods: use pod/NAME')
    lines = job_logs(
        client,
        name,
        kind=typed,
        namespace=namespace,
        container=container,
        follow=follow,
        tail=tail,
    )
    _print_job(lines, follow)


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def logs(
        ctx: typer.Context,
        pod: Annotated[
            str,
            typer.Argument(
                metavar="POD",
                help="The pod (NAME or pod/NAME), a job (job/NAME, tfjob/NAME...) or a workflow (workflow/NAME).",
            ),
        ],
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
        client = ui.client(ctx, namespace)
        if "/" in pod:
            kind, name = ui.split_ref(pod)
            if kind.lower() not in _POD_KINDS:
                if previous:
                    raise ui.CliError("--previous reads one pod: use pod/NAME")
                _job(client, kind, name, namespace, container, follow, tail if tail >= 0 else None)
                return
        else:
            name = pod
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
