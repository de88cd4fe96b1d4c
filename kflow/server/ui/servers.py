"""The page's "server address": an InferenceService behind kflow's gateway, or a URL.

An InferenceService (`namespace/name`, a bare `name` in `default`, or the URL
`kubectl get isvc` shows for it) is reached through this server's own gateway, in
process: the request carries the caller's credentials, so the gateway authorizes it
as it would any client's (`get` on the InferenceService) and nothing is trusted
because it came from the UI. Any other URL is a model server the kflow server itself
connects to on the caller's behalf, which would let whoever can open the page probe
whatever the server can reach; so it is allowed only to callers who may proxy to
arbitrary addresses in Kubernetes terms (`create` on `nodes/proxy`: cluster admins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.types import ASGIApp

from kflow.api.errors import Invalid
from kflow.server.context import ServerContext
from kflow.server.identity import Identity, forbidden
from kflow.server.ui.model_client import Send

DEFAULT_NAMESPACE = "default"
PROXY_RESOURCE = "nodes/proxy"
"""What a direct model-server URL needs, as Kubernetes asks for proxying to any address."""
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
FORWARDED_CREDENTIALS = ("authorization", "cookie")
"""The caller's own credentials, passed to the in-process gateway (which drops them)."""
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_GATEWAY_PATH = re.compile(r"^/serving/([^/]+)/([^/]+)/?$")


@dataclass(frozen=True)
class ServerAddress:
    """Where the model is: exactly one of an InferenceService or a URL."""

    namespace: str = ""
    name: str = ""
    url: str = ""

    @property
    def default_model(self) -> str:
        """An InferenceService's model is named after it."""
        return self.name

    def __str__(self) -> str:
        return self.url or f"{self.namespace}/{self.name}"


def parse_address(text: str, own_host: str) -> ServerAddress:
    """Read the address field; a URL of this server's gateway names its InferenceService."""
    text = text.strip()
    if not text:
        raise _invalid(text, "Required value")
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _invalid(text, "a URL must be http:// or https:// with a host")
        routed = _GATEWAY_PATH.match(parts.path)
        if routed and parts.netloc.lower() == own_host.lower():
            namespace, name = routed.group(1), routed.group(2)
            return _service(namespace, name, text)
        return ServerAddress(url=text.rstrip("/"))
    namespace, _, name = text.rpartition("/")
    return _service(namespace or DEFAULT_NAMESPACE, name, text)


def _service(namespace: str, name: str, text: str) -> ServerAddress:
    for part in (namespace, name):
        if len(part) > 63 or not _LABEL.match(part):
            raise _invalid(
                text,
                "an InferenceService is namespace/name (lowercase letters, digits and '-'), "
                "or give a model server URL (http://host:port)",
            )
    return ServerAddress(namespace=namespace, name=name)


def _invalid(text: str, why: str) -> Invalid:
    return Invalid(f'server: Invalid value: "{text}": {why}')


def sender(
    ctx: ServerContext,
    app: ASGIApp,
    request: Request,
    identity: Identity,
    address: ServerAddress,
    transport: httpx.AsyncBaseTransport | None,
) -> Send:
    """How requests for `address` leave, on behalf of `request`'s caller."""
    if address.url:
        if not ctx.authorizer.authorize(identity, "create", PROXY_RESOURCE, "", ""):
            raise forbidden(identity, "create", PROXY_RESOURCE, "", "")
        return _over(transport, address.url, {})
    credentials = {k: v for k, v in request.headers.items() if k in FORWARDED_CREDENTIALS}
    base = (
        f"http://{request.headers.get('host', 'kflow')}/serving/{address.namespace}/{address.name}"
    )
    return _over(httpx.ASGITransport(app=app), base, credentials)


def _over(transport: httpx.AsyncBaseTransport | None, base: str, headers: dict[str, str]) -> Send:
    async def send(method: str, path: str, body: Any) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=transport, timeout=TIMEOUT, headers=headers
        ) as client:
            return await client.request(method, base + path, json=body)

    return send
