"""The `kflow` command: Typer app, global options, and the entry point.

Commands live one module each in `kflow.cli.commands` and register themselves here.
Everything they need from the server goes through `kflow.sdk.Client`, so the CLI
holds no protocol knowledge of its own: it parses arguments and prints.
"""

from __future__ import annotations

from typing import Annotated

import typer

from kflow.cli.commands import (
    apply,
    delete,
    demo,
    describe,
    get,
    lineage,
    logs,
    predict,
    resume,
    retry,
    run,
    serve,
    server,
    wait,
)

HELP = """kflow runs Kubeflow's workloads - the same YAML, the same clients - on one machine.

Start the server with `kflow up`, then use the commands below (or kubectl, with `kflow kubeconfig`). The server is found through --server, $KFLOW_URL, or the server.json that `kflow up` writes in $KFLOW_HOME (default ~/.kflow)."""

app = typer.Typer(
    name="kflow",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            "-s",
            help="URL of the kflow server (default: $KFLOW_URL, then server.json).",
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="Bearer token for the server (default: $KFLOW_TOKEN, then server.json).",
            show_default=False,
        ),
    ] = None,
) -> None:
    ctx.obj = {"server": server, "token": token}


for module in (
    server,
    demo,
    apply,
    get,
    describe,
    lineage,
    logs,
    resume,
    retry,
    delete,
    wait,
    run,
    serve,
    predict,
):
    module.register(app)


def main() -> None:
    """Entry point of the `kflow` console script."""
    app(prog_name="kflow")


if __name__ == "__main__":
    main()
