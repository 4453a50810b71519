"""Reader for the accounts CSV (DESIGN: "accounts CSV").

Columns: platform, author, institution, country, level, timezone
[, office_hours, display_name, institution_type]. Every listed account is official; everyone
else in the data is the public.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from govwatch.officehours import office_hours_problem
from govwatch.records import READER_ACCOUNT_COLUMNS, Batch, Reject, excerpt, institution_types
from govwatch.schema import LEVELS

from . import sniffers
from .base import Reader, ReadOptions
from .registry import register
from .tabular import RowChecker, iter_chunks

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = sniffers.ACCOUNTS_REQUIRED


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@register
class AccountsCSVReader(Reader):
    name = "accounts-csv"
    platform = None
    description = "official accounts CSV (platform, author, institution, country, level, timezone)"
    kind = "accounts"

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniffers.SNIFFERS["accounts-csv"](path, head)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        import pandas as pd

        seen: dict[tuple[str, str], tuple[int, tuple]] = {}  # (platform, handle) -> first
        for chunk in iter_chunks(path, REQUIRED, options.mapping, options.chunk_rows, progress):
            df = chunk.frame
            for col in ("office_hours", "display_name", "institution_type"):
                if col not in df:
                    df[col] = pd.Series(pd.NA, index=df.index, dtype="string")
            check = RowChecker(chunk)
            for col in ("platform", "author", "institution"):
                check.fail(df[col].isna(), f"{col} is empty")
            country = df["country"].str.upper()
            check.fail(
                ~country.str.fullmatch(r"[A-Z]{2}", na=False),
                "country must be an ISO 3166 alpha-2 code such as IN or ID",
            )
            level = df["level"].str.lower()
            check.fail(~level.isin(LEVELS), "level must be one of " + ", ".join(LEVELS))
            check.fail(
                ~df["timezone"].isin(_zones()),
                "timezone must be an IANA zone such as Asia/Kolkata",
            )
            oh = df["office_hours"].map(office_hours_problem).astype(str)
            check.fail(oh != "", oh)
            ok = ~check.bad
            out = pd.DataFrame(
                {
                    "platform": df["platform"][ok].str.lower(),
                    "author": df["author"][ok].str.lstrip("@"),
                    "display_name": df["display_name"][ok],
                    "official": True,
                    "institution": df["institution"][ok],
                    "country": country[ok],
                    "level": level[ok],
                    "timezone": df["timezone"][ok],
                    "office_hours": df["office_hours"][ok],
                    "institution_type": institution_types(df["institution_type"][ok]),
                }
            )
            again, conflicts = _repeated(out, chunk.lines[ok], seen)
            yield Batch(
                accounts=out[~again][list(READER_ACCOUNT_COLUMNS)].reset_index(drop=True),
                rejects=sorted(check.all_rejects("author") + conflicts,
                               key=lambda r: int(r.locator.split()[-1])),
                rows_read=chunk.rows_read,
            )


_COMPARED = ("institution", "country", "level", "timezone", "office_hours", "display_name",
             "institution_type")


def _repeated(out: pd.DataFrame, lines: pd.Series,
              seen: dict) -> tuple[pd.Series, list[Reject]]:
    """Rows naming an account listed before, its handle in any letter case (handles are
    case-insensitive on every platform): one account. A repeat that states the same is
    dropped; one whose attributes differ is rejected, naming them and the line kept."""
    import pandas as pd

    mask = pd.Series(False, index=out.index)
    rejects = []
    rows = zip(out.index, lines, out["platform"], out["author"],
               *(out[c] for c in _COMPARED), strict=True)
    for idx, line, platform, author, *cells in rows:
        values = tuple(None if pd.isna(v) else v for v in cells)
        key = (platform, author.lower())
        if key not in seen:
            seen[key] = (int(line), author, values)
            continue
        mask[idx] = True
        first, first_author, first_values = seen[key]
        differ = [f"{c} {b!r} (line {first}: {a!r})"
                  for c, a, b in zip(_COMPARED, first_values, values, strict=True) if a != b]
        if differ:
            rejects.append(Reject(
                f"line {int(line)}",
                f"{author} is the account {first_author} of line {first} (handles match in "
                f"any letter case), with another " + ", ".join(differ) + f"; line {first} is kept",
                excerpt(author)))
    return mask, rejects
