"""Write govwatch/store_schema.sql: the script a new store is built from.

    .venv/bin/python scripts/gen_store_schema.py

It replays every migration on an empty store and writes out the tables they leave
(``govwatch.schema.snapshot_sql``). Run it after adding a migration; tests/test_store.py
checks that a store built from the script equals one the migrations built, and that the
script is at the latest schema version.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from govwatch.schema import SNAPSHOT_FILE, snapshot_sql
from govwatch.store import Store

OUT = Path(__file__).resolve().parents[1] / "govwatch" / SNAPSHOT_FILE


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "replayed.duckdb", snapshot=False) as store:
            text = snapshot_sql(store.conn)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
