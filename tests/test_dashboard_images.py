"""PNG and SVG chart downloads, made in the browser by plotly.js (no server time or
memory per image), in headless Chromium under the dashboard's real
Content-Security-Policy: the files are real images of the chart with its title,
the server is not asked for them, and a failed image is reported to the user."""

from __future__ import annotations

import pytest
from browser_support import build_store, chromium, require_browser, running_server

pytestmark = pytest.mark.browser

RENDERED = """() => !!document.querySelector('main h1') &&
    !document.querySelector('[data-dash-is-loading="true"]') &&
    [...document.querySelectorAll('.dash-graph')].every(g => g.querySelector('.main-svg'))"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_browser()
    store = build_store(tmp_path_factory.mktemp("dash-images") / "store.duckdb", scale=0.1)
    with running_server(store) as base, chromium(bypass_csp=False) as context:
        yield base, context


def _open(context, url):
    import time

    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.method + " " + r.url))
    page.goto(url)
    deadline = time.monotonic() + 30
    while not page.evaluate(RENDERED):
        assert time.monotonic() < deadline, "page did not render"
        time.sleep(0.1)
    return page, requests


def test_png_and_svg_are_made_in_the_browser(site):
    base, context = site
    for path, section in (("/", "#overview-latency section"),
                          ("/account?platform=x&author=avalor_railways",
                           "section:has(#account-title-km)")):
        page, requests = _open(context, base + path)
        card = page.locator(section).first
        title = card.locator("h2, h3").first.inner_text()
        for fmt in ("png", "svg"):
            requests.clear()
            with page.expect_download(timeout=30_000) as dl:
                card.get_by_role("button", name=f"Download {fmt.upper()}").click()
            data = open(dl.value.path(), "rb").read()
            assert dl.value.suggested_filename.endswith("." + fmt)
            assert dl.value.suggested_filename.startswith("govwatch-")
            if fmt == "png":
                assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
            else:
                svg = data.decode("utf-8")
                assert svg.startswith("<svg") and "main-svg" in svg
                assert title.replace("&", "&amp;").split(" (")[0][:30] in svg
            # no request went to the server for the image
            assert not [r for r in requests if r.startswith("POST")], requests
            status = card.locator(".download-status").inner_text()
            assert status == f"{fmt.upper()} downloaded.", status
        page.close()


def test_a_failed_image_is_reported(site):
    base, context = site
    page, _ = _open(context, base + "/")
    card = page.locator("#overview-latency section").first
    button = card.get_by_role("button", name="Download PNG")
    # a format plotly.js cannot make: its own error reaches the user
    button.evaluate("b => { b.dataset.image = 'bmp'; }")
    button.click()
    status = card.locator(".download-status")
    status.filter(has_text="could not be made").wait_for(timeout=10_000)
    assert "BMP could not be made" in status.inner_text()
    assert button.is_enabled()
    # a chart that is not drawn
    button.evaluate("b => { b.dataset.image = 'png'; b.dataset.graph = 'no-such-graph'; }")
    button.click()
    assert "not drawn yet" in status.inner_text()
    page.close()
