"""`kflow wait`: block until objects meet a condition, or are deleted."""

from __future__ import annotations

from typing import Annotated

import typer

from kflow.cli import ui
from kflow.sdk import parse_condition, parse_duration

HELP = """Wait until objects meet a condition, like `kubectl wait`.

--for takes kubectl's forms: condition=NAME (status True), condition=NAME=VALUE, delete, or jsonpath='{.path}'=VALUE.

Examples:
  kflow wait pod/web --for=condition=Ready
  kflow wait tfjob/mnist --for=condition=Succeeded --timeout 10m
  kflow wait pod/web --for=jsonpath='{.status.phase}'=Running
  kflow wait pod/web --for=delete
"""


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def wait(
        ctx: typer.Context,
        args: Annotated[
            list[str], typer.Argument(metavar="TARGET", help="KIND/NAME... or KIND NAME....")
        ],
        for_: Annotated[
            str,
            typer.Option(
                "--for",
                help="condition=NAME[=VALUE], delete, or jsonpath='{.path}'=VALUE.",
                show_default=False,
            ),
        ],
        timeout: Annotated[
            str, typer.Option(help="Give up after this long, e.g. 30s, 5m, 1h.")
        ] = "30s",
        namespace: ui.NamespaceOption = None,
    ) -> None:
        try:
            condition = parse_condition(for_)
        except ValueError as exc:
            raise ui.CliError(f"--for: {exc}") from None
        try:
            seconds = parse_duration(timeout)
        except ValueError as exc:
            raise ui.CliError(f"--timeout: {exc}") from None
        client = ui.client(ctx, namespace)
        for kind, name in ui.targets(args):
            res = client.resource(kind)
            with ui.waiting(f"waiting for {res.display}/{name}: {condition.text}"):
                client.wait_for(res, name, for_, namespace=namespace, timeout=seconds)
            typer.echo(f"{res.display}/{name} condition met")
