"""The served dashboard's protections, over HTTP against the real server process
(waitress by default, as ``govwatch dashboard`` starts it) and in headless Chromium
under its real Content-Security-Policy: security headers on every response, no
server software or version named, a request-body cap (413), 404 for unknown pages
and for traversal attempts on /_dash-component-suites/ (without a traceback in
the log), and pages that still render and run their callbacks under the CSP."""

from __future__ import annotations

import base64
import http.client
import json
import re
import sys
from urllib.parse import urlsplit

import pytest
from browser_support import (
    build_store,
    chromium,
    require_browser,
    running_server,
)

HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
TRAVERSALS = [
    "/_dash-component-suites/dash/../../../../etc/passwd",
    "/_dash-component-suites/../../../etc/passwd",
    "/_dash-component-suites/dash/..%2f..%2f..%2fetc%2fpasswd",
    "/_dash-component-suites/os/../../etc/passwd",
    "/_dash-component-suites/dash/dcc/../../../setup.py",
    "/_dash-component-suites/flask/app.py",
    "/_dash-component-suites/dash/%2e%2e/%2e%2e/etc/passwd",
    "/_dash-component-suites/govwatch/store.py",
]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("dash-security") / "store.duckdb", scale=0.1)


@pytest.fixture(scope="module")
def served(store_path, tmp_path_factory):
    """The server as ``govwatch dashboard`` starts it, and its log file."""
    log = tmp_path_factory.mktemp("dash-security-log") / "server.log"
    command = [sys.executable, "-m", "govwatch", "dashboard", "--db", str(store_path)]
    with running_server(store_path, command=command, log_path=log) as base:
        yield base, log


def request(base: str, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One raw HTTP request (the path goes out exactly as given)."""
    url = urlsplit(base)
    con = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        con.request(method, path, body=body, headers=headers or {})
        r = con.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        con.close()


def check_headers(headers: dict, what: str) -> None:
    for name, value in HEADERS.items():
        assert headers.get(name) == value, (what, name, headers)
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, (what, csp)
    assert "'unsafe-eval'" not in csp and "script-src 'self' 'sha256-" in csp, (what, csp)
    server = headers.get("server", "")
    assert not re.search(r"werkzeug|python|waitress|\d", server, re.I), (what, server)


def test_security_headers_on_every_response(served):
    base, _ = served
    status, headers, body = request(base, "GET", "/")
    assert status == 200 and b"react-entry-point" in body
    check_headers(headers, "/")
    assert headers.get("server") == "govwatch"  # waitress, named without a version
    scripts = re.findall(rb'<script src="([^"]+)"', body)
    assert scripts
    for path in ["/_dash-layout", "/_dash-dependencies", "/assets/style.css",
                 "/methodology", "/nowhere", scripts[0].decode(), TRAVERSALS[0]]:
        status, headers, _ = request(base, "GET", path)
        assert status in (200, 404), path
        check_headers(headers, path)
    for body in (b"{}", b"[]", b'{"output": 1}', b'{"output": "nothing.children"}', b"x"):
        status, headers, _ = request(base, "POST", "/_dash-update-component", body,
                                     {"Content-Type": "application/json"})
        assert status == 400, body  # not a callback of this app: no server error
        check_headers(headers, "POST")


def test_versioned_assets_are_cached_and_plotly_is_preloaded_not_blocking(served):
    base, _ = served
    status, _, body = request(base, "GET", "/")
    scripts = [s.decode() for s in re.findall(rb'<script src="([^"]+)"', body)]
    assert not [s for s in scripts if "plotly-basic" in s]  # not a blocking script
    preload = re.search(rb'<link rel="preload" as="script" id="govwatch-plotly" '
                        rb'href="([^"]+)"', body)
    assert preload and b"?m=" in preload.group(1), body[:2000]
    status, headers, js = request(base, "GET", preload.group(1).decode())
    assert status == 200 and b"plotly.js (basic - minified)" in js[:1000]
    check_headers(headers, "plotly")
    assert headers.get("cache-control") == "public, max-age=31536000, immutable"
    assets = [s for s in scripts if s.startswith("/assets/")]
    assert assets and all("?m=" in s for s in assets)
    for path in assets:
        status, headers, _ = request(base, "GET", path)
        assert status == 200 and headers.get("cache-control") == \
            "public, max-age=31536000, immutable", (path, headers)
    # asked for without its version, an asset is asked for again next time
    status, headers, _ = request(base, "GET", assets[0].split("?")[0])
    assert status == 200 and "immutable" not in headers.get("cache-control", "")
    status, headers, _ = request(base, "GET", "/assets/nothing.js?m=1")
    assert status == 404 and "immutable" not in headers.get("cache-control", "")


def test_unknown_pages_are_404(served):
    base, _ = served
    for path in ["/", "/account", "/account?platform=x&author=avalor_railways", "/events",
                 "/topics", "/compare", "/methodology", "/events/"]:
        assert request(base, "GET", path)[0] == 200, path
    for path in ["/nowhere", "/admin", "/account/extra", "/wp-login.php", "/.env",
                 "/assets/../../etc/passwd", "/assets/nothing.js", "/_dash-nothing"]:
        status, _, body = request(base, "GET", path)
        assert status == 404, path


def test_not_found_page_still_renders_its_view(served):
    base, _ = served
    status, _, body = request(base, "GET", "/nowhere")
    assert status == 404 and b"react-entry-point" in body  # Dash draws "Page not found"


def test_traversal_on_component_suites_is_404_without_a_traceback(served):
    base, log = served
    for path in TRAVERSALS:
        status, _, body = request(base, "GET", path)
        assert status == 404, (path, status)
        assert b"root:" not in body and b"import" not in body, path
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "Exception" not in text, text[-3000:]


def test_request_body_cap(served):
    base, _ = served
    big = b"x" * (50 * 1024 * 1024)
    for headers in ({"Content-Type": "application/json"},
                    {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}):
        body = big if "Transfer-Encoding" not in headers else _chunked(big)
        try:
            status, got, _ = request(base, "POST", "/_dash-update-component", body, headers)
        except (BrokenPipeError, ConnectionResetError):
            continue  # the server refused the body and closed: also not accepted
        assert status == 413, headers
    # the server still answers normal callbacks afterwards
    assert request(base, "GET", "/_dash-layout")[0] == 200


def _chunked(data: bytes, size: int = 1 << 20):
    for i in range(0, len(data), size):
        part = data[i:i + size]
        yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
    yield b"0\r\n\r\n"


def test_basic_auth_challenge_carries_the_headers(store_path):
    env = {"GOVWATCH_DASH_USER": "u", "GOVWATCH_DASH_PASSWORD": "p"}
    with running_server(store_path, env=env) as base:
        status, headers, _ = request(base, "GET", "/")
        assert status == 401
        check_headers(headers, "401")
        auth = {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
        assert request(base, "GET", "/nowhere", headers=auth)[0] == 404


def test_dev_server_only_behind_a_flag_and_unnamed(store_path):
    command = [sys.executable, "-m", "govwatch", "dashboard", "--db", str(store_path),
               "--dev-server"]
    with running_server(store_path, command=command) as base:
        status, headers, _ = request(base, "GET", "/")
        assert status == 200
        check_headers(headers, "dev server")


# ------------------------------------------------------------------ under the CSP
CSP_PAGES = ["/", "/account?platform=x&author=avalor_railways", "/events", "/topics",
             "/compare?a=x:avalor_railways&a=x:belmora_transport", "/methodology"]
RECORD = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
    window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});
"""


def _poll(page, script: str, timeout: float = 20.0):
    """Wait until ``script`` (a function) is truthy, polling from here: Playwright's
    wait_for_function evaluates strings in the page, which the CSP forbids."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {script}")


RENDERED = """() => !!document.querySelector('main h1') &&
    !document.querySelector('[data-dash-is-loading="true"]') &&
    [...document.querySelectorAll('.dash-graph')].every(g => g.querySelector('.main-svg'))"""


@pytest.mark.browser
def test_pages_render_and_callbacks_fire_under_the_csp(served):
    require_browser()
    base, _ = served
    with chromium(bypass_csp=False) as context:
        context.add_init_script(RECORD)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in CSP_PAGES:
            page.goto(base + path)
            _poll(page, RENDERED)
            assert page.evaluate("() => window.__csp") == [], path
            # plotly.js's basic bundle ran (loaded by assets/plotly_loader.js), and
            # dcc.Graph never asked for the full bundle
            _poll(page, "() => !!window.Plotly && typeof window.Plotly.react === 'function'")
        assert [u for u in requested if "plotly-basic.min.js" in u]
        assert not [u for u in requested if "package_data/plotly" in u], requested
        # a clientside callback: a country filter on the overview
        page.goto(base + "/")
        _poll(page, RENDERED)
        page.locator("fieldset:has(legend:text-is('Country'))").get_by_role(
            "button", name="XB", exact=True).click()
        _poll(page, "() => document.querySelector('#overview-status')"
                    ".textContent.includes('country XB')")
        # a server callback: another event on the events page redraws its chart
        page.goto(base + "/events")
        _poll(page, RENDERED)
        before = page.inner_text("#events-title-event")
        page.locator("fieldset#events-event button[aria-pressed='false']").first.click()
        _poll(page, "() => document.querySelector('#events-title-event').textContent !== "
                    + json.dumps(before))
        # a download (server callback + dcc.Download)
        with page.expect_download() as dl:
            page.locator("section:has(#events-title-list)").get_by_role(
                "button", name="Download CSV").click()
        assert open(dl.value.path(), encoding="utf-8").read().startswith("event_id")
        assert page.evaluate("() => window.__csp") == []
        page.close()
    assert not errors, errors
