"""`govwatch audit`: a blind, stratified coding sample drawn from a real store, and the
stratified estimates of a tag's measures read back from the coded sheet."""

from __future__ import annotations

import csv
import json
import shutil

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner
from govwatch.analysis import audit

from govwatch.cli import cli
from govwatch.errors import InputError


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def drawn(sample_cli_store, tmp_path):
    """A sample of 15 posts a stratum of the analysed sample store, and its key."""
    sheet = tmp_path / "coding.csv"
    r = _run("audit", "sample", "--per-stratum", "15", "--out", str(sheet),
             "--db", str(sample_cli_store))
    assert r.exit_code == 0, r.output
    return sheet, tmp_path / "coding.key.csv"


def test_sample_is_blind_stratified_and_drawn_from_the_store(drawn, sample_cli_store):
    sheet, key = drawn
    rows, keys = _rows(sheet), _rows(key)
    assert list(rows[0]) == list(audit.SHEET_COLUMNS)
    assert list(keys[0]) == list(audit.KEY_COLUMNS)
    # the coder sees no tag and no stratum
    assert not {"tag", "tag_at_draw", "stratum", "critical"} & set(rows[0])
    assert all(r["label"] == "" for r in rows)
    assert [r["item"] for r in rows] == [k["item"] for k in keys]
    con = duckdb.connect(str(sample_cli_store), read_only=True)
    truth = {(p, i): (bool(c), a) for p, i, c, a in con.execute(
        "SELECT t.platform, t.post_id, t.critical, p.author FROM tags t JOIN posts p "
        "USING (platform, post_id)").fetchall()}
    officials = {(p, a.lower()) for p, a in con.execute(
        "SELECT platform, author FROM accounts WHERE official").fetchall()}
    sizes = {}
    for k in keys:
        critical, author = truth[(k["platform"], k["post_id"])]
        # officials' posts only (no --include-public), each in its account's stratum,
        # with the tag it has in the store
        assert (k["platform"], author.lower()) in officials
        assert k["stratum"] == f"{k['platform']}:{author}|{'tagged' if critical else 'untagged'}"
        assert k["tag_at_draw"] == str(int(critical))
        sizes.setdefault(k["stratum"], []).append(int(k["stratum_posts"]))
    for stratum, posts in sizes.items():
        platform, _, rest = stratum.partition(":")
        author, _, state = rest.partition("|")
        n = con.execute(
            "SELECT count(*) FROM posts p JOIN tags t USING (platform, post_id) WHERE "
            "p.platform = ? AND p.author = ? AND t.critical = ? AND trim(p.text) <> ''",
            [platform, author, state == "tagged"]).fetchone()[0]
        assert set(posts) == {n}
        assert len(posts) == min(n, 15)
    # the order is shuffled: not grouped by stratum
    order = [k["stratum"] for k in keys]
    assert order != sorted(order)


def test_same_seed_same_sample_and_a_coded_sheet_is_never_overwritten(drawn, sample_cli_store,
                                                                      tmp_path):
    sheet, key = drawn
    before = sheet.read_text("utf-8")
    r = CliRunner().invoke(cli, ["audit", "sample", "--per-stratum", "15", "--out", str(sheet),
                                 "--db", str(sample_cli_store)])
    assert r.exit_code == 2 and "never overwritten" in r.output
    assert sheet.read_text("utf-8") == before
    again = tmp_path / "again.csv"
    assert _run("audit", "sample", "--per-stratum", "15", "--out", str(again),
                "--db", str(sample_cli_store)).exit_code == 0
    assert again.read_text("utf-8") == before
    other = tmp_path / "other.csv"
    assert _run("audit", "sample", "--per-stratum", "15", "--seed", "7", "--out", str(other),
                "--db", str(sample_cli_store)).exit_code == 0
    assert other.read_text("utf-8") != before


def test_public_posts_only_when_asked_and_without_author_or_link(sample_cli_store, tmp_path):
    sheet = tmp_path / "pub.csv"
    r = _run("audit", "sample", "--pooled", "--include-public", "--per-stratum", "30",
             "--out", str(sheet), "--db", str(sample_cli_store))
    assert r.exit_code == 0
    keys = _rows(tmp_path / "pub.key.csv")
    assert {k["stratum"] for k in keys} == {"officials|tagged", "officials|untagged",
                                           "public|tagged", "public|untagged"}
    public = {k["item"] for k in keys if k["stratum"].startswith("public")}
    rows = [r for r in _rows(sheet) if r["item"] in public]
    assert len(rows) == 60
    assert all(r["account"] == "" and r["url"] == "" and r["post_id"] == "" and r["text"]
               for r in rows)
    assert all(k["post_id"] for k in keys)


def test_hand_computed_stratified_estimates():
    # stratum A|tagged: 10 posts, 4 coded (3 critical); A|untagged: 100 posts, 5 coded (1)
    coded = audit.Coded(
        stratum=["A|tagged"] * 4 + ["A|untagged"] * 5,
        truth=np.array([1, 1, 1, 0, 1, 0, 0, 0, 0], bool),
        pred=np.array([1, 1, 1, 1, 0, 0, 0, 0, 0], bool),
        strata={"A|tagged": (10, 4), "A|untagged": (100, 5)})
    m = audit.estimate(coded, replicates=500)["measures"]
    # weighted cells: TP 3*10/4 = 7.5, FP 2.5, FN 1*100/5 = 20, TN 80
    assert m["precision"]["estimate"] == 0.75
    assert m["recall"]["estimate"] == round(7.5 / 27.5, 4)
    assert m["specificity"]["estimate"] == round(80 / 82.5, 4)
    assert m["prevalence"]["estimate"] == 0.25
    assert m["balanced_accuracy"]["estimate"] == round((7.5 / 27.5 + 80 / 82.5) / 2, 4)
    for name in ("precision", "recall", "specificity"):
        assert m[name]["low"] < m[name]["estimate"] < m[name]["high"]
    # no 1 coded among the untagged stratum's 5: recall is 1.0, but not for certain
    none = audit.Coded(["A|tagged"] * 4 + ["A|untagged"] * 5,
                       np.array([1, 1, 1, 0, 0, 0, 0, 0, 0], bool),
                       np.array([1, 1, 1, 1, 0, 0, 0, 0, 0], bool),
                       {"A|tagged": (10, 4), "A|untagged": (100, 5)})
    r = audit.estimate(none, replicates=2000)["measures"]["recall"]
    assert r["estimate"] == 1.0 and r["low"] < 0.5 and r["high"] == 1.0
    # an untagged stratum with nothing coded: precision stands, recall is not given
    half = audit.Coded(["A|tagged"] * 4, np.array([1, 1, 1, 0], bool), np.ones(4, bool),
                       {"A|tagged": (10, 4), "A|untagged": (100, 5)})
    h = audit.estimate(half, replicates=500)
    assert h["measures"]["precision"]["estimate"] == 0.75
    assert h["measures"]["recall"]["estimate"] is None
    assert "A|untagged" in h["measures"]["recall"]["why"]
    assert h["uncoded_strata"] == ["A|untagged"] and h["posts"] == 10
    # scored on the store's tags now, precision needs every stratum coded as well
    half.current = True
    assert audit.estimate(half, replicates=500)["measures"]["precision"]["estimate"] is None
    # a stratum coded whole has no sampling error
    whole = audit.Coded(["B|tagged"] * 4, np.array([1, 1, 0, 1], bool), np.ones(4, bool),
                        {"B|tagged": (4, 4)})
    p = audit.estimate(whole, replicates=200)["measures"]["precision"]
    assert p["low"] == p["high"] == p["estimate"] == 0.75


def test_score_reads_the_coded_sheet(drawn, tmp_path):
    sheet, key = drawn
    rows, keys = _rows(sheet), {k["item"]: k for k in _rows(key)}
    # the coder agrees with the tag except on every fifth item; every seventh of those in
    # strata of 5 or more drawn is left blank (every stratum keeps a coded post)
    def blank(i):
        return i % 7 == 3 and int(keys[rows[i]["item"]]["stratum_drawn"]) >= 5

    for i, r in enumerate(rows):
        tag = int(keys[r["item"]]["tag_at_draw"])
        r["label"] = "" if blank(i) else str(1 - tag if i % 5 == 0 else tag)
    _write(sheet, rows)
    out = tmp_path / "score.json"
    run = _run("audit", "score", str(sheet), "--json", str(out), "--replicates", "200")
    assert run.exit_code == 0, run.output
    result = json.loads(out.read_text("utf-8"))
    blanks = sum(1 for i in range(len(rows)) if blank(i))
    assert result["not_coded"] == blanks
    pooled = result["pooled"]
    assert pooled["coded"] == len(rows) - blanks
    flipped = [r["item"] for i, r in enumerate(rows) if not blank(i) and i % 5 == 0]
    d = result["disagreements"]
    assert sorted(d["tagged_not_coded"] + d["coded_not_tagged"]) == sorted(flipped)
    # the pooled estimate recomputed from the strata by hand
    w_cells = np.zeros(4)
    for stratum, s in result["strata"].items():
        coded = [(r, keys[r["item"]]) for i, r in enumerate(rows)
                 if not blank(i) and keys[r["item"]]["stratum"] == stratum]
        if not coded:
            continue
        for r, k in coded:
            t, p = r["label"] == "1", k["tag_at_draw"] == "1"
            cell = 0 if t and p else 1 if p else 2 if t else 3  # tp, fp, fn, tn
            w_cells[cell] += s["posts"] / len(coded)
    tp, fp, fn, tn = w_cells
    assert pooled["measures"]["precision"]["estimate"] == pytest.approx(tp / (tp + fp), abs=1e-4)
    assert pooled["measures"]["recall"]["estimate"] == pytest.approx(tp / (tp + fn), abs=1e-4)
    assert pooled["posts"] == sum(s["posts"] for s in result["strata"].values() if s["coded"])
    assert set(result["accounts"]) == {s.rpartition("|")[0] for s in result["strata"]}
    assert "precision" in run.output and "Per account" in run.output


def test_current_tags_are_read_from_the_store(drawn, sample_cli_store, tmp_path):
    sheet, key = drawn
    rows, keys = _rows(sheet), {k["item"]: k for k in _rows(key)}
    for r in rows:
        r["label"] = keys[r["item"]]["tag_at_draw"]
    _write(sheet, rows)
    # a copy of the store where one tagged post sampled has lost its tag
    store = tmp_path / "copy.duckdb"
    shutil.copy(sample_cli_store, store)
    item = next(k for k in keys.values() if k["tag_at_draw"] == "1")
    con = duckdb.connect(str(store))
    con.execute("UPDATE tags SET critical = false WHERE platform = ? AND post_id = ?",
                [item["platform"], item["post_id"]])
    con.close()
    at_draw, now = tmp_path / "a.json", tmp_path / "b.json"
    assert _run("audit", "score", str(sheet), "--json", str(at_draw), "-q").exit_code == 0
    assert _run("audit", "score", str(sheet), "--current-tags", "--db", str(store),
                "--json", str(now), "-q").exit_code == 0
    a, b = json.loads(at_draw.read_text()), json.loads(now.read_text())
    assert a["disagreements"]["coded_not_tagged"] == []
    assert b["disagreements"]["coded_not_tagged"] == [item["item"]]
    assert b["tags_scored"] == "current"
    assert b["pooled"]["measures"]["recall"]["estimate"] < 1.0


def test_bad_sheets_name_the_file_line_and_reason(drawn, tmp_path):
    sheet, key = drawn
    rows = _rows(sheet)
    rows[4]["label"] = "maybe"
    _write(sheet, rows)
    with pytest.raises(InputError) as exc:
        audit.read_coded(sheet)
    assert exc.value.locator == "line 6" and "'maybe' is not 1 or 0" in exc.value.reason
    r = CliRunner().invoke(cli, ["audit", "score", str(sheet)])
    assert r.exit_code == 1 and "coding.csv: line 6: label 'maybe'" in r.output
    rows[4]["label"] = ""
    rows[5]["item"] = "Z999"
    _write(sheet, rows)
    with pytest.raises(InputError, match="item 'Z999' is not in the key"):
        audit.read_coded(sheet)
    for r in rows:
        r["label"] = ""
    rows[5] = dict(rows[6])
    _write(sheet, rows)
    with pytest.raises(InputError, match="line 8: item .* is on the sheet twice"):
        audit.read_coded(sheet)
    _write(sheet, rows[:5])
    with pytest.raises(InputError, match="no item is coded yet"):
        audit.read_coded(sheet)
    key.unlink()
    with pytest.raises(InputError, match="the key of the coding sheet is not there"):
        audit.read_coded(sheet)


def test_a_key_edited_or_of_another_sample_is_refused(drawn, sample_cli_store, tmp_path):
    sheet, key = drawn
    rows, keys = _rows(sheet), _rows(key)
    rows[0]["label"] = "1"
    _write(sheet, rows)
    for change, message in (
            (lambda ks: ks[0].update(tag="critical FROM tags; --"), "line 2: tag 'critical FROM"),
            (lambda ks: ks[1].update(item=ks[0]["item"]), "line 3: item .* is in the key twice"),
            (lambda ks: ks[0].update(stratum_posts="3"), "line 2: stratum .* is not a sample"),
            (lambda ks: ks[0].update(stratum_drawn="abc"), "must be whole numbers"),
            (lambda ks: ks.append({**ks[0], "item": "A999", "stratum_posts": "999999"}),
             "another size here than on its first line"),
            (lambda ks: ks.pop(), "says .* drawn but lists"),
            (lambda ks: ks[0].update(tag_at_draw=""), "tag_at_draw is empty")):
        edited = [dict(k) for k in keys]
        change(edited)
        _write(key, edited)
        with pytest.raises(InputError, match=message):
            audit.read_coded(sheet)
    key.write_text(",".join(audit.KEY_COLUMNS) + "\n", "utf-8")
    with pytest.raises(InputError, match="lists no item"):
        audit.read_coded(sheet)
    # the key of another draw: its sample id, and the post ids, tell
    _write(key, keys)
    other = tmp_path / "seven.csv"
    assert _run("audit", "sample", "--per-stratum", "15", "--seed", "7", "--out", str(other),
                "--db", str(sample_cli_store), "-q").exit_code == 0
    with pytest.raises(InputError, match="the sheet is of sample"):
        audit.read_coded(sheet, tmp_path / "seven.key.csv")
    for r in rows:
        r["sample"] = ""
    _write(sheet, rows)
    with pytest.raises(InputError, match="not this sheet's key"):
        audit.read_coded(sheet, tmp_path / "seven.key.csv")


def test_sheets_saved_by_spreadsheets_are_read(drawn, tmp_path):
    sheet, key = drawn
    rows = _rows(sheet)
    rows[0]["label"], rows[1]["label"] = "yes", "0"
    with open(sheet, "w", newline="", encoding="utf-8-sig") as f:  # BOM, ";" between cells
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=";")
        w.writeheader()
        w.writerows(rows)
        f.write(";;;;;;;;;;\n")  # an empty row at the end
    coded = audit.read_coded(sheet)
    assert list(coded.truth) == [True, False] and coded.skipped == len(rows) - 2
    sheet.write_bytes(sheet.read_bytes().replace(b"\n", b"\n\xe9", 3)[:400] + b"\n")
    with pytest.raises(InputError, match="not UTF-8 text") as exc:
        audit.read_coded(sheet)
    assert exc.value.locator == "line 2"


def test_json_never_overwrites_the_sheet(drawn):
    sheet, key = drawn
    rows = _rows(sheet)
    rows[0]["label"] = "1"
    _write(sheet, rows)
    before = sheet.read_text("utf-8")
    for target in (sheet, key):
        r = CliRunner().invoke(cli, ["audit", "score", str(sheet), "--json", str(target)])
        assert r.exit_code == 2 and "would overwrite" in r.output
    assert sheet.read_text("utf-8") == before


def test_an_account_spelt_in_other_cases_is_one_stratum_pair(sample_cli_store, tmp_path):
    store = tmp_path / "case.duckdb"
    shutil.copy(sample_cli_store, store)
    con = duckdb.connect(str(store))
    platform, author = con.execute(
        "SELECT platform, author FROM accounts WHERE official ORDER BY author LIMIT 1").fetchone()
    con.execute("UPDATE posts SET author = upper(author) WHERE platform = ? AND author = ? "
                "AND hash(post_id) % 2 = 0", [platform, author])
    con.close()
    sheet = tmp_path / "case.csv"
    assert _run("audit", "sample", "--account", f"{platform}:{author}", "--out", str(sheet),
                "--db", str(store), "-q").exit_code == 0
    keys = _rows(tmp_path / "case.key.csv")
    assert {k["stratum"].rpartition("|")[0] for k in keys} == {f"{platform}:{author}"}
    assert {r["account"] for r in _rows(sheet)} == {author}


def test_formula_texts_are_written_safe(sample_cli_store, tmp_path):
    store = tmp_path / "f.duckdb"
    shutil.copy(sample_cli_store, store)
    con = duckdb.connect(str(store))
    platform, post_id = con.execute(
        "SELECT p.platform, p.post_id FROM posts p JOIN accounts a ON a.official "
        "AND a.platform = p.platform AND a.author = p.author ORDER BY p.post_id LIMIT 1").fetchone()
    con.execute("UPDATE posts SET text = '=HYPERLINK(\"http://x\")' WHERE platform = ? "
                "AND post_id = ?", [platform, post_id])
    con.close()
    sheet = tmp_path / "s.csv"
    assert _run("audit", "sample", "--per-stratum", "100000", "--out", str(sheet),
                "--db", str(store), "-q").exit_code == 0
    texts = {r["post_id"]: r["text"] for r in _rows(sheet)}
    assert texts[post_id] == "'=HYPERLINK(\"http://x\")"


def test_nothing_tagged_or_unknown_account_is_a_usage_error(sample_cli_store, tmp_path):
    r = CliRunner().invoke(cli, ["audit", "sample", "--account", "x:nobody", "--out",
                                 str(tmp_path / "s.csv"), "--db", str(sample_cli_store)])
    assert r.exit_code == 2 and "no official account x:nobody" in r.output
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "s.key.csv").exists()
    empty = tmp_path / "empty.duckdb"
    from govwatch.store import Store

    Store(empty).close()
    r = CliRunner().invoke(cli, ["audit", "sample", "--out", str(tmp_path / "e.csv"),
                                 "--db", str(empty)])
    assert r.exit_code == 2 and "run 'govwatch analyze' first" in r.output


def test_a_larger_sample_with_the_same_seed_holds_the_smaller_one(sample_cli_store, tmp_path):
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    for path, n in ((small, "10"), (large, "25")):
        assert _run("audit", "sample", "--per-stratum", n, "--out", str(path),
                    "--db", str(sample_cli_store), "-q").exit_code == 0
    ids = [{(r["platform"], r["post_id"]) for r in _rows(p)} for p in (small, large)]
    assert ids[0] < ids[1]


@pytest.mark.shared
def test_score_agrees_with_the_evaluation_of_the_official_timeline_set(shared_data, repo,
                                                                       tmp_path):
    """The official timeline development set was drawn with this design (300 of the 413
    posts an earlier version tagged, 150 of the 7,108 it did not): scored through a sheet
    and key, it gives evaluate_tags.py's weighted figures."""
    import importlib.util

    from govwatch.analysis.classifiers import PostTagger

    spec = importlib.util.spec_from_file_location("evaluate_tags",
                                                  repo / "benchmarks" / "evaluate_tags.py")
    ev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ev)
    coded = ev.load_critical(shared_data, "handcoded_critical_official_dev.csv")
    pred = PostTagger().fit([]).predict(coded["text"].tolist())["critical"].to_numpy(bool)
    sheet, key = tmp_path / "dev.csv", tmp_path / "dev.key.csv"
    sheet_rows, key_rows = [], []
    for (_, row), tag in zip(coded.iterrows(), pred, strict=True):
        posts, drawn = {"official-tagged": (413, 300),
                        "official-untagged": (7108, 150)}[row["stratum"]]
        sheet_rows.append({"item": row["item"], "label": int(row["critical"])})
        key_rows.append({"sample": "dev", "item": row["item"], "platform": "x", "post_id": row["native_id"],
                         "stratum": f"politician|{row['stratum']}", "stratum_posts": posts,
                         "stratum_drawn": drawn, "tag": "critical", "tag_at_draw": int(tag),
                         "model_version": "", "seed": 0})
    _write(sheet, sheet_rows)
    _write(key, key_rows)
    got = audit.score(audit.read_coded(sheet), replicates=200)["pooled"]["measures"]
    want = ev.eval_official_dev(shared_data)
    for name in ("precision", "recall", "specificity"):
        assert got[name]["estimate"] == pytest.approx(want[name], abs=1e-4), name
        assert got[name]["low"] < got[name]["estimate"] < got[name]["high"], name


def test_public_messages_of_the_accounts_asked_for(sample_cli_store, tmp_path):
    con = duckdb.connect(str(sample_cli_store), read_only=True)
    platform, author, n = con.execute(
        "SELECT platform, official_author, count(DISTINCT message_id) FROM responses "
        "GROUP BY ALL ORDER BY 3 DESC, 2 LIMIT 1").fetchone()
    to_it = {i for (i,) in con.execute(
        "SELECT message_id FROM responses WHERE platform = ? AND official_author = ?",
        [platform, author]).fetchall()}
    texts = {i for (i,) in con.execute(
        r"SELECT post_id FROM posts WHERE platform = ? AND regexp_matches(text, '\S')",
        [platform]).fetchall()}
    con.close()
    sheet = tmp_path / "to.csv"
    assert _run("audit", "sample", "--account", f"{platform}:{author}", "--include-public",
                "--per-stratum", "1000000", "--out", str(sheet), "--db",
                str(sample_cli_store), "-q").exit_code == 0
    keys = _rows(tmp_path / "to.key.csv")
    public = {k["post_id"] for k in keys if k["stratum"].startswith(f"{platform}:public")}
    assert public == to_it & texts and len(public) > 10
    assert all(k["stratum"].split("|")[0] in (f"{platform}:{author}", f"{platform}:public")
               for k in keys)
