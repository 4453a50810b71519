"""`govwatch audit`: check a tag on your own accounts' posts before you publish on it.

`audit sample` draws a blind, stratified coding sample from the store; `audit score`
reads it back, coded, and estimates the tag's precision and recall on every post of
the accounts sampled (analysis/audit.py says how).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli_common import account_arg, db_option, err, handle_errors, out, quiet_option
from .config import db_path

SHOW_STRATA = 20
BIG_SAMPLE = 5000
_SUMMARY = "Check a tag on your own accounts' posts: a blind coding sample, then its score."


@click.group(help=f"""{_SUMMARY}

The figures in docs/evaluation.md hold for the sets they were measured on. Before you
publish a statement that rests on a tag ("ignores critical issues"), code a sample of
your own accounts' posts and measure the tag on them:

\b
  1. govwatch audit sample --out coding.csv         (writes coding.csv and coding.key.csv)
  2. fill coding.csv's label column: 1 or 0 by docs/codebook.md, without opening the key
  3. govwatch audit score coding.csv
""", context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Example: govwatch audit sample --out coding.csv --db govwatch.duckdb")
def audit() -> None:
    pass


@audit.command(epilog="Example: govwatch audit sample --account x:MinRail --per-stratum 100 "
                      "--out coding.csv --db govwatch.duckdb")
@click.option("--tag", type=click.Choice(["critical", "needs_response", "deflection"]),
              default="critical", show_default=True, help="The tag to check.")
@click.option("--account", "accounts", multiple=True, metavar="PLATFORM:AUTHOR",
              help="Only this official account (repeat for several). [default: every official "
              "account]")
@click.option("--per-stratum", type=click.IntRange(min=1), default=100, show_default=True,
              help="Posts drawn from each stratum: each account's posts with the tag and "
              "without it (all of them where a stratum is smaller).")
@click.option("--by-account/--pooled", default=True, show_default=True,
              help="Strata per account (figures per account and pooled), or one pair of strata "
              "for all the officials sampled and one for the public (pooled figures, a "
              "smaller sample).")
@click.option("--include-public", is_flag=True,
              help="Also sample the public's posts: every post of an author not listed as "
              "official, or with --account the messages to those accounts (per platform "
              "unless --pooled; tag set or not). "
              "Their texts are personal data; their authors, ids and links are not written "
              "on the sheet.")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="The same store, options and seed draw the same sample.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True,
              help="The coding sheet (CSV). Its key is written beside it as NAME.key.csv.")
@click.option("--force", is_flag=True, help="Replace an existing sheet and key (a coded sheet "
              "is otherwise never overwritten).")
@click.option("--raw-csv", is_flag=True,
              help="Write cells unchanged. By default a text starting with = + - @, a tab or a "
              "carriage return gets a leading apostrophe so that spreadsheets do not run it "
              "as a formula.")
@quiet_option("No summary; errors only.")
@db_option
@handle_errors
def sample(tag, accounts, per_stratum, by_account, include_public, seed, out_path, force, raw_csv, quiet, db):
    """Draw a blind, stratified coding sample of posts from the store.

    Strata: each official account's posts with the tag and without it (and, with
    --include-public, the public's posts of each platform, or with --account the
    messages to those accounts). The sheet lists the drawn posts
    in a shuffled order with no tag and an empty label column; the key beside it
    holds each item's stratum, its size and the tag at the draw. Direct messages
    are never sampled.
    """
    from govwatch.analysis.audit import KEY_COLUMNS, SHEET_COLUMNS, csv_text, draw_sample, key_path

    from .errors import UsageError
    from .outputs import written
    from .store import Store

    sheet = Path(out_path)
    key = key_path(sheet)
    if not force:
        for path in (sheet, key):
            if path.exists():
                raise UsageError(f"{path} exists (a coded sheet is never overwritten); "
                                 "choose another --out or add --force")
    wanted = [account_arg(a) for a in accounts] or None
    with Store(db_path(db), read_only=True) as store:
        drawn = draw_sample(store.conn, tag, per_stratum, seed, wanted, include_public,
                            by_account)
    with written(key) as temp:
        temp.write_text(csv_text(drawn.key, KEY_COLUMNS, raw_csv), "utf-8")
    with written(sheet) as temp:
        temp.write_text(csv_text(drawn.sheet, SHEET_COLUMNS, raw_csv), "utf-8")
    if include_public:
        err.print("note: the sheet holds texts written by members of the public (personal "
                  "data); keep it as you keep the store")
    if len(drawn.sheet) > BIG_SAMPLE:
        err.print(f"note: {len(drawn.sheet):,} posts to code; --pooled, --account or a smaller "
                  "--per-stratum draw fewer")
    if len(drawn.model_versions) > 1:
        err.print(f"note: the posts were tagged by {len(drawn.model_versions)} model versions "
                  "(run 'govwatch analyze' to re-tag them all with the current one)")
    if quiet:
        return
    out.print(f"Drew {len(drawn.sheet):,} posts from {len(drawn.strata)} strata "
              f"(tag: {tag}, seed {seed}) into {sheet}; the key is {key}.")
    shown = list(drawn.strata.items())
    for name, (posts, n) in shown[:SHOW_STRATA]:
        out.print(f"  {name}: {n:,} of {posts:,}")
    if len(shown) > SHOW_STRATA:
        out.print(f"  ... and {len(shown) - SHOW_STRATA:,} more strata (the key lists them)")
    out.print(f"Fill the label column (1 = {tag}, 0 = not, blank = not coded) without opening "
              f"the key, then: govwatch audit score {sheet}")


def _pct(m: dict | None) -> str:
    if not m or m.get("estimate") is None:
        return "n/a" + (f" ({m['why']})" if m and m.get("why") else "")
    if m.get("low") is None:
        return f"{m['estimate']:.3f} [interval not defined]"
    return f"{m['estimate']:.3f} [{m['low']:.3f}, {m['high']:.3f}]"


def _lines(name: str, est: dict) -> list[str]:
    if not est.get("coded"):
        return [f"{name}: nothing coded"]
    m = est["measures"]
    lines = [f"{name}: {est['coded']:,} coded ({est['coded_positive']:,} coded 1), standing "
             f"for {est['posts']:,} posts"]
    for k in ("precision", "recall", "specificity", "balanced_accuracy", "macro_f1", "prevalence"):
        lines.append(f"  {k.replace('_', ' '):<18} {_pct(m[k])}")
    if est["uncoded_strata"]:
        lines.append("  not covered (no item coded): " + ", ".join(est["uncoded_strata"]))
    return lines


@audit.command(epilog="Example: govwatch audit score coding.csv --json coding-score.json")
@click.argument("sheet", type=click.Path(dir_okay=False))
@click.option("--key", "key", type=click.Path(dir_okay=False),
              help="The sample's key. [default: SHEET's name with .key.csv]")
@click.option("--current-tags", is_flag=True,
              help="Score the store's tags now (after a new 'govwatch analyze') instead of the "
              "tags at the draw.")
@click.option("--replicates", type=click.IntRange(min=100, max=100_000), default=2000,
              show_default=True, help="Draws for the intervals.")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="Seed of the draws.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write every figure, each stratum and the ids of the items where "
              "code and tag disagree as JSON.")
@quiet_option("Print nothing; with --json, write the file only.")
@db_option
@handle_errors
def score(sheet, key, current_tags, replicates, seed, json_path, quiet, db):
    """Score the tag against a coded sample.

    Estimates over every post of the sampled strata, each coded post weighted by its
    stratum's size over the posts coded in it: precision, recall, specificity,
    balanced accuracy, macro-F1 and the share of posts coded 1, each with a 95%
    interval; pooled and per account. Blank labels are skipped; a measure that rests
    on a stratum with nothing coded is not given.
    """
    from govwatch.analysis import audit as a

    from .errors import UsageError
    from .outputs import written
    from .store import Store

    sheet_path = Path(sheet)
    if json_path and Path(json_path).resolve() in {
            sheet_path.resolve(), (Path(key) if key else a.key_path(sheet_path)).resolve()}:
        raise UsageError("--json would overwrite the coding sheet or its key: name another file")
    keyed = a.read_key(Path(key) if key else a.key_path(sheet_path))
    current = None
    if current_tags:
        with Store(db_path(db), read_only=True) as store:
            current = a.current_tags(store.conn, keyed)
    coded = a.read_coded(sheet, key, current, keyed)
    result = a.score(coded, replicates, seed)
    result["tags_scored"] = "current" if current_tags else "at the draw"
    if json_path:
        with written(json_path) as temp:
            temp.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    if quiet:
        return
    out.print(f"Tag {result['tag']} ({result['tags_scored']}); "
              f"{result['not_coded']:,} items not coded were skipped.")
    for line in _lines("all sampled posts", result["pooled"]):
        out.print(line)
    if result["accounts"]:
        out.print("Per account (estimate [95% interval]):")
    for name, est in result["accounts"].items():
        if not est.get("coded"):
            out.print(f"  {name}: nothing coded")
            continue
        m = est["measures"]
        out.print(f"  {name}: {est['coded']:,} coded of {est['posts']:,} posts; precision "
                  f"{_pct(m['precision'])}, recall {_pct(m['recall'])}, balanced accuracy "
                  f"{_pct(m['balanced_accuracy'])}")
        if est["uncoded_strata"]:
            out.print("    not covered (nothing coded): " + ", ".join(est["uncoded_strata"]))
    d = result["disagreements"]
    out.print(f"Tagged but coded 0: {len(d['tagged_not_coded']):,}; coded 1 but not tagged: "
              f"{len(d['coded_not_tagged']):,}" + (" (ids in the JSON)" if json_path else ""))
