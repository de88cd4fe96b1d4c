"""One KFP API call as the handlers see it: its path parameters, query, body and caller.

Handlers are plain async functions of a `Call`; they return the response object
(an empty dict for calls KFP answers with `google.protobuf.Empty`). `Route` ties a
method and a path template (`/runs/{run_id}:archive`) to a handler; ids never hold
`/` or `:`, so the custom verbs after `:` parse as KFP's gateway parses them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request

from kflow.api.kfp import listing
from kflow.api.kfp.errors import InvalidArgument, PermissionDenied
from kflow.server.context import ServerContext
from kflow.server.identity import Identity
from kflow.server.kfp.platform import KfpPlatform

RBAC_GROUP = "pipelines.kubeflow.org"
"""KFP authorizes its calls as verbs on resources of this group (`runs`, `experiments`, ...)."""


@dataclasses.dataclass
class Call:
    """A request to the KFP API, with the services that answer it."""

    request: Request
    params: dict[str, str]
    platform: KfpPlatform
    identity: Identity
    ctx: ServerContext

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def flag(self, name: str) -> bool:
        return self.query(name).lower() in ("true", "1")

    async def body(self) -> dict[str, Any]:
        raw = await self.request.body()
        if not raw.strip():
            return {}
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidArgument(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise InvalidArgument("the request body must be a JSON object")
        return body

    def allow(self, verb: str, resource: str, namespace: str = "", name: str = "") -> None:
        """PermissionDenied unless the caller may `verb` the KFP `resource`."""
        qualified = f"{resource}.{RBAC_GROUP}"
        if not self.ctx.authorizer.authorize(self.identity, verb, qualified, namespace, name):
            raise PermissionDenied(
                f'User "{self.identity.user}" cannot {verb} resource "{resource}" in API group '
                f'"{RBAC_GROUP}" in namespace "{namespace}"'
            )


Handler = Callable[[Call], Awaitable[Any]]


@dataclasses.dataclass(frozen=True)
class Route:
    """A method and path template under `/apis/v2beta1`, and its handler."""

    method: str
    template: str
    handler: Handler
    upload: bool = False  # errors in the upload handlers' shape
    public: bool = False  # answered without authentication (healthz)

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/:]+)", self.template)
        return re.compile(f"^{regex}$")


def list_response(page: listing.Page, key: str, render: Any) -> dict[str, Any]:
    """A List*Response as the gateway writes it (empty fields left out)."""
    out: dict[str, Any] = {}
    if page.items:
        out[key] = [render(item) for item in page.items]
    if page.total_size:
        out["total_size"] = page.total_size
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return out


def list_query(call: Call) -> dict[str, Any]:
    return {
        "page_token": call.query("page_token"),
        "page_size": call.query("page_size") or 0,
        "sort_by": call.query("sort_by"),
        "filter": call.query("filter"),
    }


def allow_list_by_experiment(call: Call, resource: str) -> tuple[str, str]:
    """Authorize listing `resource` filtered by experiment or namespace; both filters back.

    KFP authorizes a list by experiment in that experiment's namespace, whatever
    namespace the query names; without an experiment, in the queried namespace.
    """
    experiment_id = call.query("experiment_id")
    namespace = call.query("namespace")
    scope = (
        call.platform.experiments.get(experiment_id)["namespace"] if experiment_id else namespace
    )
    call.allow("list", resource, scope)
    return experiment_id, namespace
