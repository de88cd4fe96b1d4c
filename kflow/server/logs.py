"""`GET /api/v1/namespaces/<ns>/pods/<name>/log`: a container's output as plain text.

The pod is read from the store to pick the container the way Kubernetes does (the
only one, else the caller must name it), then the bytes come from the runtime, which
knows where the pod's processes write. With `follow=true` the response stays open and
streams new output until the container ends or the client leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from kflow.api.errors import ApiError, BadRequest
from kflow.server.context import ServerContext, Target

log = logging.getLogger(__name__)

FIRST_CHUNK_WAIT = 0.5
"""How long to wait for the first bytes, so an error still becomes an HTTP status."""


class ServiceUnavailable(ApiError):
    """The server has no runtime to ask (an API-only server)."""

    code: ClassVar[int] = 503
    reason: ClassVar[str] = "ServiceUnavailable"


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true")


def _int(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f'invalid {name} "{text}": must be an integer') from None


def choose_container(pod: dict[str, Any], requested: str) -> str:
    """The container a log request means, with Kubernetes' errors when it is unclear."""
    spec = pod.get("spec") or {}
    name = str((pod.get("metadata") or {}).get("name") or "")
    containers = [str(c.get("name")) for c in spec.get("containers") or []]
    init = [str(c.get("name")) for c in spec.get("initContainers") or []]
    if requested:
        if requested in containers or requested in init:
            return requested
        choices = " ".join(containers)
        message = f"container {requested} is not valid for pod {name}"
        if containers or init:
            message = (
                f"container {requested} is not valid for pod {name}: choose one of: [{choices}]"
            )
            if init:
                message += f" or one of the init containers: [{' '.join(init)}]"
        raise BadRequest(message)
    defaulted = ((pod.get("metadata") or {}).get("annotations") or {}).get(
        "kubectl.kubernetes.io/default-container"
    )
    if defaulted in containers:
        return str(defaulted)
    if len(containers) == 1:
        return containers[0]
    message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
    if init:
        message += f" or one of the init containers: [{' '.join(init)}]"
    raise BadRequest(message)


async def serve_logs(ctx: ServerContext, request: Request, target: Target) -> Response:
    pod = ctx.store.get(target.info.resource, target.namespace, target.name)
    container = choose_container(pod, request.query_params.get("container", ""))
    if ctx.runtime is None:
        raise ServiceUnavailable("this server has no runtime to read pod logs from")
    uid = str(pod["metadata"].get("uid") or "")
    chunks = ctx.runtime.logs(
        uid,
        container,
        previous=_flag(request, "previous"),
        tail_lines=_int(request, "tailLines"),
        follow=_flag(request, "follow"),
    )
    iterator = aiter(chunks)
    first = asyncio.ensure_future(_next(iterator))
    done, _ = await asyncio.wait({first}, timeout=FIRST_CHUNK_WAIT)
    if done and first.exception() is None and first.result() is None:
        return Response(b"", media_type="text/plain")
    if done and first.exception() is not None:
        exc = first.exception()
        if isinstance(exc, ApiError):
            raise exc
        if isinstance(exc, LookupError):
            raise BadRequest(
                f'container "{container}" in pod "{target.name}" is waiting to start: ContainerCreating'
            ) from exc
        assert exc is not None
        raise exc
    return StreamingResponse(_stream(first, iterator, target), media_type="text/plain")


async def _next(chunks: AsyncIterator[bytes]) -> bytes | None:
    """The next chunk, or None at the end (a task must not raise StopAsyncIteration)."""
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


async def _stream(
    first: asyncio.Future[bytes | None], rest: AsyncIterator[bytes], target: Target
) -> AsyncIterator[bytes]:
    try:
        head = await first
        if head is None:
            return
        yield head
        async for chunk in rest:
            yield chunk
    except asyncio.CancelledError:
        raise
    except Exception:
        # the status line is gone; all a client can still get is a truncated body
        log.exception("log stream of pod %s/%s failed", target.namespace, target.name)
    finally:
        if not first.done():
            first.cancel()
        with contextlib.suppress(Exception):
            await rest.aclose()  # type: ignore[attr-defined]
