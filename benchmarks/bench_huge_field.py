"""Memory of importing a posts CSV that holds one huge field.

    python benchmarks/bench_huge_field.py                # a 40 MB field, 3 pairs
    python benchmarks/bench_huge_field.py --mb 50 --pairs 5

A row longer than the reader's limit is rejected and read past in pieces, never held
whole. This measures it: ``govwatch ingest`` of a small posts CSV with one row whose
text is ``--mb`` megabytes, paired with the same file whose long row is just over the
limit (1.1 MB), which takes the same reject path (A B A B ..., ``_measure.paired``). It
reports the peak memory of each side (the process tree's PSS, sampled) and the
difference, which should stay far below the field's size. Then it runs the huge file
once more under an address-space cap of what the baseline file needs plus a quarter of
the field's size (``--cap-extra``), which fails if the field were ever held whole. The
cap counts address space, not resident memory, so "what the baseline needs" is the
smallest cap it imports under, found by bisection to 16 MiB. Not a test: nothing here
asserts.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _measure  # noqa: E402

ROWS = "".join(f"x,{i},a,2026-01-0{i}T00:00:00Z,hello {i}\n" for i in range(1, 6))
HEADER = "platform,post_id,author,created_at,text\n"


def _govwatch() -> str:
    return shutil.which("govwatch") or str(Path(sys.executable).with_name("govwatch"))


def _ingest(path: Path, db: Path, log: Path, limit: int | None = None) -> _measure.Measurement:
    db.unlink(missing_ok=True)
    return _measure.run([_govwatch(), "ingest", path, "--format", "csv", "--db", db, "-q"],
                        log=log, ok=(0, 3), limit_bytes=limit)


def _imports_under(path: Path, work: Path, limit: int) -> bool:
    """Whether ``path`` imports under an address-space cap of ``limit`` (a run that hangs
    for a minute under the cap, as a library may when a thread cannot start, counts as no)."""
    db = work / "probe.duckdb"
    db.unlink(missing_ok=True)
    try:
        done = subprocess.run([_govwatch(), "ingest", str(path), "--format", "csv", "--db", str(db),
                               "-q"], capture_output=True, timeout=60,
                              preexec_fn=_measure._preexec(None, limit))
    except subprocess.TimeoutExpired:
        return False
    return done.returncode in (0, 3)


def _smallest_cap(path: Path, work: Path) -> int:
    """The smallest RLIMIT_AS (to 16 MiB) under which ``path`` imports."""
    low, high = 128 * 2**20, 8 * 2**30
    while high - low > 16 * 2**20:
        mid = (low + high) // 2
        if _imports_under(path, work, mid):
            high = mid
        else:
            low = mid
    return high


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=40, help="size of the huge field in MB")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--cap-extra", type=float, default=0.25,
                    help="the capped run may use what the baseline needs + this share of the field")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="gw-huge-") as tmp:
        work = Path(tmp)
        small, huge = work / "small.csv", work / "huge.csv"
        lines = ROWS.splitlines(keepends=True)
        for path, size in ((small, 1_100_000), (huge, args.mb * 1_000_000)):
            big_row = f"x,99,a,2026-01-09T00:00:00Z,{'y' * size}\n"
            path.write_text(HEADER + "".join(lines[:3]) + big_row + "".join(lines[3:]),
                            encoding="utf-8")
        _measure.warm(huge)
        result = _measure.paired(
            lambda: _ingest(huge, work / "huge.duckdb", work / "huge.log"),
            lambda: _ingest(small, work / "small.duckdb", work / "small.log"),
            pairs=args.pairs)
        peaks_huge = [m.peak_rss_bytes for m in result.ours]
        peaks_small = [m.peak_rss_bytes for m in result.base]
        grew = [h - s for h, s in zip(peaks_huge, peaks_small, strict=True)]
        print(f"# one {args.mb} MB field in a 6-row posts CSV ({_measure.machine_load()})")
        print(f"peak, {args.mb} MB field:      {_measure.fmt_spread(_measure.spread([p / 2**20 for p in peaks_huge]), '.0f')} MiB")
        print(f"peak, 1.1 MB field:     {_measure.fmt_spread(_measure.spread([p / 2**20 for p in peaks_small]), '.0f')} MiB")
        print(f"difference (pairwise):  {_measure.fmt_spread(_measure.spread([g / 2**20 for g in grew]), '.0f')} MiB "
              f"for a field of {args.mb * 1e6 / 2**20:.0f} MiB")
        floor = _smallest_cap(small, work)
        print(f"smallest address-space cap the 1.1 MB file imports under: {_measure.mib(floor)}")
        cap = floor + int(args.cap_extra * args.mb * 1_000_000)
        if not _imports_under(huge, work, cap):
            print(f"the {args.mb} MB field under a cap of {_measure.mib(cap)}: FAILED")
            return 1
        print(f"the {args.mb} MB field under a cap of {_measure.mib(cap)}: imported")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
