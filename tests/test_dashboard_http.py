"""The real dashboard server (dashboard/serve.py in a subprocess) over HTTP: every
page and the Dash endpoints answer, every page renders from hostile or broken
URL parameters without a server error, basic auth guards everything when set,
and several gunicorn workers serve the same store read-only."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import urllib.error
import urllib.request

import pytest
from browser_support import build_store, running_server

PAGES = ["/", "/account?platform=x&author=avalor_railways", "/events", "/topics",
         "/compare?a=x:avalor_railways&a=x:belmora_transport", "/methodology", "/nowhere"]

HOSTILE = [
    "?country=XA&country=' OR 1=1 --&level=national",
    "?country=" + "X" * 5000,
    "?sort=__class__&order=sideways&chart=<script>alert(1)</script>&period=1999-13",
    "?population=everyone&institution=%00%ff&platform=x&platform=x",
    "?" + "&".join(f"country=C{i}" for i in range(500)),
    "?platform=x&author=avalor_railways&author=other",
    "?platform=&author=",
    "?a=x:avalor_railways&a=:::&a=x:" + "y" * 300,
    "?event=ev01'--",
    "?w_answered_rate=1e999&w_critic_gap=<script>&w_=5&w_km_median_hours=-0&w_x=" + "9" * 300,
    "?" + "&".join(f"w_{m}=0" for m in ("answered_rate", "km_median_hours", "selectivity_gap",
                                         "critic_gap", "deflection_share")),
]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("dash-http") / "store.duckdb", scale=0.15)


@pytest.fixture(scope="module")
def base(store_path):
    with running_server(store_path) as url:
        yield url


def get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def render(base: str, pathname: str, search: str,
           headers: dict | None = None) -> tuple[int, dict]:
    """Ask the pages router for a page's layout, as the browser does."""
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"],
    }
    req = urllib.request.Request(base + "/_dash-update-component",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json",
                                          **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, {}


def test_every_page_and_the_dash_endpoints_answer(base):
    for path in PAGES:
        status, body = get(base + path)
        assert status == (404 if path == "/nowhere" else 200), path
        assert b'<html lang="en">' in body and b"react-entry-point" in body
    status, layout = get(base + "/_dash-layout")
    assert status == 200 and b"Skip to main content" in layout
    status, deps = get(base + "/_dash-dependencies")
    assert status == 200 and b"url-state" in deps


def test_pages_render_their_content(base):
    expected = {"/": "Who answers the public", "/account": "Responsiveness",
                "/events": "Events", "/topics": "Topics", "/compare": "Side by side",
                "/methodology": "Methodology", "/nowhere": "Page not found"}
    for page in PAGES:
        path, _, search = page.partition("?")
        status, data = render(base, path, "?" + search if search else "")
        assert status == 200, page
        assert expected[path] in json.dumps(data["response"]["_pages_content"]), page


def _find(node, component_id):
    """The props of the component with ``component_id`` in a layout's JSON."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(n)
        elif isinstance(n, dict):
            props = n.get("props", {})
            if props.get("id") == component_id:
                return props
            stack.extend(props.values())
    return None


def test_the_first_layout_carries_the_page_it_names(base):
    """The layout request names the open page (assets/layout_request.js): the shell
    comes with that page's content, the same as the routing callback gives, and a
    location that matches the page (so the callback does not run for it again)."""
    for page in PAGES + ["/?" + HOSTILE[2].lstrip("?"), "/account" + HOSTILE[5]]:
        path, _, search = page.partition("?")
        search = "?" + search if search else ""
        status, body = get(base + "/_dash-layout", {"X-Govwatch-Page": path + search})
        assert status == 200, page
        layout = json.loads(body)
        status, routed = render(base, path, search)
        assert status == 200, page
        content = _find(layout, "_pages_content")
        assert content is not None, page
        assert content["children"] == routed["response"]["_pages_content"]["children"], page
        assert _find(layout, "_pages_store")["data"] == \
            routed["response"]["_pages_store"]["data"], page
        location = _find(layout, "_pages_location")
        assert (location["pathname"], location["search"]) == (path, search), page
    # without the header (or with no path in it): the empty shell, filled by the callback
    for headers in ({}, {"X-Govwatch-Page": "account"}):
        status, body = get(base + "/_dash-layout", headers)
        layout = json.loads(body)
        assert status == 200 and _find(layout, "_pages_content").get("children") is None
        assert _find(layout, "_pages_location").get("pathname") is None


@pytest.mark.parametrize("search", HOSTILE)
def test_hostile_parameters_never_cause_a_server_error(base, search):
    for path in ("/", "/account", "/topics", "/compare", "/events"):
        status, data = render(base, path, search)
        assert status == 200, (path, search)
        content = json.dumps(data["response"]["_pages_content"])
        # a hostile value may only come back quoted inside an "Ignored ..." note, which Dash
        # renders as text; anywhere else it would be markup
        outside_notes = re.sub(r"Ignored [^\"]*", "", content.replace("\\u003c", "<"))
        assert "<script>" not in outside_notes, (path, search)


def test_unknown_values_are_reported_not_applied(base):
    status, data = render(base, "/", "?country=XA&country=ZZ&sort=nope")
    content = json.dumps(data["response"]["_pages_content"])
    assert "Ignored unknown country 'ZZ'." in content and "Ignored unknown sort 'nope'." in content
    # the browser filters; the server sends the validated query and every account's row
    assert '"data": "?country=XA"' in content and '"rows": [{"key"' in content


def test_workers_with_basic_auth(store_path):
    """Several gunicorn workers (one when gunicorn is absent) behind basic auth:
    every route asks for the login; with it, each worker serves the store."""
    workers = 2 if importlib.util.find_spec("gunicorn") else 1
    if workers == 1 and (os.environ.get("CI") or os.environ.get("GOVWATCH_REQUIRE_BROWSER")):
        pytest.fail("gunicorn is missing: the dev extra installs it, and CI tests several workers")
    env = {"GOVWATCH_DASH_USER": "watch", "GOVWATCH_DASH_PASSWORD": "pa:ss word"}
    with running_server(store_path, workers=workers, env=env) as url:
        assert get(url + "/")[0] == 401
        assert get(url + "/_dash-layout")[0] == 401
        assert get(url + "/assets/style.css")[0] == 401
        wrong = base64.b64encode(b"watch:nope").decode()
        assert get(url + "/", {"Authorization": f"Basic {wrong}"})[0] == 401
        token = base64.b64encode(b"watch:pa:ss word").decode()
        auth = {"Authorization": f"Basic {token}"}
        status, body = get(url + "/_dash-layout", auth)
        assert status == 200 and b"govwatch" in body
        for _ in range(4):
            status, data = render(url, "/", "?country=XA", auth)
            assert status == 200 and '"data": "?country=XA"' in json.dumps(data)
