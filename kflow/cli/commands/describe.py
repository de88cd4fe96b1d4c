"""`kflow describe`: one object in readable form, with its Events."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kflow.api.errors import ApiError, NotFound
from kflow.cli import describers, ui
from kflow.cli.describe_experiment import describe_experiment
from kflow.cli.describe_run import describe_run
from kflow.cli.describe_workflow import describe_workflow
from kflow.sdk import Client
from kflow.sdk.runs import run_details

HELP = """Show an object in detail, with the Events about it, like `kubectl describe`.

`kflow describe run RUN` shows a run — a workflow name or a KFP run id — with its tasks (and where cached ones came from), its artifacts and its metrics. An Experiment (Katib) is described as a tuning report: objective, algorithm, the best trial with its parameters and metrics, and a table of its trials. A Workflow (Argo) is described as `argo get` shows it: its status, times and parameters, then its node tree with each step's phase, template, pod and duration.

Examples:
  kflow describe pod web
  kflow describe tfjob/mnist -n team-a
  kflow describe experiment random-example
  kflow describe workflow hello-world-x7k2p
  kflow describe run train-x7k2p
"""

RUN_KINDS = ("run", "runs")

EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"


def _describe(client: Client, obj: dict[str, Any], events: list[dict[str, Any]] | None) -> str:
    """The describe text, by kind: a Katib Experiment with its trials, else the generic one."""
    api_version = str(obj.get("apiVersion") or "")
    if obj.get("kind") == "Experiment" and api_version.startswith("kubeflow.org/"):
        meta = obj.get("metadata") or {}
        trials = client.list(
            "trials",
            namespace=meta.get("namespace"),
            labels=f"{EXPERIMENT_LABEL}={meta.get('name')}",
        ).items
        return describe_experiment(obj, trials, events)
    if obj.get("kind") == "Workflow" and api_version.startswith("argoproj.io/"):
        return describe_workflow(obj, events)
    return describers.describe(obj, events)


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def describe(
        ctx: typer.Context,
        args: Annotated[
            list[str], typer.Argument(metavar="TARGET", help="KIND NAME... or KIND/NAME....")
        ],
        namespace: ui.NamespaceOption = None,
    ) -> None:
        client = ui.client(ctx, namespace)
        ok = True
        texts = []
        for kind, name in ui.targets(args):
            if kind in RUN_KINDS:
                try:
                    texts.append(describe_run(run_details(client, name, namespace=namespace)))
                except NotFound as exc:
                    ui.server_error_line(exc)
                    ok = False
                continue
            res = client.resource(kind)
            try:
                obj = client.get(res, name, namespace=namespace)
            except NotFound as exc:
                ui.server_error_line(exc)
                ok = False
                continue
            try:
                events: list[dict[str, Any]] | None = client.events_for(obj)
            except ApiError:
                events = None  # a server without Events still describes the object
            texts.append(_describe(client, obj, events))
        if texts:
            typer.echo("\n\n".join(t.rstrip("\n") for t in texts))
        if not ok:
            raise typer.Exit(1)
