"""`kflow demo`: the MNIST walk-through on a private, embedded control plane."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kflow.cli import ui

HELP = """Run the MNIST walk-through end to end on the embedded default.

Starts a private control plane (SQLite + local processes) in its own data directory, trains a digit classifier in a Pod with its log followed live, evaluates the saved model in a second Pod that mounts the same claim, trains it again as a distributed PyTorchJob, tunes it with a Katib Experiment, serves the best model behind an InferenceService, reads digits (held-out and drawn) through the MNIST web page, and prints a summary. Needs no network, no Docker and no Kubernetes.
"""


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def demo(
        home: Annotated[
            Path | None,
            typer.Option(
                help="Data directory for the demo's control plane (default: a new temporary one).",
                show_default=False,
            ),
        ] = None,
        keep: Annotated[
            bool,
            typer.Option(
                "--keep",
                help="Keep the control plane and the model server up after the summary, "
                "for the draw-a-digit page, until Ctrl-C.",
            ),
        ] = False,
    ) -> None:
        from kflow import demo as walkthrough  # imported here so other commands start fast

        raise typer.Exit(walkthrough.run(home, keep=keep))
