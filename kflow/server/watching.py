"""Watch over HTTP: a chunked stream of newline-delimited `{"type", "object"}` events.

`GET ...?watch=true` (or the legacy `/watch/` path) opens a store watch from the
request's `resourceVersion` and streams every event as one JSON line, as the
Kubernetes API does; kubectl's `get -w` asks for Tables, so each object is then
rendered as a one-row Table. The stream ends after `timeoutSeconds`, when the client
goes away, or with an `ERROR` event carrying a `Status` (410 Expired when the
requested version is older than the kept history).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from kflow.api.errors import ApiError, BadRequest, Gone, InternalError
from kflow.api.selectors import parse_field_selector, parse_label_selector
from kflow.server.context import ServerContext, Target
from kflow.server.tabling import table_of, table_request
from kflow.store.interface import Watch

log = logging.getLogger(__name__)

NEWLINE = b"\n"


def wants_watch(request: Request, target: Target) -> bool:
    return target.watch_path or request.query_params.get("watch", "") in ("1", "true", "True")


def _timeout(request: Request) -> float | None:
    text = request.query_params.get("timeoutSeconds")
    if not text:
        return None
    try:
        seconds = int(text)
    except ValueError:
        raise BadRequest(f'invalid timeoutSeconds "{text}": must be an integer') from None
    return float(seconds) if seconds > 0 else None


def serve_watch(ctx: ServerContext, request: Request, target: Target) -> Response:
    """Open the watch now (so a bad selector is a plain 400), then stream it."""
    query = request.query_params
    labels = parse_label_selector(query.get("labelSelector"))
    fields = parse_field_selector(query.get("fieldSelector"))
    timeout = _timeout(request)
    table = table_request(request)
    try:
        watch: Watch | None = ctx.store.watch(
            target.info.resource,
            target.namespace or None,
            resource_version=query.get("resourceVersion") or None,
            labels=labels,
            fields=fields,
        )
        opening_error: ApiError | None = None
    except Gone as exc:
        # Kubernetes answers 200 and says so in the stream; clients then re-list
        watch, opening_error = None, exc
    media = "application/json"
    return StreamingResponse(
        _stream(watch, opening_error, target, timeout, table),
        media_type=media,
        headers={"cache-control": "no-cache, private", "x-content-type-options": "nosniff"},
    )


def _line(kind: str, obj: Any) -> bytes:
    return orjson.dumps({"type": kind, "object": obj}) + NEWLINE


async def _stream(
    watch: Watch | None,
    opening_error: ApiError | None,
    target: Target,
    timeout: float | None,
    table: str | None,
) -> AsyncIterator[bytes]:
    if watch is None:
        assert opening_error is not None
        yield _line("ERROR", opening_error.to_status())
        return
    deadline = None if timeout is None else time.monotonic() + timeout
    events = aiter(watch)
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            try:
                event = await asyncio.wait_for(anext(events), remaining)
            except (StopAsyncIteration, asyncio.TimeoutError):
                return
            except ApiError as exc:
                yield _line("ERROR", exc.to_status())
                return
            obj: Any = event.object
            if table is not None and event.type.value != "BOOKMARK":
                obj = table_of(target.info, [obj], table)
            yield _line(event.type.value, obj)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("watch of %s failed", target.info.resource)
        yield _line("ERROR", InternalError("the watch failed; see the server log").to_status())
    finally:
        watch.close()
        with contextlib.suppress(Exception):
            await events.aclose()  # type: ignore[attr-defined]
