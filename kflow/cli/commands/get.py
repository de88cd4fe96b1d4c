"""`kflow get`: list objects as tables (from the server), YAML, JSON or names; `-w` watches."""

from __future__ import annotations

import dataclasses
import sys
from typing import Annotated, Any

import typer

from kflow.api.errors import NotFound
from kflow.cli import printers, ui
from kflow.cli.describe_run import artifact_rows
from kflow.sdk import Client, Resource
from kflow.sdk.runs import run_artifacts

Obj = dict[str, Any]

HELP = """List objects of a kind, like `kubectl get`.

KIND is any name kubectl accepts: `pods`, `pod`, `po`, `tfjobs`, `tfjobs.kubeflow.org`. Several kinds may be joined with commas (`pods,services`); objects may be named as KIND NAME... or KIND/NAME....

`kflow get artifacts --run RUN` lists what a run produced (a workflow name or a KFP run id): each artifact's task, type, size, digest and URI; `-o json` adds metadata and producers.

Examples:
  kflow get pods
  kflow get tfjobs -A
  kflow get pod web -o yaml
  kflow get pods -l app=web -w
  kflow get artifacts --run train-x7k2p
"""

ARTIFACT_KINDS = ("artifacts", "artifact")


def _print_artifacts(client: Client, run: str | None, namespace: str, output: str | None) -> None:
    if not run:
        raise ui.CliError("artifacts: name the run with --run RUN (a workflow name or KFP run id)")
    if output not in (None, "json", "yaml", "wide"):
        raise ui.CliError(f'--output: "{output}" is not allowed for artifacts (json, yaml)')
    items = run_artifacts(client, run, namespace=namespace)
    if output in ("json", "yaml"):
        typer.echo(printers.dump(printers.as_list(items), output).rstrip("\n"))
    elif items:
        typer.echo("\n".join(artifact_rows(items)))
    else:
        ui.note(f"No artifacts in run {run}.")


def _plan(client: Client, kind: str, names: list[str]) -> list[tuple[Resource, list[str]]]:
    if "/" in kind:
        pairs = ui.targets([kind, *names])
        plan: list[tuple[Resource, list[str]]] = []
        for k, n in pairs:
            res = client.resource(k)
            if plan and plan[-1][0] == res:
                plan[-1][1].append(n)
            else:
                plan.append((res, [n]))
        return plan
    kinds = [k for k in kind.split(",") if k]
    if len(kinds) > 1 and names:
        raise ui.CliError("name objects as KIND/NAME when asking for several kinds")
    return [(client.resource(k), list(names)) for k in kinds]


def _no_resources(res: Resource, namespace: str, all_namespaces: bool) -> None:
    if res.namespaced and not all_namespaces:
        ui.note(f"No resources found in {namespace} namespace.")
    else:
        ui.note("No resources found")


def _watch(
    client: Client,
    res: Resource,
    names: list[str],
    output: str | None,
    namespace: str,
    all_namespaces: bool,
    selector: str | None,
    field_selector: str | None,
) -> None:
    if len(names) > 1:
        raise ui.CliError(
            "watch is only supported on individual resources and resource collections"
        )
    name = names[0] if names else None
    tabular = output in (None, "wide")
    printer = printers.TablePrinter(
        wide=output == "wide", namespace_column=all_namespaces and res.namespaced
    )
    events = client.watch(
        res,
        name,
        namespace=namespace,
        all_namespaces=all_namespaces,
        labels=selector,
        fields=field_selector,
        as_table=tabular,
    )
    for event in events:
        if tabular:
            lines = printer.lines(event.object)
            if lines:
                typer.echo("\n".join(lines))
        elif output == "name":
            typer.echo(printers.object_name(res, event.object))
        else:
            text = printers.dump(event.object, str(output))
            typer.echo(("---\n" + text if output == "yaml" else text).rstrip("\n"))
        sys.stdout.flush()


@dataclasses.dataclass(frozen=True)
class _Query:
    """Where and what to list: shared by every kind of one `get`."""

    client: Client
    namespace: str
    all_namespaces: bool
    labels: str | None
    fields: str | None

    def table(self, res: Resource, name: str | None = None) -> Obj:
        return self.client.table(
            res,
            name,
            namespace=self.namespace,
            all_namespaces=self.all_namespaces,
            labels=self.labels,
            fields=self.fields,
        )

    def objects(self, res: Resource) -> list[Obj]:
        return self.client.list(
            res,
            namespace=self.namespace,
            all_namespaces=self.all_namespaces,
            labels=self.labels,
            fields=self.fields,
        ).items


def _print_tables(
    query: _Query, plan: list[tuple[Resource, list[str]]], *, wide: bool, headers: bool
) -> bool:
    """Print one table per kind; False when a named object was missing."""
    ok, printed = True, False
    many_kinds = len(plan) > 1
    for res, names in plan:
        tables: list[Obj] = []
        for name in names:
            try:
                tables.append(query.table(res, name))
            except NotFound as exc:
                ui.server_error_line(exc)
                ok = False
        if not names:
            tables.append(query.table(res))
        rows = [r for t in tables for r in t.get("rows") or []]
        if not rows:
            continue
        printer = printers.TablePrinter(
            wide=wide,
            namespace_column=query.all_namespaces and res.namespaced,
            name_prefix=f"{res.display}/" if many_kinds else "",
        )
        if printed:
            typer.echo("")
        typer.echo("\n".join(printer.lines({**tables[0], "rows": rows}, headers=headers)))
        printed = True
    if not printed and ok:
        _no_resources(plan[0][0], query.namespace, query.all_namespaces)
    return ok


def _print_objects(query: _Query, plan: list[tuple[Resource, list[str]]], output: str) -> bool:
    """Print objects as names, YAML, JSON or JSONPath; False when one was missing."""
    ok = True
    found: list[tuple[Resource, Obj]] = []
    for res, names in plan:
        for name in names:
            try:
                found.append((res, query.client.get(res, name, namespace=query.namespace)))
            except NotFound as exc:
                ui.server_error_line(exc)
                ok = False
        if not names:
            found.extend((res, o) for o in query.objects(res))
    if output == "name":
        for res, obj in found:
            typer.echo(printers.object_name(res, obj))
        if not found and ok:
            _no_resources(plan[0][0], query.namespace, query.all_namespaces)
        return ok
    if not found and not ok:
        return ok
    single = len(plan) == 1 and len(plan[0][1]) == 1 and len(found) == 1
    body = found[0][1] if single else printers.as_list([o for _, o in found])
    typer.echo(printers.dump(body, output).rstrip("\n"))
    return ok


def register(app: typer.Typer) -> None:
    @app.command(help=HELP)
    @ui.handles_errors
    def get(
        ctx: typer.Context,
        kind: Annotated[
            str,
            typer.Argument(
                metavar="KIND", help="Kind to list (pods, po, tfjobs, ...) or KIND/NAME."
            ),
        ],
        names: Annotated[
            list[str] | None,
            typer.Argument(
                metavar="NAME", help="Names of the objects to show.", show_default=False
            ),
        ] = None,
        namespace: ui.NamespaceOption = None,
        all_namespaces: Annotated[
            bool, typer.Option("--all-namespaces", "-A", help="List across all namespaces.")
        ] = False,
        output: Annotated[
            str | None,
            typer.Option("--output", "-o", help="wide, yaml, json, name or jsonpath=TEMPLATE."),
        ] = None,
        selector: Annotated[
            str | None,
            typer.Option("--selector", "-l", help="Label selector, e.g. app=web,tier!=db."),
        ] = None,
        field_selector: Annotated[
            str | None,
            typer.Option("--field-selector", help="Field selector, e.g. status.phase=Running."),
        ] = None,
        watch: Annotated[
            bool, typer.Option("--watch", "-w", help="After listing, print changes as they happen.")
        ] = False,
        no_headers: Annotated[
            bool, typer.Option("--no-headers", help="Print table rows without the header.")
        ] = False,
        run: Annotated[
            str | None,
            typer.Option(
                "--run",
                help="With `artifacts`: the run (workflow name or KFP run id).",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        try:
            printers.check_output(output)
        except ValueError as exc:
            raise ui.CliError(str(exc)) from None
        ns = namespace or "default"
        client = ui.client(ctx, ns)
        if kind in ARTIFACT_KINDS:
            _print_artifacts(client, run, ns, output)
            return
        plan = _plan(client, kind, list(names or []))
        if watch:
            if len(plan) != 1:
                raise ui.CliError("you may only watch a single kind at a time")
            res, wanted = plan[0]
            _watch(client, res, wanted, output, ns, all_namespaces, selector, field_selector)
            return
        query = _Query(client, ns, all_namespaces, selector, field_selector)
        if output in (None, "wide"):
            ok = _print_tables(query, plan, wide=output == "wide", headers=not no_headers)
        else:
            ok = _print_objects(query, plan, output)
        if not ok:
            raise typer.Exit(1)
