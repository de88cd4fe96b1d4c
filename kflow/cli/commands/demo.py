"""`kflow demo`: the guided walk-through (its steps live in `kflow.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kflow.cli import ui

HELP = """Run the MNIST walk-through end to end on a private kflow server.

It starts its own server in a temporary data directory (or --home), trains and evaluates a small model in pods, follows their logs, and prints what happened and how to look around with kubectl."""


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def demo(
        home: Annotated[
            Path | None,
            typer.Option(
                help="Data directory for the demo's server (default: a temporary one).",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        from kflow import demo as walkthrough  # imported here so other commands start fast

        code = walkthrough.run(home=home)
        if code:
            raise typer.Exit(code)
