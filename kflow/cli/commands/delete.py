"""`kflow delete`: delete objects by name or by manifest, waiting until they are gone."""

from __future__ import annotations

import enum
import sys
from typing import Annotated

import typer

from kflow.api.errors import ApiError, NotFound
from kflow.cli import manifests, ui
from kflow.sdk import Client, Propagation, Resource, WaitTimeout, parse_duration

HELP = """Delete objects by name, or those a manifest describes, like `kubectl delete`.

By default the command waits until each object is really gone (its finalizers and, with --cascade foreground, its dependents done); --no-wait returns at once.

Examples:
  kflow delete pod web
  kflow delete tfjob/mnist --cascade foreground
  kflow delete -f manifests/
"""


class Cascade(str, enum.Enum):
    """What happens to the objects the deleted one owns."""

    background = "background"  # delete it now; the garbage collector removes dependents
    foreground = "foreground"  # delete dependents first, then it
    orphan = "orphan"  # keep dependents, without their owner


PROPAGATION: dict[Cascade, Propagation] = {
    Cascade.background: "Background",
    Cascade.foreground: "Foreground",
    Cascade.orphan: "Orphan",
}


def _targets(
    client: Client, args: list[str], filename: list[str], namespace: str | None
) -> list[tuple[Resource, str, str | None]]:
    if args and filename:
        raise ui.CliError("name objects either as KIND NAME... or with -f, not both")
    if filename:
        out = []
        for m in manifests.read(filename, sys.stdin):
            ns = (m.body.get("metadata") or {}).get("namespace") or namespace
            out.append((client.resource_for(m.body), m.name, ns))
        return out
    return [(client.resource(kind), name, namespace) for kind, name in ui.targets(args)]


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def delete(
        ctx: typer.Context,
        args: Annotated[
            list[str] | None,
            typer.Argument(
                metavar="TARGET", help="KIND NAME... or KIND/NAME....", show_default=False
            ),
        ] = None,
        filename: Annotated[
            list[str] | None,
            typer.Option(
                "--filename",
                "-f",
                help="Delete the objects in these manifests.",
                show_default=False,
            ),
        ] = None,
        namespace: ui.NamespaceOption = None,
        cascade: Annotated[
            Cascade, typer.Option(help="What happens to the objects this one owns.")
        ] = Cascade.background,
        wait: Annotated[
            bool, typer.Option("--wait/--no-wait", help="Wait until the objects are gone.")
        ] = True,
        timeout: Annotated[
            str, typer.Option(help="How long to wait for each deletion, e.g. 60s or 5m.")
        ] = "120s",
        ignore_not_found: Annotated[
            bool, typer.Option("--ignore-not-found", help="Treat a missing object as deleted.")
        ] = False,
    ) -> None:
        try:
            seconds = parse_duration(timeout)
        except ValueError as exc:
            raise ui.CliError(f"--timeout: {exc}") from None
        client = ui.client(ctx, namespace)
        ok = True
        deleted: list[tuple[Resource, str, str | None]] = []
        for res, name, ns in _targets(client, list(args or []), list(filename or []), namespace):
            try:
                client.delete(res, name, namespace=ns, propagation=PROPAGATION[cascade])
            except NotFound as exc:
                if not ignore_not_found:
                    ui.server_error_line(exc)
                    ok = False
                continue
            except ApiError as exc:
                ui.server_error_line(exc)
                ok = False
                continue
            deleted.append((res, name, ns))
            typer.echo(f'{res.display} "{name}" deleted')
        for res, name, ns in deleted if wait else []:
            try:
                with ui.waiting(f"waiting for {res.display}/{name} to be deleted"):
                    client.wait_for(res, name, "delete", namespace=ns, timeout=seconds)
            except WaitTimeout as exc:
                ui.error_line(str(exc))
                ok = False
        if not ok:
            raise typer.Exit(1)
