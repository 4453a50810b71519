"""A bounded load test of the served dashboard, on loopback only: thousands of HTTP
requests at once while chart images are downloaded in headless Chromium.

govwatch side: ``govwatch dashboard`` (waitress, as users start it) over a sample
store. ``--requests`` requests (default 3,000) from ``--concurrency`` client threads
(default 32) mix what visitors cause: page loads (one of them an unknown page, 404
expected), the layout and dependency endpoints, static assets and component
suites, page renders through the pages router, CSV downloads through the download
callback, a traversal attempt (404 expected) and an over-sized body (413 expected).
Meanwhile ``--browsers`` Chromium pages (default 4) each download ``--images`` PNG
and SVG images of the overview chart (made in the browser by plotly.js). Reported:
errors (an unexpected status or a failed request or image), request latency
percentiles, image times (click to file saved), and the server's memory (PSS of its
process tree, sampled 20 times a second) before, at peak and after.

Baselines, in the same run: the same HTTP requests against the server govwatch
started by default before (Flask's development server, now ``--dev-server``),
without the browsers, the ratio being requests per second; and the way images were
made before, on the server by kaleido (``Figure.to_image``) for the same chart,
timed per image with its process's peak memory, the ratio being kaleido's time per
image over the browser's. Skips the browser part (with the reason) when Chromium or Playwright is
missing. Writes benchmarks/work/dashboard-load-results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))
WORK = HERE / "work"
RESULTS = WORK / "dashboard-load-results.json"

import _measure  # noqa: E402


def build(path: Path, scale: float) -> Path:
    from browser_support import build_store

    if not path.exists():
        build_store(path, scale=scale)
    return path


def router_body(pathname: str, search: str = "") -> bytes:
    return json.dumps({
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"],
    }).encode()


def csv_body() -> bytes:
    item = {"type": "overview-dl", "item": "board"}
    # the callback's key in Dash: its output id with the MATCH wildcard
    output = json.dumps({"item": ["MATCH"], "type": "overview-file"}, separators=(",", ":"))
    return json.dumps({
        "output": output + ".data",
        "outputs": {"id": {"item": "board", "type": "overview-file"}, "property": "data"},
        "inputs": [[{"id": {**item, "fmt": "csv"}, "property": "n_clicks", "value": 1}]],
        "state": [{"id": {"type": "url-state", "page": "overview"}, "property": "data",
                   "value": ""}],
        "changedPropIds": [json.dumps({**item, "fmt": "csv"}, separators=(",", ":"))
                           + ".n_clicks"],
    }).encode()


def mix(script: str) -> list[tuple[str, str, bytes | None, int]]:
    """(method, path, body, expected status) in the proportions visitors cause."""
    post = "POST"
    return [
        ("GET", "/", None, 200),
        ("GET", "/events", None, 200),
        ("GET", "/account?platform=x&author=avalor_railways", None, 200),
        ("GET", "/nowhere", None, 404),
        ("GET", "/_dash-layout", None, 200),
        ("GET", "/_dash-dependencies", None, 200),
        ("GET", "/assets/style.css", None, 200),
        ("GET", script, None, 200),
        (post, "/_dash-update-component", router_body("/"), 200),
        (post, "/_dash-update-component", router_body("/account",
                                                     "?platform=x&author=avalor_railways"), 200),
        (post, "/_dash-update-component", router_body("/events"), 200),
        (post, "/_dash-update-component", router_body("/compare",
                                                     "?a=x:avalor_railways&a=x:belmora_transport"),
         200),
        (post, "/_dash-update-component", csv_body(), 200),
        ("GET", "/_dash-component-suites/dash/../../../../etc/passwd", None, 404),
        (post, "/_dash-update-component", b"x" * (3 * 1024 * 1024), 413),
    ]


def one(port: int, method: str, path: str, body: bytes | None) -> tuple[int, float]:
    started = time.perf_counter()
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        con.request(method, path, body=body,
                    headers={"Content-Type": "application/json"} if body else {})
        r = con.getresponse()
        r.read()
        return r.status, time.perf_counter() - started
    finally:
        con.close()


def load(port: int, n: int, concurrency: int, script: str) -> dict:
    requests = mix(script)
    statuses: dict[str, int] = {}
    errors: list[str] = []
    times: list[float] = []
    lock = threading.Lock()

    def task(i: int) -> None:
        method, path, body, want = requests[i % len(requests)]
        try:
            status, took = one(port, method, path, body)
        except (OSError, http.client.HTTPException) as exc:
            if want == 413:  # the server may close before reading the whole body
                status, took = 413, 0.0
            else:
                with lock:
                    errors.append(f"{method} {path[:60]}: {exc!r}")
                return
        with lock:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            times.append(took)
            if status != want:
                errors.append(f"{method} {path[:60]}: {status} (expected {want})")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(task, range(n)))
    wall = time.perf_counter() - started
    times.sort()
    return {"requests": n, "concurrency": concurrency, "wall_s": round(wall, 2),
            "per_s": round(n / wall, 1), "statuses": statuses, "errors": len(errors),
            "error_samples": errors[:10],
            "latency_ms": {"p50": round(1000 * times[len(times) // 2], 1),
                           "p95": round(1000 * times[int(len(times) * 0.95)], 1),
                           "max": round(1000 * times[-1], 1)} if times else {}}


def images(base: str, browsers: int, per_page: int, out: dict) -> None:
    """``browsers`` pages at once, each downloading ``per_page`` PNG and SVG images."""
    from browser_support import browser_missing_reason, chromium

    reason = browser_missing_reason()
    if reason:
        out["skipped"] = reason
        return
    timings: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def one_page(k: int) -> None:
        with chromium(bypass_csp=False) as context:
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_selector("#overview-latency .main-svg", timeout=60_000)
            card = page.locator("#overview-latency section").first
            for i in range(per_page):
                fmt = "PNG" if i % 2 == 0 else "SVG"
                started = time.perf_counter()
                try:
                    with page.expect_download(timeout=30_000) as dl:
                        card.get_by_role("button", name=f"Download {fmt}").click()
                    size = os.path.getsize(dl.value.path())
                    took = time.perf_counter() - started
                    with lock:
                        timings.append(took)
                        if size < 1000:
                            failures.append(f"page {k}: {fmt} of {size} bytes")
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    with lock:
                        failures.append(f"page {k}: {fmt}: {exc!r}"[:200])

    threads = [threading.Thread(target=one_page, args=(k,)) for k in range(browsers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    timings.sort()
    out.update({"images": len(timings), "failures": len(failures),
                "failure_samples": failures[:5],
                "ms": {"median": round(1000 * statistics.median(timings)),
                       "p95": round(1000 * timings[int(len(timings) * 0.95)]),
                       "max": round(1000 * timings[-1])} if timings else {}})


KALEIDO = """
import sys, time, resource
from govwatch.dashboard.data import DashboardData, Filters
from govwatch.dashboard.figures import median_chart
d = DashboardData(sys.argv[1]).open()
chart = median_chart(d.leaderboard(Filters(population=d.options().default_population)), d.min_n)
fig = chart.figure.update_layout(title={"text": chart.title, "x": 0.01})
times = []
for i in range(int(sys.argv[2])):
    t = time.perf_counter()
    data = fig.to_image(format="png" if i % 2 == 0 else "svg", width=1100,
                        height=fig.layout.height or 450)
    times.append(time.perf_counter() - t)
    assert len(data) > 1000
print(",".join(f"{x:.3f}" for x in times))
"""


def kaleido_baseline(db: Path, n: int) -> dict:
    log = WORK / "dashboard-load-kaleido.log"
    try:
        m = _measure.run([sys.executable, "-c", KALEIDO, str(db), str(n)], log=log)
    except _measure.CommandFailed as exc:
        return {"skipped": str(exc)}
    times = sorted(float(x) for x in log.read_text().strip().splitlines()[-1].split(","))
    return {"images": n, "ms": {"median": round(1000 * statistics.median(times)),
                                "max": round(1000 * times[-1])},
            "peak_mib": round(m.peak_rss_bytes / 2**20)}


@contextlib.contextmanager
def serving(db: Path, log_name: str, *extra: str):
    """``govwatch dashboard`` on a free loopback port: (base URL, port, process, log)."""
    from browser_support import free_port, wait_for_http

    port = free_port()
    log = WORK / log_name
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "govwatch", "dashboard", "--db", str(db), "--port",
             str(port), "-q", *extra], cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base, server, 90, log)
        yield base, port, server, log
    finally:
        server.terminate()
        server.wait(20)


def first_script(port: int) -> str:
    """The path of the first script the index page loads (a component suite)."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    con.request("GET", "/")
    html = con.getresponse().read().decode()
    con.close()
    return html.split('<script src="')[1].split('"')[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--browsers", type=int, default=4)
    ap.add_argument("--images", type=int, default=10, help="images per browser page")
    ap.add_argument("--kaleido-images", type=int, default=4)
    ap.add_argument("--scale", type=float, default=0.25, help="sample store size")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the HTTP baseline on Flask's development server")
    args = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    db = build(WORK / f"dashboard-load-{args.scale}.duckdb", args.scale)
    result: dict = {"load_1min_start": os.getloadavg()[0]}
    with serving(db, "dashboard-load-server.log") as (base, port, server, log):
        one(port, "GET", "/", None)
        idle = _measure.tree_memory(server.pid)
        script = first_script(port)
        sampler = _measure.TreeSampler(server.pid, interval=0.05)
        sampler.start()
        shots: dict = {}
        shooter = threading.Thread(target=images,
                                   args=(base, args.browsers, args.images, shots))
        shooter.start()
        result["http"] = load(port, args.requests, args.concurrency, script)
        shooter.join()
        peak = sampler.stop()
        time.sleep(1)
        result["images_in_browser"] = shots
        result["server_mib"] = {"idle": round(idle / 2**20), "peak": round(peak / 2**20),
                                "after": round(_measure.tree_memory(server.pid) / 2**20)}
    result["tracebacks_in_server_log"] = log.read_text(errors="replace").count("Traceback")
    if not args.no_baseline:
        # the same requests against the server govwatch used to start by default
        with serving(db, "dashboard-load-devserver.log", "--dev-server") as (_, port, server,
                                                                                _log):
            one(port, "GET", "/", None)
            sampler = _measure.TreeSampler(server.pid, interval=0.05)
            sampler.start()
            result["http_dev_server_baseline"] = load(port, args.requests, args.concurrency,
                                                      first_script(port))
            result["http_dev_server_baseline"]["server_peak_mib"] = round(
                sampler.stop() / 2**20)
        result["http_ratio_waitress_over_dev_server"] = round(
            result["http"]["per_s"] / result["http_dev_server_baseline"]["per_s"], 2)
    result["kaleido_baseline"] = kaleido_baseline(db, args.kaleido_images)
    k, b = result["kaleido_baseline"].get("ms"), shots.get("ms")
    if k and b:
        result["image_ratio_kaleido_over_browser"] = round(k["median"] / max(b["median"], 1), 1)
    result["load_1min_end"] = os.getloadavg()[0]
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"results in {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
