"""One walk over the reader registry (every shipped reader, the way a third party's would be)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from govwatch.ingest import registry
from govwatch.ingest.base import SNIFF_BYTES, Reader

FIX = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]

# reader name -> (where, relative path): a sample of its own format
SAMPLES = {
    "csv": ("repo", "sample_data/small/posts.csv"),
    "accounts-csv": ("repo", "sample_data/small/accounts.csv"),
    "x-archive": ("repo", "tests/fixtures/twitter/x_archive"),
    "twitter-v1": ("repo", "tests/fixtures/twitter/handwritten_v1.jsonl"),
    "twitter-v2": ("shared", "twarc2_api_v2_jsonl/brexit.jsonl"),
    "facebook": ("repo", "tests/fixtures/facebook/your_posts_1.json"),
    "crowdtangle": ("repo", "tests/fixtures/crowdtangle/historical_pages.csv"),
    "meta-content-library": ("repo", "tests/fixtures/crowdtangle/content_library_posts.csv"),
    "telegram": ("repo", "tests/fixtures/telegram/channel_export/result.json"),
    "telegram-preview": ("repo", "tests/fixtures/telegram_preview/citywater.html"),
    "youtube": ("repo", "tests/fixtures/youtube/commentThreads_page1.json"),
    "mastodon-archive": ("shared", "mastodon_outbox/outbox.json"),
    "mastodon-api": ("repo", "tests/fixtures/mastodon_api/context.json"),
    "bluesky": ("repo", "tests/fixtures/bluesky/author_feed.json"),
    "open311": ("repo", "tests/fixtures/channels/open311_requests.json"),
    "open311-csv": ("repo", "tests/fixtures/channels/open311_requests.csv"),
    "tickets-csv": ("repo", "tests/fixtures/channels/tickets.csv"),
    "google-play": ("shared", "bpcl_hellobpcl_playstore/raw_reviews.csv"),
    "google-play-json": ("repo", "tests/fixtures/channels/play_reviews.json"),
    "app-store": ("repo", "tests/fixtures/channels/appstore_customer_reviews.json"),
    "tweet-repr": ("shared", "india_railways_twitter/dt.txt"),
    "bluesky-records": ("shared", "bluesky_twitwi_fixtures/bluesky-firehose-posts.json"),
    "keepiton-xlsx": ("shared", "shutdowns_keepiton_sflc/Keepiton_raw_dataset.xlsx"),
    "outages-json": ("shared", "shutdowns_keepiton_sflc/sflc_shutdowns.json"),
    "outages-csv": ("repo", "tests/fixtures/channels/outages.csv"),
    "x-dms": ("repo", "tests/fixtures/dms/x_archive"),
    "facebook-messages": ("repo", "tests/fixtures/dms/facebook_inbox"),
    "instagram": ("repo", "tests/fixtures/instagram/media_comments.json"),
}
# Readers that never claim a file by sniffing (they need to be told).
NEVER_SNIFFED = {"mapped"}


def _resolve(where: str, rel: str, shared: Path | None) -> Path | None:
    if where == "repo":
        return REPO / rel
    return shared / rel if shared else None


def _head(path: Path) -> bytes:
    if path.is_dir():
        return b""
    with open(path, "rb") as f:
        return f.read(SNIFF_BYTES)


def test_every_reader_is_described_and_has_a_sample():
    readers = registry.readers()
    assert len(readers) >= 14
    for name, reader in readers.items():
        assert isinstance(reader, Reader)
        assert reader.name == name
        assert reader.description and reader.kind in ("posts", "accounts", "outages")
        assert name in SAMPLES or name in NEVER_SNIFFED, f"{name} has no sample in this walk"


def test_sniff_is_true_on_own_sample_and_false_on_the_others(request):
    shared = None
    try:
        shared = request.getfixturevalue("shared_data")
    except pytest.skip.Exception:
        shared = None
    readers = registry.readers()
    samples = {n: _resolve(w, r, shared) for n, (w, r) in SAMPLES.items()}
    samples = {n: p for n, p in samples.items() if p is not None}
    assert {"csv", "x-archive", "telegram", "youtube", "bluesky"} <= set(samples)
    for sample_name, path in samples.items():
        assert path.exists(), path
        claimed = sorted(n for n, r in readers.items() if r.sniff(path, _head(path)))
        assert claimed == [sample_name], f"{path}: claimed by {claimed}"
        assert registry.sniff(path).name == sample_name, path


def test_auto_format_picks_the_same_reader(tmp_path):
    path = REPO / SAMPLES["telegram"][1]
    assert registry.sniff(path).name == "telegram"
    empty = tmp_path / "empty.json"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(Exception, match="the file is empty"):
        registry.sniff(empty)


def test_each_shipped_format_is_listed_as_its_reader_class_describes_it():
    """The registry's table (what `govwatch formats` shows without importing a reader)
    names each shipped reader's module, platform, kind and description as the class does."""
    shipped = {name: r for name, r in registry.readers().items()
               if type(r).__module__.startswith("govwatch.ingest.")}
    assert {name: registry.ReaderInfo(type(r).__module__, r.platform, r.kind, r.description,
                                      name not in NEVER_SNIFFED)
            for name, r in shipped.items()} == registry.BUILTIN_READERS


def test_sniffing_does_not_import_a_reader_that_never_sniffs(tmp_path):
    """`--format auto` skips (without importing) the readers that must be named."""
    code = ("import sys; from pathlib import Path; from govwatch.ingest import registry; "
            f"print(registry.sniff(Path({str(REPO / SAMPLES['telegram'][1])!r})).name, "
            "'govwatch.ingest.mapped' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout.split()
    assert out == ["telegram", "False"]


def test_listing_the_formats_imports_no_reader():
    """`govwatch formats` lists every format from the registry's table: no reader module,
    pandas or pyarrow is imported."""
    code = ("import sys; from govwatch.ingest import registry; from govwatch.cli import main; "
            "sys.argv = ['govwatch', 'formats']\n"
            "try:\n main()\nexcept SystemExit:\n pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('govwatch.ingest.', 'pandas', "
            "'pyarrow', 'rich.progress'))), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, check=True)
    assert done.stderr.strip() == "['govwatch.ingest.registry']"
    listed = {line.split()[0] for line in done.stdout.splitlines()}
    assert listed == set(registry.BUILTIN_READERS)
    assert "tickets-csv            (per row)  complaint tickets CSV" in done.stdout


def test_a_registered_third_party_reader_is_in_the_catalogue():
    class Extra(Reader):
        name, platform, description = "extra-test-format", "extra", "a test reader"

        def sniff(self, path, head):
            return False

        def read(self, path, options, progress=None):
            return iter(())

    registry.register(Extra)
    try:
        info = registry.catalogue()["extra-test-format"]
        assert (info.module, info.platform, info.kind, info.description) == (
            __name__, "extra", "posts", "a test reader")
        assert registry.catalogue()["csv"] == registry.BUILTIN_READERS["csv"]
    finally:
        registry._READERS.pop("extra-test-format")


def test_naming_a_format_imports_only_its_reader():
    """`ingest --format twitter-v2` must not pay for importing the other readers."""
    code = ("import sys; from govwatch.ingest import registry; r = registry.get('twitter-v2'); "
            "print(r.name, sorted(m for m in sys.modules if m.startswith('govwatch.ingest.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True).stdout
    name, loaded = out.split(" ", 1)
    assert name == "twitter-v2"
    assert "govwatch.ingest.twitter_json" in loaded
    assert not any(f"'{m}'" in loaded for m in registry.BUILTIN_MODULES
                   if m != "govwatch.ingest.twitter_json")


def test_every_sniffing_format_has_a_test_that_imports_no_reader():
    """ingest/sniffers.py holds the test of each shipped format that claims files by
    sniffing (and imports no reader module)."""
    from govwatch.ingest.sniffers import SNIFFERS

    assert set(SNIFFERS) == {n for n, info in registry.BUILTIN_READERS.items() if info.sniffs}
    code = ("import sys; import govwatch.ingest.sniffers; "
            "print(sorted(m for m in sys.modules if m.startswith('govwatch.ingest.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    assert not any(f"'{m}'" in out for m in registry.BUILTIN_MODULES), out


_V2_LINE = ('{"data": [{"id": "1", "text": "hello", "author_id": "2", '
            '"created_at": "2026-01-01T00:00:00.000Z"}], '
            '"includes": {"users": [{"id": "2", "username": "someone", "name": "S"}]}}\n')


@pytest.mark.parametrize(("name", "module"), [
    ("twitter-v2", "govwatch.ingest.twitter_json"),
    ("csv", "govwatch.ingest.csv_posts"),
    ("telegram", "govwatch.ingest.telegram"),
])
def test_ingest_with_format_auto_imports_only_the_chosen_reader(tmp_path, name, module):
    """`govwatch ingest --format auto` costs what naming the format costs: of the shipped
    reader modules, only the one that reads the file is imported."""
    if name == "twitter-v2":
        path = tmp_path / "tweets.jsonl"
        path.write_text(_V2_LINE, encoding="utf-8")
    else:
        path = REPO / SAMPLES[name][1]
    code = ("import sys; from govwatch.cli import main\n"
            f"sys.argv = ['govwatch', 'ingest', '--format', 'auto', {str(path)!r}, "
            f"'--db', {str(tmp_path / 'g.duckdb')!r}]\n"
            "try:\n main()\nexcept SystemExit as e:\n code = e.code\n"
            "print(code, sorted(m for m in sys.modules if m.startswith('govwatch.ingest.')), "
            "file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, check=True)
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(("0 ", "None ")), done.stderr
    loaded = {m for m in registry.BUILTIN_MODULES if f"'{m}'" in last}
    assert loaded == {module}, last


def test_a_registered_reader_is_sniffed_beside_the_shipped_ones(tmp_path):
    """A reader that is not shipped is still sniffed with its own sniff(): chosen when it
    alone claims a file, named when it and a shipped reader both do."""
    class Claims(Reader):
        name, platform, description = "claims-test-format", "extra", "a test reader"

        def sniff(self, path, head):
            return path.suffix in (".claims", ".csv")

        def read(self, path, options, progress=None):
            return iter(())

    mine = tmp_path / "posts.claims"
    mine.write_text("anything\n", encoding="utf-8")
    registry.register(Claims)
    try:
        assert registry.sniff(mine).name == "claims-test-format"
        with pytest.raises(Exception, match=r"ambiguous \(csv, claims-test-format\)"):
            registry.sniff(REPO / SAMPLES["csv"][1])
    finally:
        registry._READERS.pop("claims-test-format")
