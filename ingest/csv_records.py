"""CSV rows as dicts keyed by canonical column names, for the readers that build records row
by row (tickets, app reviews): the header renamed by ``--mapping`` and the reader's own
aliases, then each row checked by :func:`govwatch.ingest.tabular.checked_rows`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from govwatch.errors import InputError
from govwatch.records import Reject

from .base import ReadOptions, open_text
from .tabular import checked_rows, csv_records, header_row


def read_records(path: Path, options: ReadOptions, aliases: dict[str, str],
                 required: tuple[str, ...], progress: Callable[[int], None] | None = None,
                 hint: str = "") -> Iterator[tuple[int, dict | Reject, list[str]]]:
    """(first line, row as a dict or a Reject, the row's fields) for each non-blank row.
    An InputError names the required columns the header lacks."""
    with open_text(path, progress) as f:
        source, reader = csv_records(f)
        header = header_row(path, reader)
        renamed = (options.mapping.get(h.strip(), h.strip()) for h in header)
        names = [aliases.get(n.lower(), n.lower()) for n in renamed]
        missing = [c for c in required if c not in names]
        if missing:
            raise InputError(path, "missing required column(s): " + ", ".join(missing) + hint,
                             "line 1")
        for start, row in checked_rows(source, reader, len(names), "as in the header"):
            if isinstance(row, Reject):
                yield start, row, []
            else:
                yield start, dict(zip(names, row, strict=True)), row
