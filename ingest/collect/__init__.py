"""``govwatch collect``: fetch public posts and replies from the open platforms' APIs.

Responses are saved first, one JSON Lines file per request family in the platform's own
format (state.py), and then imported with the readers that read such files by hand
(ingest/bluesky.py, ingest/mastodon.py, ingest/youtube.py, ingest/telegram_preview.py): a collection is re-importable, auditable and
shareable without collecting again.
"""

from .base import Settings, Target, parse_handle, read_targets
from .http import HttpClient
from .run import RunSummary, collect, raw_files

__all__ = ["HttpClient", "RunSummary", "Settings", "Target", "collect", "parse_handle",
           "raw_files", "read_targets"]
