"""Rendering the web UI's HTML: Jinja2 templates shipped in the package, strict headers.

Pages are rendered on the server and enhanced by plain JavaScript files from
`static/` (no build step). Every page says, in its Content-Security-Policy, that it
runs only kflow's own scripts and styles and talks only to this server, so nothing
injected into a field could run or send data elsewhere; templates autoescape.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from kflow import __version__

STATIC_PREFIX = "/ui/static"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kflow.server.ui", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.globals["static"] = static_url
    return env


def static_url(name: str) -> str:
    """A static file's URL, versioned so a new kflow never runs a cached old script."""
    return f"{STATIC_PREFIX}/{name}?v={__version__}"


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
