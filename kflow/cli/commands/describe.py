"""`kflow describe`: one object in readable form, with its Events."""

from __future__ import annotations

from typing import Annotated

import typer

from kflow.api.errors import ApiError, NotFound
from kflow.cli import describers, ui

HELP = """Show an object in detail, with the Events about it, like `kubectl describe`.

Examples:
  kflow describe pod web
  kflow describe tfjob/mnist -n team-a
"""


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
            res = client.resource(kind)
            try:
                obj = client.get(res, name, namespace=namespace)
            except NotFound as exc:
                ui.server_error_line(exc)
                ok = False
                continue
            try:
                events: list[dict[str, object]] | None = client.events_for(obj)
            except ApiError:
                events = None  # a server without Events still describes the object
            texts.append(describers.describe(obj, events))
        if texts:
            typer.echo("\n\n".join(t.rstrip("\n") for t in texts))
        if not ok:
            raise typer.Exit(1)
