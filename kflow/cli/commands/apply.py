"""`kflow apply -f`: create or update objects from manifests, as `kubectl apply` does."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kflow.api.errors import ApiError, Invalid
from kflow.cli import manifests, ui
from kflow.cli.manifests import Manifest
from kflow.sdk import Client

HELP = """Create or update objects from YAML or JSON manifests, like `kubectl apply`.

Each -f names a file, a directory (its *.yaml, *.yml and *.json files, in name order) or - for stdin; files may hold several documents separated by ---. Objects that exist are patched so they match the manifest, and fields removed from the manifest since the last apply are removed from the object.

Every problem is reported with the file and document it is in; nothing is applied while any manifest cannot be read.

Examples:
  kflow apply -f tfjob.yaml
  kflow apply -f manifests/ -n team-a
  cat pod.yaml | kflow apply -f -
"""


def report(manifest: Manifest, exc: ApiError, ref: str) -> None:
    """A server rejection of one manifest, one line per invalid field."""
    where = f"{manifest.where} ({ref})" if ref else manifest.where
    if isinstance(exc, Invalid) and exc.causes:
        for cause in exc.causes:
            ui.error_line(f"{where}: {cause}")
    else:
        ui.server_error_line(exc, where)


def namespace_for(manifest: Manifest, namespace: str | None) -> str | None:
    """The namespace to apply into; CliError when the manifest names a different one."""
    own = (manifest.body.get("metadata") or {}).get("namespace")
    if own and namespace and own != namespace:
        raise ui.CliError(
            f'{manifest.where}: the namespace from the provided object "{own}" does not match '
            f'the namespace "{namespace}": drop -n, or change metadata.namespace'
        )
    return str(own or namespace or "default")


def apply_one(client: Client, manifest: Manifest, namespace: str | None) -> bool:
    ref = f"{str(manifest.body.get('kind', '')).lower()}/{manifest.name}"
    try:
        ns = namespace_for(manifest, namespace)
        res = client.resource_for(manifest.body)
        ref = f"{res.display}/{manifest.name}"
        applied = client.apply(manifest.body, namespace=ns)
    except ui.CliError as exc:
        ui.error_line(str(exc))
        return False
    except ApiError as exc:
        report(manifest, exc, ref)
        return False
    typer.echo(f"{applied.ref} {applied.result.value}")
    return True


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def apply(
        ctx: typer.Context,
        filename: Annotated[
            list[str],
            typer.Option(
                "--filename",
                "-f",
                help="File, directory or - (stdin) to apply; may be repeated.",
                show_default=False,
            ),
        ],
        namespace: ui.NamespaceOption = None,
    ) -> None:
        found = manifests.read(filename, sys.stdin)
        client = ui.client(ctx, namespace)
        results = [apply_one(client, m, namespace) for m in found]
        if not all(results):
            raise typer.Exit(1)
