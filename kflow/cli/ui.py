"""How the CLI talks to a person: one-line errors on stderr, spinners, and the client.

Every command runs inside :func:`handles_errors`, so a bad file, a server `Status`, an
unreachable server or a timeout ends as one readable line and exit code 1 — never a
traceback. Data (tables, YAML) goes to stdout unformatted so it pipes cleanly; only
messages on stderr use Rich.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from kflow.api.errors import ApiError
from kflow.cli.manifests import ManifestError
from kflow.sdk import Client, ServerUnavailable, WaitTimeout

P = ParamSpec("P")
R = TypeVar("R")

stderr = Console(stderr=True, soft_wrap=True, highlight=False)


class CliError(Exception):
    """A user error whose message is ready to print."""


def error_line(message: str) -> None:
    """Print one `error: ...` line on stderr."""
    stderr.print(f"[bold red]error:[/] {escape(message)}")


def server_error_line(exc: ApiError, prefix: str = "") -> None:
    """Print a server error the way kubectl does: `Error from server (NotFound): ...`."""
    where = f"{escape(prefix)}: " if prefix else ""
    stderr.print(
        f"[bold red]Error from server ({escape(exc.reason)}):[/] {where}{escape(exc.message)}"
    )


def note(message: str) -> None:
    """An informational line on stderr (`No resources found ...`)."""
    stderr.print(escape(message))


def fail(message: str) -> NoReturn:
    error_line(message)
    raise typer.Exit(1)


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn every expected failure of a command into one line on stderr and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ApiError as exc:
            server_error_line(exc)
        except ManifestError as exc:
            for problem in exc.problems:
                error_line(problem)
        except (CliError, ServerUnavailable, WaitTimeout) as exc:
            error_line(str(exc))
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        raise typer.Exit(1)

    return wrapper


@contextlib.contextmanager
def waiting(message: str) -> Iterator[None]:
    """A spinner on stderr while something waits (silent when stderr is not a terminal)."""
    if not stderr.is_terminal:
        yield
        return
    with stderr.status(escape(message)):
        yield


def client(ctx: typer.Context, namespace: str | None = None) -> Client:
    """A client for the server the global options (or the environment) name."""
    options: dict[str, Any] = ctx.find_root().obj or {}
    made = Client(
        url=options.get("server"),
        token=options.get("token"),
        namespace=namespace or "default",
    )
    ctx.call_on_close(made.close)
    return made


def split_ref(text: str) -> tuple[str, str]:
    """`pod/web` -> ("pod", "web"); CliError when it is not KIND/NAME."""
    kind, sep, name = text.partition("/")
    if not sep or not kind or not name:
        raise CliError(f'"{text}": expected KIND/NAME, as in pod/web')
    return kind, name


def targets(args: list[str]) -> list[tuple[str, str]]:
    """`pod/a pod/b` or `pod a b` as (kind, name) pairs, as kubectl accepts them."""
    if not args:
        raise CliError("name what to act on: KIND NAME..., or KIND/NAME...")
    if "/" in args[0]:
        return [split_ref(a) for a in args]
    kind, names = args[0], args[1:]
    if not names:
        raise CliError(f"name the {kind} to act on: {kind} NAME, or {kind}/NAME")
    for name in names:
        if "/" in name:
            raise CliError(
                f'"{name}": there is no need to give the kind twice: use {kind} NAME or KIND/NAME'
            )
    return [(kind, n) for n in names]


NamespaceOption = Annotated[
    str | None,
    typer.Option(
        "--namespace", "-n", help="Namespace to use (default: default).", show_default=False
    ),
]
