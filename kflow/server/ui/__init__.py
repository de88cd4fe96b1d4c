"""kflow's web UI: server-rendered pages with a JSON twin for everything they do.

Pages are Jinja2 templates and plain JavaScript shipped in this package (`templates/`,
`static/`), so nothing is built to install or run kflow. Today: the MNIST page
(`mnist.py`) and the sign-in it needs when the server asks for a token (`login.py`).
`install` adds their routes to the kflow app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from kflow.server.context import ServerContext
from kflow.server.sessions import SessionAuthenticator
from kflow.server.ui import login, mnist, pages
from kflow.server.ui.mnist import mnist_page_url

__all__ = ["install", "mnist_page_url"]

Endpoint = Callable[[Request], Awaitable[Response]]


def install(
    app: FastAPI,
    ctx: ServerContext,
    authenticator: SessionAuthenticator,
    guarded: Callable[[Endpoint], Endpoint],
    serving_transport: httpx.AsyncBaseTransport | None,
) -> None:
    """Add the UI's routes to `app`; `guarded` turns errors into `Status` bodies."""
    routes = mnist.Routes(ctx, app, serving_transport)

    def add(path: str, methods: list[str], endpoint: Endpoint) -> None:
        app.add_route(path, guarded(endpoint), methods=methods, include_in_schema=False)

    async def login_page(request: Request) -> Response:
        return await login.login_page(authenticator, request)

    async def sign_in(request: Request) -> Response:
        return await login.login(authenticator, request)

    async def sign_out(request: Request) -> Response:
        return await login.logout(authenticator, request)

    async def mnist_page(request: Request) -> Response:
        return await mnist.page(ctx, request)

    add("/ui/login", ["GET"], login_page)
    add("/ui/login", ["POST"], sign_in)
    add("/ui/logout", ["POST"], sign_out)
    add(mnist.PATH, ["GET"], mnist_page)
    add(f"{mnist.PATH}.json", ["GET"], routes.state)
    add(f"{mnist.PATH}/predict", ["POST"], routes.predict)
    app.mount(
        pages.STATIC_PREFIX,
        StaticFiles(packages=[("kflow.server.ui", "static")]),
        name="ui-static",
    )
