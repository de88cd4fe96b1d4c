"""`kflow up`, `kflow kubeconfig` and `kflow version`: the server itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kflow import __version__
from kflow.api.errors import ApiError
from kflow.cli import ui
from kflow.sdk import ServerUnavailable
from kflow.sdk.config import resolve_server

UP_HELP = """Start kflow: the API server, controllers and runtime, in the foreground.

Objects are kept in a SQLite database under --home (default $KFLOW_HOME or ~/.kflow); the server writes a kubeconfig and server.json there, so `kflow`, `kubectl --kubeconfig` and the Kubernetes clients find it. Ctrl-C stops it; running pods keep running and are adopted on the next start."""

KUBECONFIG_HELP = """Print a kubeconfig for the running server (or write it with --write).

Examples:
  kflow kubeconfig --write ~/.kube/kflow.yaml
  kubectl --kubeconfig ~/.kube/kflow.yaml get pods
"""


def kubeconfig_document(url: str, token: str | None, ca: str | None) -> dict[str, Any]:
    """The kubeconfig `kflow up` writes, for a server at `url` (trusting the CA file `ca`)."""
    from kflow.controlplane import kubeconfig_document as document

    ca_pem = None
    if ca:
        try:
            ca_pem = Path(ca).read_bytes()
        except OSError as exc:
            raise ui.CliError(
                f"cannot read the server's CA certificate {ca}: {exc.strerror or exc}"
            ) from None
    return document(url, token, ca_pem)


def register(app: typer.Typer) -> None:
    @app.command(help=UP_HELP)
    @ui.handles_errors
    def up(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8372,
        home: Annotated[
            Path | None,
            typer.Option(
                help="Data directory (default: $KFLOW_HOME or ~/.kflow).", show_default=False
            ),
        ] = None,
        artifact_repository: Annotated[
            str | None,
            typer.Option(
                envvar="KFLOW_ARTIFACT_REPOSITORY",
                help="A URL (s3://, gs://, file://; needs fsspec and the protocol's package) "
                "every stored artifact and step log is also uploaded to.",
                show_default=False,
            ),
        ] = None,
        warm_launchers: Annotated[
            bool,
            typer.Option(
                help="Start pipeline tasks forked from a process with kfp already imported "
                "(--no-warm-launchers: a fresh interpreter per task)."
            ),
        ] = True,
    ) -> None:
        from kflow import controlplane  # imported here so every other command starts fast
        from kflow.artifacts import ArtifactRepositoryError, RemoteRoot

        if artifact_repository:
            try:
                RemoteRoot(artifact_repository)
            except ArtifactRepositoryError as error:
                raise ui.CliError(f"--artifact-repository: {error}") from None
        controlplane.run(
            host=host,
            port=port,
            home=home,
            artifact_repository=artifact_repository or None,
            warm_launchers=warm_launchers,
        )

    @app.command(help=KUBECONFIG_HELP)
    @ui.handles_errors
    def kubeconfig(
        ctx: typer.Context,
        write: Annotated[
            Path | None,
            typer.Option(
                help="Write the kubeconfig to this file instead of printing it.", show_default=False
            ),
        ] = None,
    ) -> None:
        options: dict[str, Any] = ctx.find_root().obj or {}
        info = resolve_server(options.get("server"), options.get("token"))
        document = kubeconfig_document(info.url, info.token, info.ca)
        text = yaml.safe_dump(document, sort_keys=False)
        if write is None:
            typer.echo(text.rstrip("\n"))
            return
        path = write.expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
        except OSError as exc:
            raise ui.CliError(f"cannot write {path}: {exc.strerror or exc}") from None
        ui.note(f"Wrote {path}: use it with `kubectl --kubeconfig {path} get pods`")

    @app.command(help="Print the kflow version, and the server's when one is running.")
    @ui.handles_errors
    def version(
        ctx: typer.Context,
        client_only: Annotated[
            bool, typer.Option("--client", help="Only the client version; do not ask the server.")
        ] = False,
    ) -> None:
        typer.echo(f"Client Version: {__version__}")
        if client_only:
            return
        try:
            server = ui.client(ctx).server_version()
        except (ServerUnavailable, ApiError):
            return  # no server to ask: the client version is the whole answer
        shown = server.get("gitVersion") or server.get("version") or "unknown"
        typer.echo(f"Server Version: {shown}")
