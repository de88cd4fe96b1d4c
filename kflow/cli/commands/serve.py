"""`kflow serve`: the model server on its own, for one model directory or URI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kflow.cli import ui

DEFAULT_GRPC_PORT = 8081  # kflow.serving.grpc_server.DEFAULT_GRPC_PORT; not imported, to start fast

SERVE_HELP = """Serve a model over TF Serving REST, KServe V1 and Open Inference Protocol (V2) REST on one port, and V2 gRPC and TF Serving gRPC on another.

MODEL_DIR is a path, file://, pvc://CLAIM/PATH, s3:// or gs:// URI. A directory with numbered subdirectories (1/, 2/, ...) holds versions: new ones are loaded and warmed up, then take traffic; the old ones unload. The format (sklearn, xgboost, lightgbm, pytorch, onnx, tensorflow, custom) comes from the files unless --format says it.

Examples:
  kflow serve ./models/mnist
  kflow serve ./models/mnist --version-policy latest:2 --label stable=1 --label canary=2
  kflow serve ./models/mnist --port 8500 --grpc-port 9000
  curl -d '{"instances": [[0, 1, ...]]}' localhost:8080/v1/models/mnist:predict
"""


def _labels(values: list[str]) -> dict[str, int]:
    labels = {}
    for value in values:
        name, sep, version = value.partition("=")
        if not sep or not name or not version.isdigit():
            raise ui.CliError(f"--label {value!r}: expected NAME=VERSION, e.g. stable=1")
        labels[name] = int(version)
    return labels


def register(app: typer.Typer) -> None:
    @app.command(help=SERVE_HELP)
    @ui.handles_errors
    def serve(
        model_dir: Annotated[str, typer.Argument(metavar="MODEL_DIR", help="Where the model is.")],
        name: Annotated[
            str | None,
            typer.Option(
                help="Model name in URLs (default: the directory's name).", show_default=False
            ),
        ] = None,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
        grpc_port: Annotated[
            int,
            typer.Option(help="Port for V2 gRPC and TF Serving gRPC (0: no gRPC)."),
        ] = DEFAULT_GRPC_PORT,
        model_format: Annotated[
            str | None,
            typer.Option(
                "--format", help="Model format (default: from the files).", show_default=False
            ),
        ] = None,
        version_policy: Annotated[
            str, typer.Option(help="Versions to serve: latest[:N], all, or specific:V1,V2.")
        ] = "latest",
        label: Annotated[
            list[str] | None,
            typer.Option(help="A version label, NAME=VERSION (repeatable).", show_default=False),
        ] = None,
        max_batch_size: Annotated[
            int, typer.Option(help="Adaptive batching: most rows per model call (0: off).")
        ] = 0,
        max_latency_ms: Annotated[
            float, typer.Option(help="Adaptive batching: longest wait for a batch to fill, in ms.")
        ] = 5.0,
        poll_interval: Annotated[
            float, typer.Option(help="Seconds between checks for new versions.")
        ] = 1.0,
    ) -> None:
        # imported here so every other command starts fast
        from kflow.serving import BatchingConfig, ModelConfig, VersionPolicy
        from kflow.serving.errors import ServingError
        from kflow.serving.server import run

        try:
            policy = VersionPolicy.parse(version_policy)
        except ServingError as exc:
            raise ui.CliError(f"--version-policy: {exc}") from None
        batching = (
            BatchingConfig(max_batch_size=max_batch_size, max_latency=max_latency_ms / 1000)
            if max_batch_size > 0
            else None
        )
        model_name = name or Path(model_dir.rstrip("/")).name
        if not model_name:
            raise ui.CliError("cannot tell the model's name from MODEL_DIR: pass --name")
        config = ModelConfig(
            name=model_name,
            uri=model_dir,
            format=model_format,
            policy=policy,
            labels=_labels(label or []),
            batching=batching,
        )
        run(
            [config],
            host=host,
            port=port,
            poll_interval=poll_interval,
            grpc_port=grpc_port or None,
        )


def main() -> None:
    """`kflow serve ...` as a program of its own, without the rest of the CLI."""
    import sys

    app = typer.Typer(
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    register(app)
    app(args=sys.argv[2:], prog_name="kflow serve")
