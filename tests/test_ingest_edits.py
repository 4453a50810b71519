"""A post edited between two exports: the later import's text is the post's text, the
earlier text is kept as a version, and the summary says how many posts changed."""

from __future__ import annotations

from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

HEADER = "platform,post_id,author,created_at,text\n"


def test_a_later_export_s_edit_wins_and_the_earlier_text_is_kept(tmp_path):
    first = tmp_path / "march.csv"
    first.write_text(HEADER + "x,1,a,2026-03-01T10:00:00Z,teh train is late\n"
                     "x,2,b,2026-03-01T11:00:00Z,unchanged\n", encoding="utf-8")
    later = tmp_path / "april.csv"
    later.write_text(HEADER + "x,1,a,2026-03-01T10:00:00Z,the train is late (edited)\n"
                     "x,2,b,2026-03-01T11:00:00Z,unchanged\n"
                     "x,3,c,2026-04-01T11:00:00Z,new\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [first])
        store.conn.execute("INSERT INTO tags (platform, post_id) VALUES ('x', '1'), ('x', '2')")
        f = import_paths(store, [later]).files[0]
        assert (f.posts_added, f.posts_merged, f.posts_changed) == (1, 2, 1)
        assert store.conn.execute("SELECT post_id, text FROM posts ORDER BY 1").fetchall() == [
            ("1", "the train is late (edited)"), ("2", "unchanged"), ("3", "new")]
        assert store.conn.execute(
            "SELECT platform, post_id, text, replaced_by_import FROM post_versions").fetchall() == [
            ("x", "1", "teh train is late", f.import_id)]
        # the edited post is tagged again by the next analysis; the other keeps its tags
        assert store.conn.execute("SELECT post_id FROM tags").fetchall() == [("2",)]


def test_the_summary_line_says_how_many_posts_changed(tmp_path):
    import subprocess
    import sys

    first = tmp_path / "a.csv"
    first.write_text(HEADER + "x,1,a,2026-03-01T10:00:00Z,before\n", encoding="utf-8")
    later = tmp_path / "b.csv"
    later.write_text(HEADER + "x,1,a,2026-03-01T10:00:00Z,after\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    for path in (first, later):
        out = subprocess.run([sys.executable, "-m", "govwatch", "ingest", str(path), "--db",
                              str(db), "-q"], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    assert ("1 stored post had another text (edited): the newer text kept (by the export's "
            "own time, else this import's), the other in post_versions") in out.stdout
