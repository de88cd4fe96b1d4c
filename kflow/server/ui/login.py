"""Signing a browser in and out: a token in, an HttpOnly session cookie out.

`GET /ui/login` is a form for the bearer token (the one in the kubeconfig `kflow up`
writes). A link can carry the token in its fragment (`/ui/login#token=...`): the
fragment never leaves the browser, so the token is not in any server log, and the
page's script drops it from the address bar before submitting the form. `POST
/ui/login` takes the form (or JSON `{"token": ..., "next": ...}`), asks the server's
authenticator who the token is and answers with the session cookie; `POST
/ui/logout` ends the session. When the server needs no credentials (the default
in-process app) the login page just sends the browser on.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from kflow.api.errors import BadRequest, Unauthorized
from kflow.server import sessions as s
from kflow.server.responses import JSONResponse, error_response, parse_json
from kflow.server.ui import pages

HOME = "/ui/mnist"
"""Where a login goes when it was not sent from a page."""


def safe_next(target: str | None) -> str:
    """Only a path on this server: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return HOME
    return target


def login_url(next_path: str) -> str:
    return f"/ui/login?next={quote(safe_next(next_path), safe='')}"


async def login_page(authenticator: s.SessionAuthenticator, request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    if not authenticator.needs_login():
        return RedirectResponse(target, status_code=303)
    return pages.render("login.html", next=target, error="")


async def login(authenticator: s.SessionAuthenticator, request: Request) -> Response:
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    token, target = await _credentials(request, wants_json)
    try:
        if not token:
            raise Unauthorized("token: Required value: the bearer token of your kubeconfig")
        identity = authenticator.login(token)
    except Unauthorized as exc:
        error = exc if not token else Unauthorized("that token is not valid for this server")
        if wants_json:
            return error_response(error)
        return pages.render("login.html", 401, next=target, error=error.message)
    response: Response = (
        JSONResponse({"user": identity.user, "next": target})
        if wants_json
        else RedirectResponse(target, status_code=303)
    )
    response.set_cookie(
        s.COOKIE,
        authenticator.sessions.open(identity),
        max_age=s.LIFETIME_SECONDS,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


async def logout(authenticator: s.SessionAuthenticator, request: Request) -> Response:
    session_id = request.cookies.get(s.COOKIE)
    if session_id:
        s.check_same_origin(request)  # a cross-site page may not sign the user out
        authenticator.sessions.close(session_id)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(s.COOKIE, path="/")
    return response


async def _credentials(request: Request, wants_json: bool) -> tuple[str, str]:
    """The token ("" when missing) and where to go after signing in."""
    raw = await request.body()
    if wants_json:
        body = parse_json(raw)
        if not isinstance(body, dict):
            raise BadRequest('the request body must be a JSON object: {"token": "..."}')
        token, target = body.get("token"), body.get("next")
    else:
        form = parse_qs(raw.decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0]
        target = (form.get("next") or [""])[0]
    token = token.strip() if isinstance(token, str) else ""
    return token, safe_next(target if isinstance(target, str) else None)
