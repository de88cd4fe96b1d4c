"""Browsers sign in with the bearer token once and carry an HttpOnly session cookie."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.requests import Request

from kflow.api.errors import Forbidden
from kflow.server.app import create_app
from kflow.server.identity import Identity, TokenAuthenticator
from kflow.server.sessions import COOKIE, LIFETIME_SECONDS, Sessions, check_same_origin
from kflow.server.ui import mnist_page_url
from kflow.server.ui.login import safe_next
from kflow.store.memory import MemoryStore
from tests.support import create_namespace

TOKEN = "tok-3f9a1c77e5d24b0b9a0e-secret"
ADMIN = Identity("alice", ("system:masters",))

Check = Callable[[httpx.AsyncClient], Awaitable[None]]


def _run(check: Check, base_url: str = "http://kflow") -> None:
    store = MemoryStore()
    create_namespace(store, "default")
    app = create_app(store=store, authenticator=TokenAuthenticator({TOKEN: ADMIN}))

    async def go() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            await check(http)

    asyncio.run(go())


async def _sign_in(http: httpx.AsyncClient, next_path: str = "/ui/mnist") -> dict[str, str]:
    """The Cookie header of a fresh session (the client itself keeps no cookies)."""
    answer = await http.post("/ui/login", data={"token": TOKEN, "next": next_path})
    assert answer.status_code == 303, answer.text
    http.cookies.clear()
    return {"cookie": f"{COOKIE}={answer.cookies[COOKIE]}"}


def test_a_page_without_credentials_sends_the_browser_to_sign_in() -> None:
    async def check(http: httpx.AsyncClient) -> None:
        page = await http.get("/ui/mnist?server=default/mnist")
        assert page.status_code == 303
        assert page.headers["location"] == "/ui/login?next=%2Fui%2Fmnist%3Fserver%3Ddefault%2Fmnist"
        form = await http.get(page.headers["location"])
        assert form.status_code == 200 and 'name="token"' in form.text
        assert 'value="/ui/mnist?server=default/mnist"' in form.text
        twin = await http.get("/ui/mnist.json")
        assert twin.status_code == 401 and twin.json()["kind"] == "Status"

    _run(check)


def test_a_wrong_or_missing_token_is_refused_on_the_form() -> None:
    async def check(http: httpx.AsyncClient) -> None:
        wrong = await http.post("/ui/login", data={"token": "nope"})
        assert wrong.status_code == 401 and "not valid for this server" in wrong.text
        assert COOKIE not in wrong.cookies
        missing = await http.post("/ui/login", data={"token": " "})
        assert missing.status_code == 401 and "token: Required value" in missing.text
        as_json = await http.post("/ui/login", json={"token": "nope"})
        assert as_json.status_code == 401 and as_json.json()["reason"] == "Unauthorized"

    _run(check)


def test_the_session_cookie_is_httponly_strict_and_secure_over_https() -> None:
    async def check(http: httpx.AsyncClient) -> None:
        answer = await http.post("/ui/login", data={"token": TOKEN, "next": "/ui/mnist?a=1"})
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/mnist?a=1"
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        assert f"max-age={LIFETIME_SECONDS}" in cookie and "secure" in cookie
        session_id = answer.cookies[COOKIE]
        assert TOKEN not in answer.headers["set-cookie"] and TOKEN not in session_id
        http.cookies.clear()
        session = {"cookie": f"{COOKIE}={session_id}"}

        page = await http.get("/ui/mnist", headers=session)
        assert page.status_code == 200 and "alice" in page.text and "Sign out" in page.text
        assert TOKEN not in page.text and session_id not in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        # the cookie is a credential for every route, like the token it stands for
        listing = await http.get("/api/v1/namespaces", headers=session)
        assert listing.status_code == 200

    _run(check, base_url="https://kflow")


def test_cross_site_requests_with_the_cookie_are_refused() -> None:
    async def check(http: httpx.AsyncClient) -> None:
        session = await _sign_in(http)
        body = {"server": "default/mnist", "pixels": [0.0] * 64}
        for headers in ({"origin": "http://evil.example"}, {"sec-fetch-site": "cross-site"}):
            refused = await http.post(
                "/ui/mnist/predict", json=body, headers={**session, **headers}
            )
            assert refused.status_code == 403, headers
            assert "cross-origin request refused" in refused.json()["message"]
        # the page's own requests pass (and here meet the missing InferenceService)
        for headers in ({"origin": "http://kflow"}, {"sec-fetch-site": "same-origin"}, {}):
            own = await http.post("/ui/mnist/predict", json=body, headers={**session, **headers})
            assert own.status_code == 404, (headers, own.text)
        # reading is not state-changing: a cross-site GET is left to CORS, as for any API
        read = await http.get("/ui/mnist.json", headers={**session, "sec-fetch-site": "cross-site"})
        assert read.status_code == 200

    _run(check)


def test_a_bearer_token_wins_over_the_cookie_and_sign_out_ends_the_session() -> None:
    async def check(http: httpx.AsyncClient) -> None:
        session = await _sign_in(http)
        wrong = await http.get(
            "/ui/mnist.json", headers={**session, "authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
        out = await http.post("/ui/logout", headers=session)
        assert out.status_code == 303 and out.headers["location"] == "/ui/login"
        assert f'{COOKIE}=""' in out.headers["set-cookie"]
        after = await http.get("/ui/mnist.json", headers=session)
        assert after.status_code == 401

    _run(check)


def test_sign_in_goes_on_only_to_paths_on_this_server() -> None:
    assert safe_next("/ui/mnist?server=a/b") == "/ui/mnist?server=a/b"
    for outside in ("//evil.example/x", "https://evil.example", "/\\evil.example", "", None):
        assert safe_next(outside) == "/ui/mnist"

    async def check(http: httpx.AsyncClient) -> None:
        answer = await http.post("/ui/login", data={"token": TOKEN, "next": "//evil.example"})
        assert answer.headers["location"] == "/ui/mnist"

    _run(check)


def test_the_demo_link_carries_the_token_only_in_its_fragment() -> None:
    url = mnist_page_url("https://127.0.0.1:8443/", "team", "digits", token=TOKEN)
    parts = urlsplit(url)
    assert parts.path == "/ui/login" and TOKEN not in parts.query
    assert parts.fragment == f"token={TOKEN}"
    assert parts.query == "next=%2Fui%2Fmnist%3Fserver%3Dteam%252Fdigits%26model%3Ddigits"
    plain = mnist_page_url("https://127.0.0.1:8443", "team", "digits", model="mnist")
    assert plain == "https://127.0.0.1:8443/ui/mnist?server=team%2Fdigits&model=mnist"


def test_sessions_expire_and_are_bounded() -> None:
    now = [1000.0]
    sessions = Sessions(clock=lambda: now[0])
    first = sessions.open(ADMIN)
    assert sessions.identity(first) == ADMIN
    now[0] += LIFETIME_SECONDS
    assert sessions.identity(first) is None
    assert sessions.identity("never-issued") is None


def test_the_origin_check_follows_the_browser_signals() -> None:
    def conn(method: str, **headers: str) -> Request:
        sent = {"host": "kflow:8443", **headers}
        raw = [(k.encode(), v.encode()) for k, v in sent.items()]
        return Request({"type": "http", "method": method, "headers": raw})

    check_same_origin(conn("GET", origin="http://elsewhere"))
    check_same_origin(conn("POST", origin="https://kflow:8443"))
    check_same_origin(conn("POST", **{"sec-fetch-site": "none"}))
    with pytest.raises(Forbidden):
        check_same_origin(conn("POST", **{"sec-fetch-site": "same-site"}))
    with pytest.raises(Forbidden):
        check_same_origin(conn("DELETE", origin="https://kflow:9999"))
