"""Browser sessions: a bearer token traded once for an HttpOnly session cookie.

kubectl and the SDKs send `Authorization: Bearer ...` on every request, but a browser
navigating to a page cannot. So the web UI's login exchanges a credential the
server's own `Authenticator` accepts for a random session id kept in memory here, set
as a cookie the page's scripts cannot read (HttpOnly), that only travels over HTTPS
when the server speaks it (Secure) and never on cross-site navigations (SameSite).
The token itself never reaches a page or a log line.

`SessionAuthenticator` wraps the configured authenticator: an explicit
`Authorization` header wins; otherwise a valid session cookie is the identity that
logged in. A cookie is an ambient credential, so state-changing requests that carry
one must come from kflow's own pages: `check_same_origin` follows the browser signals
Go's `http.CrossOriginProtection` reads (`Sec-Fetch-Site`, then `Origin` against
`Host`). Sessions live in the server process: a restart logs everyone out.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request

from kflow.api.errors import Forbidden, Unauthorized
from kflow.server.identity import Authenticator, Identity

COOKIE = "kflow_session"
LIFETIME_SECONDS = 12 * 3600
"""How long a login lasts (a working day), as a cookie Max-Age and on the server."""
MAX_SESSIONS = 1024
"""Oldest sessions are forgotten past this many, so logins cannot grow memory without end."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclasses.dataclass(frozen=True)
class _Session:
    identity: Identity
    expires: float  # time.monotonic() after which the session is gone


class Sessions:
    """Session ids to identities, in memory, with expiry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def open(self, identity: Identity) -> str:
        """A new session for `identity`; the id is the cookie's value."""
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            for key in [k for k, s in self._sessions.items() if s.expires <= now]:
                del self._sessions[key]
            while len(self._sessions) >= MAX_SESSIONS:
                del self._sessions[next(iter(self._sessions))]
            self._sessions[session_id] = _Session(identity, now + LIFETIME_SECONDS)
        return session_id

    def identity(self, session_id: str) -> Identity | None:
        """Who holds `session_id`, or None when it is unknown or expired."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if session.expires <= self._clock():
                del self._sessions[session_id]
                return None
            return session.identity

    def close(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)


class SessionAuthenticator:
    """The session cookie, else whatever `inner` accepts."""

    def __init__(self, inner: Authenticator, sessions: Sessions) -> None:
        self.inner = inner
        self.sessions = sessions

    def authenticate(self, request: HTTPConnection) -> Identity:
        session_id = request.cookies.get(COOKIE)
        if session_id and "authorization" not in request.headers:
            identity = self.sessions.identity(session_id)
            if identity is not None:
                check_same_origin(request)
                return identity
        return self.inner.authenticate(request)

    def login(self, token: str) -> Identity:
        """Who `token` is to the inner authenticator (as a bearer token); raises Unauthorized."""
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(b"authorization", f"Bearer {token}".encode())],
        }
        return self.inner.authenticate(Request(scope))

    def needs_login(self) -> bool:
        """Whether a request with no credentials is turned away (a token is configured)."""
        try:
            self.inner.authenticate(Request({"type": "http", "method": "GET", "headers": []}))
        except Unauthorized:
            return True
        return False


def check_same_origin(request: HTTPConnection) -> None:
    """Refuse a state-changing request a browser says came from another site."""
    method = str(request.scope.get("method", "GET")).upper()
    if method in SAFE_METHODS:
        return
    site = request.headers.get("sec-fetch-site", "")
    if site in ("same-origin", "none"):
        return
    if site:
        raise _cross_origin()
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser, or one too old to say: no ambient-credential attack to stop
    if urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise _cross_origin()


def _cross_origin() -> Forbidden:
    return Forbidden(
        "cross-origin request refused: a session cookie is only accepted from kflow's own "
        "pages (send a bearer token from other clients)"
    )
