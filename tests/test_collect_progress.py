"""``govwatch collect``'s progress bar, on a real pseudo-terminal (the pty module) and not.

On a terminal each account gets a bar (rich) that ends marked done, the cursor the bar hid
is shown again, and the summary follows on a line of its own; also when the run is stopped
with Ctrl-C. With -q, or when stderr is not a terminal, no bar and no control sequence is
written (one plain line per account and stage instead, without -q).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable

import pytest
from test_collect import server, sigint_handling, start_govwatch  # noqa: F401

HIDE, SHOW = b"\x1b[?25l", b"\x1b[?25h"
BAR = "━".encode()


def _env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM", "CI")}
    env["TERM"] = "xterm-256color"
    return env


def run_on_pty(args: list, interrupt_when: Callable[[], bool] | None = None,
               seconds: float = 300, stop_seconds: float = 120) -> tuple[int, bytes]:
    """Run the command line with stdin, stdout and stderr on a new pseudo-terminal of
    120 x 40; what it wrote there, and its exit status. With ``interrupt_when``, Ctrl-C
    (SIGINT) is sent once it returns true: a condition on what the run has done, not a
    time, so a slow start on a busy machine cannot turn it into an interrupted import.
    The run is killed and the test failed, with what it wrote, when it has not ended
    within ``seconds``, or ``stop_seconds`` after the Ctrl-C."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = start_govwatch(args, stdin=slave, stdout=slave, stderr=slave, env=_env(),
                          close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline, why = time.monotonic() + seconds, f"{seconds:.0f} s"
    try:
        while time.monotonic() < deadline:
            if interrupt_when is not None and interrupt_when():
                proc.send_signal(signal.SIGINT)
                interrupt_when = None
                deadline = min(deadline, time.monotonic() + stop_seconds)
                why = f"{stop_seconds:.0f} s after Ctrl-C (its SIGINT handling: " \
                      f"{sigint_handling(proc.pid)})"
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    try:
        return proc.wait(timeout=max(0.0, deadline - time.monotonic()) + 5), b"".join(chunks)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"the command was still running {why}; killed. It wrote:\n"
                    + b"".join(chunks).decode("utf-8", "replace"))


def args_for(srv, tmp_path, *extra) -> list:
    return ["collect", "--out", tmp_path / "coll", "--db", tmp_path / "s.duckdb",
            "--bluesky-api", srv.url, "--mastodon-api", srv.url, "bluesky:health.gov.example",
            "mastodon:health@social.gov.example", *extra]


def test_bar_on_a_terminal_renders_and_ends_cleanly(server, tmp_path):  # noqa: F811
    srv = server(bluesky=["health.gov.example"], mastodon=["health@social.gov.example"],
                 posts=40, replies=200)
    code, shown = run_on_pty(args_for(srv, tmp_path))
    assert code == 0, shown.decode("utf-8", "replace")
    assert BAR in shown and HIDE in shown  # a live bar was drawn
    for account in (b"bluesky:health.gov.example done", b"mastodon:health@social.gov.example "
                    b"done"):
        assert account in shown  # each account's bar ends marked done
    assert SHOW in shown, "the cursor the bar hid is never shown again"
    last_show = shown.rindex(SHOW)
    assert shown.rindex(HIDE) < last_show  # the cursor is shown again after the last frame
    tail = shown[last_show:]
    assert b"requests (" in tail and b"Imported " in tail  # the summary comes after the bar
    assert BAR not in tail and tail.endswith(b"\r\n")  # on lines of its own, ended


def test_bar_stopped_by_ctrl_c_restores_the_terminal(server, tmp_path):  # noqa: F811
    srv = server(bluesky=["health.gov.example"], posts=40, replies=200)
    srv.get("/_control/hold?after=3")  # the run waits on its 4th request
    try:
        code, shown = run_on_pty(["collect", "--out", tmp_path / "coll", "--db",
                                  tmp_path / "s.duckdb", "--bluesky-api", srv.url,
                                  "bluesky:health.gov.example"],
                            interrupt_when=lambda: srv.held() >= 1)
    finally:
        srv.get("/_control/release")
    assert code == 1, shown.decode("utf-8", "replace")
    assert BAR in shown and SHOW in shown
    assert shown.rindex(HIDE) < shown.rindex(SHOW)
    assert b"Interrupted. Everything fetched so far is saved" in shown[shown.rindex(SHOW):]


def test_quiet_or_not_a_terminal_writes_no_bar(server, tmp_path):  # noqa: F811
    srv = server(bluesky=["health.gov.example"], mastodon=["health@social.gov.example"],
                 posts=10, replies=30)
    code, shown = run_on_pty(args_for(srv, tmp_path, "-q"))
    assert code == 0, shown.decode("utf-8", "replace")
    assert BAR not in shown and HIDE not in shown and b"\x1b[" not in shown
    assert b"requests (" in shown  # the summary is still there
    piped = subprocess.run([sys.executable, "-m", "govwatch.cli",
                            *map(str, args_for(srv, tmp_path))], capture_output=True,
                           env=_env(), timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert b"\x1b[" not in piped.stderr + piped.stdout and BAR not in piped.stderr
    lines = piped.stderr.decode("utf-8").splitlines()
    assert "• bluesky:health.gov.example" in lines and "• mastodon:health@social.gov.example" \
        in lines  # one plain line per account, and per stage
    assert "  bluesky:health.gov.example: timeline" in lines
