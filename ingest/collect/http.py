"""A polite JSON-over-HTTP client for the collectors (standard library ``urllib``).

Every request carries an identifying User-Agent and a timeout. A 429 or a 5xx (and a
network error) is retried with exponential backoff and full jitter; the wait honours the
server's ``Retry-After`` (seconds or an HTTP date) and its rate-limit reset headers
(``ratelimit-reset`` on Bluesky: epoch seconds; ``X-RateLimit-Reset`` on Mastodon: an
ISO 8601 time) when it says when the window reopens. When a response says no requests
remain in the window, the next request waits for the reset instead of earning a 429.
A wait is capped at ``max_wait`` seconds; after ``retries`` failed attempts the request
fails with :class:`~govwatch.errors.CollectError`, carrying the server's own message.

Only the request family (``getAuthorFeed``, ``statuses``...) is named in messages, never
its parameters: a parameter may be a member of the public's handle or post.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from govwatch import __version__
from govwatch.errors import CollectError

USER_AGENT = (
    f"govwatch/{__version__} (+https://github.com/govwatch/govwatch; research collector "
    "of public posts)"
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Response:
    status: int
    body: object  # parsed JSON
    text: str  # the body exactly as received (UTF-8)
    headers: dict[str, str]


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    by_status: dict[int, int] = field(default_factory=dict)

    def count(self, status: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1


def _reset_delay(headers: dict[str, str], now: float) -> float | None:
    """Seconds until the rate-limit window reopens, from Retry-After or a reset header."""
    retry_after = headers.get("retry-after")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(retry_after) if retry_after else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now)
    for name in ("ratelimit-reset", "x-ratelimit-reset"):
        value = headers.get(name)
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:
                return max(0.0, datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
                           - now)
            except ValueError:
                continue
        # Epoch seconds (Bluesky) or, per the IETF draft, seconds left in the window.
        return max(0.0, number - now) if number > 1e9 else max(0.0, number)
    return None


def server_message(body: object, text: str) -> str:
    """The server's own explanation of an error, short."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):  # Google's shape
        body = body["error"]
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "message", "error_description")
                 if body.get(k) and not isinstance(body[k], (dict, list))]
        if parts:
            return ": ".join(dict.fromkeys(parts))[:300]
    return text.strip().replace("\n", " ")[:300] or "(empty response)"


class HttpClient:
    def __init__(
        self,
        timeout: float = 30.0,
        retries: int = 6,
        base_delay: float = 1.0,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        headers: dict[str, str] | None = None,
        rng: random.Random | None = None,
    ):
        self.timeout = timeout
        self.retries = retries
        self.base_delay = base_delay
        self.max_wait = max_wait
        self.sleep = sleep
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self.rng = rng or random.Random()
        self.stats = HttpStats()
        self._not_before = 0.0  # a window known to be exhausted reopens at this time

    def _wait(self, seconds: float) -> None:
        seconds = min(seconds, self.max_wait)
        if seconds > 0:
            self.stats.waited_seconds += seconds
            self.sleep(seconds)

    def get(self, url: str, params: dict | None, account: str, request: str,
            ok_statuses: frozenset[int] = frozenset(), html: bool = False,
            headers: dict[str, str] | None = None) -> Response:
        """GET ``url`` with ``params``; the parsed response, retrying what can be retried.

        A status in ``ok_statuses`` (e.g. 404 for a deleted post) is returned, not raised.
        With ``html``, an HTML page is asked for and returned as text (``body`` is None).
        ``headers`` are added to this request only (an access token: never logged)."""
        query = urllib.parse.urlencode(
            [(k, v) for k, v in (params or {}).items() if v is not None], doseq=True
        )
        full = f"{url}?{query}" if query else url
        attempt = 0
        while True:
            now = time.time()
            if self._not_before > now:
                self._wait(self._not_before - now)
            self.stats.requests += 1
            status, text, got, failure = self._once(full, html, headers)
            self.stats.count(status)
            body: object = None
            if text and not html:
                try:
                    body = json.loads(text)
                except json.JSONDecodeError:
                    body = None
            if failure is None and 200 <= status < 300 and body is None and not html:
                failure = "the response is not JSON"
            self._note_window(got)
            if failure is None and (200 <= status < 300 or status in ok_statuses):
                return Response(status, body, text, got)
            retryable = (failure is not None and status == 0) or status in RETRY_STATUSES
            reason = failure or f"HTTP {status}: {server_message(body, text)}"
            if not retryable or attempt >= self.retries:
                tries = f" (after {attempt + 1} attempts)" if attempt else ""
                raise CollectError(account, request, reason + tries)
            attempt += 1
            self.stats.retries += 1
            backoff = self.rng.uniform(0, self.base_delay * 2 ** (attempt - 1))  # full jitter
            now = time.time()
            told = _reset_delay(got, now) if status in (429, 503) else None
            # One wait covers the backoff, the server's word and a closed window.
            self._wait(max(backoff, told or 0.0, self._not_before - now))
            self._not_before = 0.0

    def _note_window(self, headers: dict[str, str]) -> None:
        remaining = headers.get("ratelimit-remaining") or headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.strip() in ("0", "0.0"):
            delay = _reset_delay({k: v for k, v in headers.items() if k != "retry-after"},
                                 time.time())
            if delay:
                self._not_before = time.time() + min(delay, self.max_wait)

    def _once(self, url: str, html: bool = False, extra: dict[str, str] | None = None
              ) -> tuple[int, str, dict[str, str], str | None]:
        """(status, body text, lower-cased headers, network failure or None)."""
        headers = {**self.headers, **({"Accept": "text/html"} if html else {}), **(extra or {})}
        request = urllib.request.Request(url, headers=headers, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                data = resp.read()
                return resp.status, data.decode("utf-8", "replace"), _lower(resp.headers), None
        except urllib.error.HTTPError as exc:
            try:
                data = exc.read()
            except OSError:
                data = b""
            return exc.code, data.decode("utf-8", "replace"), _lower(exc.headers), None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return 0, "", {}, f"network error: {reason}"


def _lower(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers.items() if headers is not None else [])}
