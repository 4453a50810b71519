"""Serving the dashboard: waitress (one process, a pool of threads; pure Python, so on
every system) by default, gunicorn for N worker processes, Flask's development
server only when asked (``dev=True``, ``--dev-server``); bound to 127.0.0.1 unless
told otherwise, with optional HTTP basic auth.

No server names itself with a version: waitress and the development server say
``Server: govwatch``, gunicorn ``Server: gunicorn``. The request-body cap
(``govwatch.dashboard.security``) is also waitress's own limit, so a body sent
in chunks, without a length, is cut off there too.

Basic auth is on when both GOVWATCH_DASH_USER and GOVWATCH_DASH_PASSWORD are
set (passwords are compared in constant time). Serving beyond loopback without
it logs a warning: the dashboard shows pseudonymised data, but it is still data.

``python -m govwatch.dashboard.serve --db FILE [--host H] [--port P] [--workers N]
[--threads T] [--dev-server]`` runs
it directly; the ``govwatch dashboard`` command calls :func:`serve`. For another
WSGI server: ``gunicorn 'govwatch.dashboard.serve:wsgi_app()'`` reads the store path from
$GOVWATCH_DB.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import ipaddress
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from flask import Flask, Response, request

from govwatch.config import db_path as default_db_path
from govwatch.errors import UsageError

from .app import create_app
from .data import DashboardData

SERVER_NAME = "govwatch"
THREADS = 8
USER_ENV = "GOVWATCH_DASH_USER"
PASSWORD_ENV = "GOVWATCH_DASH_PASSWORD"
log = logging.getLogger("govwatch.dashboard")


def auth_from_env(env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(user, password) from the environment, None when neither is set."""
    env = os.environ if env is None else env
    user, password = env.get(USER_ENV) or "", env.get(PASSWORD_ENV) or ""
    if not user and not password:
        return None
    if not user or not password:
        raise UsageError(f"set both {USER_ENV} and {PASSWORD_ENV} for basic auth, or neither")
    return user, password


def install_basic_auth(server: Flask, user: str, password: str) -> None:
    """Ask for HTTP basic auth on every request of ``server``."""
    want_user, want_pw = user.encode(), password.encode()

    @server.before_request
    def _check():
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                got_user, _, got_pw = base64.b64decode(header[6:], validate=True).partition(b":")
            except (binascii.Error, ValueError):
                got_user, got_pw = b"", b""
            ok_user = hmac.compare_digest(got_user, want_user)
            ok_pw = hmac.compare_digest(got_pw, want_pw)
            if ok_user and ok_pw:
                return None
        return Response("Authentication required.\n", 401,
                        {"WWW-Authenticate": 'Basic realm="govwatch", charset="UTF-8"'})


def build_server(db: str | os.PathLike, auth: tuple[str, str] | None = None) -> Flask:
    """The Flask server of a dashboard over ``db``, with basic auth when given."""
    app = create_app(db)
    if auth:
        install_basic_auth(app.server, *auth)
    return app.server


def wsgi_app() -> Flask:
    """WSGI entry point for external servers: store from $GOVWATCH_DB, auth from env."""
    return build_server(default_db_path(), auth_from_env())


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(db: str | os.PathLike, host: str = "127.0.0.1", port: int = 8050,
          workers: int = 1, auth: tuple[str, str] | None = None, dev: bool = False,
          threads: int = THREADS) -> None:
    """Serve until interrupted: waitress with ``threads`` threads, gunicorn when
    ``workers`` > 1 (needs gunicorn installed), Flask's development server when ``dev``."""
    auth = auth if auth is not None else auth_from_env()
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    if threads < 1:
        raise UsageError("--threads must be at least 1")
    if dev and workers > 1:
        raise UsageError("--dev-server serves from one process: leave out --workers")
    if not _is_loopback(host) and not auth:
        log.warning("serving on %s without basic auth: set %s and %s to require a login",
                    host, USER_ENV, PASSWORD_ENV)
    DashboardData(db).open().close()  # fail fast (missing or outdated store) before forking
    if dev:
        _dev_server(build_server(db, auth), host, port)
    elif workers == 1:
        _waitress(build_server(db, auth), host, port, threads)
    else:
        _gunicorn(db, host, port, workers, auth, threads)


def _waitress(server: Flask, host: str, port: int, threads: int) -> None:
    import waitress

    # one line per queued request under load ("Task queue depth is N"): not news
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(server, host=host, port=port, threads=threads, ident=SERVER_NAME,
                   max_request_body_size=server.config["MAX_CONTENT_LENGTH"],
                   clear_untrusted_proxy_headers=True, _quiet=True)


def _dev_server(server: Flask, host: str, port: int) -> None:
    from werkzeug.serving import WSGIRequestHandler

    class _Handler(WSGIRequestHandler):
        def version_string(self) -> str:  # not "Werkzeug/x Python/y"
            return SERVER_NAME

    log.warning("serving with Flask's development server (--dev-server): not for production")
    server.run(host=host, port=port, debug=False, use_reloader=False, threaded=True,
               request_handler=_Handler)


def _gunicorn(db, host: str, port: int, workers: int, auth, threads: int = 4) -> None:
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError as exc:
        raise UsageError("--workers N needs gunicorn: pip install gunicorn") from exc

    class _App(BaseApplication):
        def load_config(self):
            for key, value in {"bind": f"{host}:{port}", "workers": workers,
                               "worker_class": "gthread", "threads": threads, "timeout": 120,
                               "preload_app": False, "accesslog": None}.items():
                self.cfg.set(key, value)

        def load(self):  # in each worker: its own app and DuckDB connection
            return build_server(db, auth)

    _App().run()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govwatch.dashboard.serve",
                                     description="Serve the govwatch dashboard.")
    parser.add_argument("--db", default=None, help="store file (default $GOVWATCH_DB)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--dev-server", action="store_true",
                        help="Flask's development server (not for production)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    serve(Path(args.db) if args.db else default_db_path(), args.host, args.port, args.workers,
          dev=args.dev_server, threads=args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
