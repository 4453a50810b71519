"""What every response of the dashboard's server carries, whatever serves it.

``harden(app)`` installs on the Dash app's Flask server:

- security headers on every response: a Content-Security-Policy that allows
  only this server's own scripts plus the hashes of Dash's inline scripts (its
  renderer and the clientside callbacks, from ``Dash.csp_hashes``), no framing
  (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and a
  ``Permissions-Policy`` that turns off what a dashboard never uses;
- a request-body cap (``MAX_BODY_BYTES``, ``$GOVWATCH_DASH_MAX_BODY`` to change):
  larger requests get 413 before a byte of the body is read;
- 400 for a callback request that names no callback of the app (malformed or
  forged), instead of a server error;
- a year's ``Cache-Control`` (``immutable``) on the app's own assets when asked
  for with their version (``?m=``, the file's modification time, as Dash and
  dashboard/app.py write them), as Dash already does for its component suites:
  a page load after the first asks the server for no script again;
- 404 (with the app's own "page not found" view as the body) for any path that
  is not a page, and 404 instead of a server error and traceback for any
  ``/_dash-component-suites/`` path that Dash did not register (a traversal
  attempt such as ``/_dash-component-suites/dash/../../../etc/passwd``).

Styles stay ``'unsafe-inline'``: Plotly and React set style attributes on every
element they draw; style attributes cannot run code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from dash import Dash
from dash.exceptions import DependencyException
from flask import Response, request

from govwatch.errors import UsageError

MAX_BODY_ENV = "GOVWATCH_DASH_MAX_BODY"
MAX_BODY_BYTES = 2 * 1024 * 1024  # a callback request is a few kB; 2 MiB leaves room

STATIC_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def max_body_bytes(env: Mapping[str, str] | None = None) -> int:
    """The request-body cap: $GOVWATCH_DASH_MAX_BODY (bytes) or :data:`MAX_BODY_BYTES`."""
    raw = (os.environ if env is None else env).get(MAX_BODY_ENV)
    if not raw:
        return MAX_BODY_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1024:
        raise UsageError(f"{MAX_BODY_ENV} must be a number of bytes, at least 1024 (got {raw!r})")
    return value


def content_security_policy(script_hashes: Sequence[str]) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def page_paths(app: Dash) -> set[str]:
    """The paths that are pages (and the paths they redirect from)."""
    import dash

    paths = {"/"}
    for page in dash.page_registry.values():
        for path in [page.get("path"), *(page.get("redirect_from") or [])]:
            if isinstance(path, str):
                paths.add("/" + path.strip("/"))
    return paths


VERSIONED_ASSET_CACHE = "public, max-age=31536000, immutable"


def harden(app: Dash, max_body: int | None = None) -> None:
    """Install headers, the body cap and the 404s on ``app``'s Flask server."""
    server = app.server
    cap = max_body if max_body is not None else max_body_bytes()
    server.config["MAX_CONTENT_LENGTH"] = cap
    prefix = app.config.routes_pathname_prefix
    catchall = prefix + "<path:path>"
    pages: set[str] = set()

    def policy() -> str:
        # hashed per response: Dash adds the clientside callbacks' scripts when it
        # first serves a page (a few short scripts: microseconds)
        return content_security_policy(app.csp_hashes())

    @server.before_request
    def _cap_body():
        length = request.content_length
        if length is not None and length > cap:
            return Response(f"Request body over {cap:,} bytes.\n", 413,
                            {"Content-Type": "text/plain; charset=utf-8", "Connection": "close"})
        return None

    update = prefix + "_dash-update-component"
    assets = prefix + app.config.assets_url_path.strip("/") + "/"

    @server.before_request
    def _callback_shape():
        # A request naming no callback of this app is the client's error (400), not
        # a server error with a traceback in the log.
        if request.endpoint != update:
            return None
        body = request.get_json(silent=True)
        ok = (isinstance(body, dict) and isinstance(body.get("output"), str)
              and body["output"] in app.callback_map
              and all(isinstance(body.get(k, []), list) for k in ("inputs", "state")))
        if ok:
            return None
        return Response("Not a callback of this dashboard.\n", 400,
                        {"Content-Type": "text/plain; charset=utf-8"})

    @server.after_request
    def _headers(response: Response) -> Response:
        if request.endpoint == catchall and response.status_code == 200:
            if not pages:
                pages.update(page_paths(app))
            path = "/" + request.path[len(prefix):].strip("/")
            if path not in pages:
                response.status_code = 404  # the body is the app's not-found view
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        if (request.path.startswith(assets) and request.args.get("m")
                and response.status_code in (200, 304)):
            response.headers["Cache-Control"] = VERSIONED_ASSET_CACHE
        response.headers["Content-Security-Policy"] = policy()
        return response

    @server.errorhandler(DependencyException)
    def _unknown_resource(_exc):
        return Response("Not found.\n", 404, {"Content-Type": "text/plain; charset=utf-8"})
