"""`kflow predict`: send a request file to an InferenceService through the gateway."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from kflow.cli import ui

HELP = """Send a prediction request to an InferenceService and print the answer.

The request goes through the kflow server's gateway (/serving/NAMESPACE/NAME/...) to a ready replica. --protocol v1 posts FILE to /v1/models/MODEL:predict (KServe V1 / TF Serving: {"instances": [...]}); v2 posts it to /v2/models/MODEL/infer (Open Inference Protocol: {"inputs": [...]}). MODEL is the InferenceService's name unless --model says otherwise. FILE is JSON; - reads stdin.

Examples:
  kflow predict digits -f input.json
  kflow predict digits -f v2.json --protocol v2 -n models
"""


class Protocol(str, enum.Enum):
    v1 = "v1"
    v2 = "v2"


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def predict(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(metavar="NAME", help="The InferenceService.")],
        filename: Annotated[
            str,
            typer.Option("--filename", "-f", help="The JSON request body (- for stdin)."),
        ],
        protocol: Annotated[
            Protocol, typer.Option(help="v1 (KServe V1 :predict) or v2 (Open Inference /infer).")
        ] = Protocol.v1,
        model: Annotated[
            str | None,
            typer.Option(help="The model's name (default: NAME).", show_default=False),
        ] = None,
        namespace: ui.NamespaceOption = None,
    ) -> None:
        try:
            text = sys.stdin.read() if filename == "-" else Path(filename).read_text()
        except OSError as exc:
            raise ui.CliError(f"-f {filename}: {exc.strerror}") from None
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise ui.CliError(f"-f {filename}: not JSON ({exc})") from None
        client = ui.client(ctx, namespace)
        answer = client.predict(
            name,
            body,
            namespace=namespace,
            protocol=protocol.value,
            model=model,
        )
        typer.echo(json.dumps(answer, indent=2))
