"""Where the client finds the server: explicit arguments, the environment, or `kflow up`.

`kflow up` writes `<KFLOW_HOME>/server.json` (`{"url": ..., "pid": ..., "token": ...}`)
so that the CLI and the SDK reach the server it started without any flags. The
environment (`KFLOW_URL`, `KFLOW_TOKEN`) wins over that file, and explicit arguments
win over both, so tests and scripts can point anywhere.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

ENV_URL = "KFLOW_URL"
ENV_TOKEN = "KFLOW_TOKEN"
ENV_CA = "KFLOW_CA"
ENV_HOME = "KFLOW_HOME"
SERVER_INFO = "server.json"


class ServerUnavailable(Exception):
    """No server could be found or reached; the message says what to do about it."""


@dataclasses.dataclass(frozen=True)
class ServerInfo:
    """How to reach one kflow server."""

    url: str
    token: str | None = None
    pid: int | None = None  # the process that serves it, when started by `kflow up`
    ca: str | None = None  # the CA file that signed its TLS certificate (`kflow up` makes one)


def kflow_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: `home`, else `$KFLOW_HOME`, else `~/.kflow`."""
    if home is not None:
        return Path(home).expanduser()
    env = os.environ.get(ENV_HOME)
    return Path(env).expanduser() if env else Path.home() / ".kflow"


def read_server_info(home: str | os.PathLike[str] | None = None) -> ServerInfo | None:
    """The `server.json` that `kflow up` wrote, or None when there is none."""
    path = kflow_home(home) / SERVER_INFO
    try:
        data: Any = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ServerUnavailable(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise ServerUnavailable(f'{path} has no "url": restart the server with `kflow up`')
    token = data.get("token")
    pid = data.get("pid")
    ca = data.get("ca")
    return ServerInfo(
        url=data["url"],
        token=token if isinstance(token, str) else None,
        pid=pid if isinstance(pid, int) else None,
        ca=ca if isinstance(ca, str) else None,
    )


def resolve_server(
    url: str | None = None,
    token: str | None = None,
    home: str | os.PathLike[str] | None = None,
    ca: str | None = None,
) -> ServerInfo:
    """The server to talk to; ServerUnavailable when nothing names one."""
    url = url or os.environ.get(ENV_URL) or None
    token = token or os.environ.get(ENV_TOKEN) or None
    if url:
        return ServerInfo(url=url.rstrip("/"), token=token, ca=ca or os.environ.get(ENV_CA) or None)
    info = read_server_info(home)
    if info is None:
        raise ServerUnavailable(
            f"no kflow server found: start one with `kflow up`, or set {ENV_URL} "
            f"(looked for {kflow_home(home) / SERVER_INFO})"
        )
    return ServerInfo(url=info.url.rstrip("/"), token=token or info.token, pid=info.pid, ca=info.ca)
