"""``govwatch publish``: a static site of a store's findings, for any static host.

Pages (each chosen with ``views``): ``index.html`` (the overview: every official account
with its response rate, Kaplan-Meier median and selectivity gap, and the median chart),
``accounts/<slug>.html`` (one per official account: the dashboard's report sections),
``events.html`` (every event and how fast each official acknowledged it), ``compare/
<slug>.html`` (one per peer group: the group the analysis ranks an account in, by default
its country and level), ``methodology.html`` (the project's methodology text) and
``codebook.html`` (the columns of the CSV downloads). With ``groups``, the site covers only
the accounts of those peer groups: their overview rows, account pages, event
acknowledgements, comparison pages and CSV rows.

Everything is read through the dashboard's read-only data module and drawn by its pure
figure builders; nothing is recomputed. Charts use the dashboard's vendored plotly bundle,
copied once to ``assets/``: the site makes no request outside itself. Names and texts are
HTML-escaped; citizens appear only as counts (the data module pseudonymises them anyway);
every CSV cell that a spreadsheet would run as a formula (starting with = + - @, a tab or
a carriage return, and not a plain number) gets a leading apostrophe (govwatch.spreadsheet).
The same store gives the same bytes: no build time, chart ids derived from their page, rows
in a fixed order.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import os
import re
from pathlib import Path

import pandas as pd

from govwatch import DEFINITION_VERSION, __version__, spreadsheet
from govwatch.errors import UsageError
from govwatch.outputs import written_folder

from .data import POPULATION_LABELS, DashboardData, Filters, Missing
from .figures import (
    Chart,
    event_chart,
    export_board,
    fmt_gap,
    fmt_median,
    fmt_rate,
    median_chart,
    median_chart_empty,
    rate_label,
)
from .report import _CSS, _metrics_table, _note, _peer_table, _table, account_latency_chart

VIEWS = ("overview", "accounts", "events", "compare", "methodology")
METHODOLOGY = Path(__file__).resolve().parents[1] / "docs" / "methodology.md"
_SITE_CSS = _CSS + (
    "nav{display:flex;gap:16px;flex-wrap:wrap;padding:8px 0;border-bottom:1px solid #c9c9c9}"
    "a{color:#0b5394}footer{margin-top:40px;border-top:1px solid #c9c9c9}"
)

CODEBOOK = {
    "platform": "Platform of the account (bluesky, mastodon, x, ...).",
    "official_author": "The official account's handle as the platform names it.",
    "institution": "The institution the accounts CSV names for the account.",
    "country": "ISO 3166 alpha-2 country of the account.",
    "level": "national, state or local.",
    "messages": "Inbound messages counted (population in the file name).",
    "answered": "Messages answered by the account (first reply after the message).",
    "answered_rate_7d": "Share answered within 7 days among messages observed for 7 days.",
    "km_median_hours": "Kaplan-Meier median hours to response (unanswered are censored).",
    "km_median_ci_low": "Lower bound of the 95% confidence interval of the median.",
    "km_median_ci_high": "Upper bound of the 95% confidence interval of the median.",
    "km_median_reached": "False when under half were answered: the median is '> follow-up'.",
    "max_followup_hours": "Longest time any message was observed.",
    "naive_median_hours": "Median of answered messages only (biased; shown for comparison).",
    "too_few": "True when there are fewer messages than the minimum: figures read 'too few'.",
    "selectivity_gap": "Response rate on routine minus on critical messages.",
    "gap_ci_low": "Lower bound of the bootstrap 95% confidence interval of the gap.",
    "gap_ci_high": "Upper bound of the bootstrap 95% confidence interval of the gap.",
    "composite_index": "Composite index among peers (weights in the methodology).",
}


def slug(text: str) -> str:
    """A file name for ``text``: lower-case words, and a short hash so two names never
    collide."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "x"
    return f"{words}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:6]}"


def csv_text(frame: pd.DataFrame) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([spreadsheet.cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        w.writerow(["" if v is None or (not isinstance(v, str) and pd.isna(v))
                    else spreadsheet.cell(v if isinstance(v, str) else _plain(v)) for v in row])
    return buf.getvalue()


def _plain(value: object) -> str:
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _e(value) -> str:
    return html.escape("–" if value is None else str(value))


def peer_group(board: pd.DataFrame) -> pd.Series:
    """Each account's peer group: the one the analysis ranked it in (``peer_group`` of the
    benchmarks: "country/level" by default, or a named peer set), else its country/level."""
    own = (board["peer_group"].astype(object) if "peer_group" in board.columns
           else pd.Series([None] * len(board), index=board.index, dtype=object))
    fallback = [f"{c}/{lv}" if isinstance(c, str) and isinstance(lv, str) else None
                for c, lv in zip(board["country"], board["level"], strict=True)]
    return pd.Series([g if isinstance(g, str) and g else f for g, f in
                      zip(own, fallback, strict=True)], index=board.index, dtype=object)


class Site:
    def __init__(self, d: DashboardData, out: Path, views: tuple[str, ...],
                 groups: tuple[str, ...] = ()):
        self.d = d
        self.out = out
        self.views = views
        self.groups = groups  # publish only these peer groups' accounts (empty: all)
        self.written: list[Path] = []

    # -------------------------------------------------------------- writing

    def write(self, rel: str, text: str) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        self.written.append(path)

    def page(self, rel: str, title: str, body: str) -> None:
        depth = rel.count("/")
        up = "../" * depth
        links = [("index.html", "Overview")] if "overview" in self.views else []
        if "events" in self.views:
            links.append(("events.html", "Events"))
        if "methodology" in self.views:
            links += [("methodology.html", "Methodology"), ("codebook.html", "Codebook")]
        nav = "".join(f'<a href="{up}{href}">{_e(name)}</a>' for href, name in links)
        self.write(rel, (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}: govwatch</title><style>{_SITE_CSS}</style>"
            f"<script src=\"{up}assets/plotly-basic.min.js\"></script></head><body>"
            f"<header><nav aria-label=\"Site\">{nav}</nav><h1>{_e(title)}</h1></header>"
            f"<main>{body}</main><footer>{self.provenance()}</footer></body></html>\n"))

    def chart(self, chart: Chart, page: str, n: int = 0) -> str:
        div_id = f"chart-{slug(page)}-{n}"
        fig = chart.figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                                   config={"displaylogo": False, "responsive": True,
                                           "staticPlot": False})
        data = chart.data.head(200)
        table = _table(data) if not data.empty else ""
        return (f"<section><h2>{_e(chart.title)}</h2><figure>{fig}<figcaption>"
                f"{_e(chart.summary)}</figcaption></figure>"
                + (f"<details><summary>Data</summary>{table}</details>" if table else "")
                + "</section>")

    def provenance(self) -> str:
        run = self.d.run_info()
        parts = [f"Store {self.d.path.name}"]
        end = run.get("observed_until")
        parts.append(f"observation end {end:%Y-%m-%d %H:%M} UTC" if end is not None
                     else "observation end: not analysed")
        parts.append(f"metric definitions v{run.get('definition_version') or DEFINITION_VERSION}")
        parts.append(f"published by govwatch {__version__}")
        return (f"<p class=\"muted\">{_e(' · '.join(parts))}. Unanswered messages are "
                "censored at the observation end, never dropped; medians are Kaplan-Meier "
                "estimates with 95% confidence intervals. Citizens are pseudonymised.</p>")

    # -------------------------------------------------------------- pages

    def board(self, filters: Filters) -> pd.DataFrame:
        board = self.d.leaderboard(filters)
        board = board.assign(site_group=peer_group(board))
        if self.groups:
            board = board[board["site_group"].isin(self.groups)]
        return board.sort_values(["platform", "author"], kind="stable").reset_index(drop=True)

    def _export(self, board: pd.DataFrame) -> pd.DataFrame:
        return export_board(board.drop(columns=["site_group"]))

    def overview(self) -> None:
        population = self.d.options().default_population
        board = self.board(Filters(population=population))
        rows = pd.DataFrame({
            "Account": [_account_link(r, "accounts" in self.views)
                        for r in board.to_dict("records")],
            "Country": board["country"].fillna("–"),
            "Level": board["level"].fillna("–"),
            "Messages": [f"{int(v):,}" for v in board["messages"]],
            rate_label(self.d.window_hours()): ["too few" if few else fmt_rate(v)
                                                for v, few in zip(
                board["answered_rate_7d"], board["too_few"], strict=True)],
            "Median time to response (95% CI)": [
                "too few" if r.get("median_too_few") else fmt_median(
                    r["km_median_hours"], r["km_median_ci_low"], r["km_median_ci_high"],
                    r["max_followup_hours"]) for r in board.to_dict("records")],
            "Selectivity gap": [
                "too few" if r.get("gap_too_few") is True else
                fmt_gap(r.get("selectivity_gap"), r.get("gap_ci_low"), r.get("gap_ci_high"))
                for r in board.to_dict("records")],
        })
        csv_name = f"data/accounts-{population}.csv"
        self.write(csv_name, csv_text(self._export(board)))
        chart = (median_chart(board, self.d.min_n) if len(board) else median_chart_empty())
        groups = self.peer_groups(board) if "compare" in self.views else []
        compare = "".join(
            f'<li><a href="compare/{slug(g)}.html">{_e(g)}</a></li>' for g in groups)
        among = (f" of the peer group{'s' if len(self.groups) > 1 else ''} "
                 f"{', '.join(self.groups)}" if self.groups else "")
        body = (f"<p>{_e(POPULATION_LABELS.get(population, population))} sent to "
                f"{len(board):,} official accounts{_e(among)}. <a href=\"{csv_name}\" "
                "download>Download this table (CSV)</a>.</p>" + _html_table(rows)
                + self.chart(chart, "index")
                + (f"<section><h2>Peer comparisons</h2><ul>{compare}</ul></section>"
                   if compare else ""))
        self.page("index.html", "Do governments answer?", body)

    def _officials(self) -> pd.DataFrame:
        """The official accounts the site covers (those of the chosen peer groups)."""
        officials = self.d.officials()
        if not self.groups:
            return officials
        board = self.board(Filters(population=self.d.options().default_population))
        keep = set(zip(board["platform"], board["author"], strict=True))
        return officials[[(p, a) in keep for p, a in
                          zip(officials["platform"], officials["author"], strict=True)]]

    def accounts(self) -> None:
        for acc in self._officials().sort_values(["platform", "author"]).to_dict("records"):
            name = acc["institution"] or acc["display_name"]
            rel = f"accounts/{slug(acc['platform'] + '-' + acc['author'])}.html"
            sections = [
                f"<p class=\"muted\">@{_e(acc['author'])} on {_e(acc['platform'])} · country "
                f"{_e(acc['country'] or '–')} · level {_e(acc['level'] or '–')}</p>",
                f"<section><h2>Responsiveness</h2>{_metrics_table(self.d, acc)}</section>",
                f"<section><h2>Compared with peers</h2>{_peer_table(self.d, acc)}</section>",
                self.chart(account_latency_chart(self.d, acc), rel),
            ]
            self.page(rel, str(name), "".join(sections))

    def events(self) -> None:
        evs = self.d.events()
        if evs.empty:
            self.page("events.html", "Events", "<p>No events in this store.</p>")
            return
        parts = []
        for n, ev in enumerate(evs.to_dict("records")):
            ack = self.d.table("event_acknowledgements", event_id=ev["event_id"])
            head = (f"<p>Onset {ev['onset']:%Y-%m-%d %H:%M} UTC · "
                    f"{'critical' if ev['critical'] else 'not critical'} · country "
                    f"{_e(ev['country'] or 'all')}</p>")
            if isinstance(ack, Missing):
                parts.append(f"<section><h2>{_e(ev['name'])}</h2>{head}{_note(ack.message)}"
                             "</section>")
                continue
            if self.groups:
                ack = ack[ack["official_author"].isin(set(self._officials()["author"]))]
            parts.append(self.chart(event_chart(self._labelled(ack, ev), ev["name"]),
                                    "events", n).replace("</h2>", "</h2>" + head, 1))
        self.page("events.html", "Events", "".join(parts))

    def _labelled(self, ack: pd.DataFrame, ev: dict) -> pd.DataFrame:
        o = self.d.officials()[["platform", "author", "institution"]].rename(
            columns={"author": "official_author"})
        on = ["platform", "official_author"] if "platform" in ack.columns else ["official_author"]
        ack = ack.merge(o.drop(columns=[] if "platform" in ack.columns else ["platform"])
                        .drop_duplicates(on), on=on, how="left")
        ack["label"] = [f"{i} (@{a})" if isinstance(i, str) else f"@{a}"
                        for i, a in zip(ack["institution"], ack["official_author"], strict=True)]
        end = self.d.run_info().get("observed_until")
        if "observed_hours" not in ack.columns:
            ack["observed_hours"] = ((pd.Timestamp(end) - pd.Timestamp(ev["onset"]))
                                     .total_seconds() / 3600 if end is not None else None)
        if "public_latency_hours" not in ack.columns:
            ack["public_latency_hours"] = pd.NA
        ack["censored"] = ack["censored"].fillna(True).astype(bool)
        return ack.sort_values(["official_author"], kind="stable").reset_index(drop=True)

    @staticmethod
    def peer_groups(board: pd.DataFrame) -> list[str]:
        return sorted({g for g in board["site_group"] if isinstance(g, str)})

    def compare(self) -> None:
        population = self.d.options().default_population
        everyone = self.board(Filters(population=population))
        for group in self.peer_groups(everyone):
            board = everyone[everyone["site_group"] == group].reset_index(drop=True)
            rel = f"compare/{slug(group)}.html"
            csv_name = f"{slug(group)}.csv"
            self.write(f"compare/{csv_name}", csv_text(self._export(board)))
            chart = median_chart(board, self.d.min_n) if len(board) else median_chart_empty()
            body = (f"<p>Official accounts of the peer group {_e(group)} (the group the "
                    "analysis ranks them in: country/level unless peer sets were given). "
                    f"<a href=\"{csv_name}\" download>Download (CSV)</a>.</p>"
                    + self.chart(chart, rel))
            self.page(rel, f"Peers: {group}", body)

    def methodology(self) -> None:
        text = METHODOLOGY.read_text("utf-8") if METHODOLOGY.is_file() else None
        body = markdown_html(text) if text else _note(
            "The methodology document is not installed with this copy of govwatch; see "
            "docs/methodology.md in the project's source.")
        self.page("methodology.html", "Methodology", body)
        rows = pd.DataFrame({"Column": list(CODEBOOK), "Meaning": list(CODEBOOK.values()),
                             "Definitions": [f"v{DEFINITION_VERSION}"] * len(CODEBOOK)})
        self.write("data/codebook.csv", csv_text(rows))
        self.page("codebook.html", "Codebook of the CSV downloads",
                  "<p>Every CSV of this site has these columns (numbers, not display text). "
                  "<a href=\"data/codebook.csv\" download>Download (CSV)</a>.</p>"
                  + _html_table(rows))


def _account_link(row: dict, linked: bool) -> str:
    name = f"{row.get('institution') or row['author']} (@{row['author']}, {row['platform']})"
    if not linked:
        return _e(name)
    href = f"accounts/{slug(row['platform'] + '-' + row['author'])}.html"
    return f'<a href="{href}">{_e(name)}</a>'


def _html_table(frame: pd.DataFrame) -> str:
    """A table whose "Account" cells are already HTML (escaped links); others escaped."""
    head = "".join(f"<th scope=\"col\">{_e(c)}</th>" for c in frame.columns)
    rows = []
    for r in frame.to_dict("records"):
        cells = [v if c == "Account" else _e(v) for c, v in r.items()]
        rows.append("<tr>" + "".join(f"<td>{v}</td>" for v in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def markdown_html(text: str) -> str:
    """The methodology's markdown as plain, escaped HTML: headings (one level below the
    page's h1), paragraphs and list items; code and emphasis marks are kept as text."""
    out: list[str] = []
    para: list[str] = []
    in_list = False

    def flush() -> None:
        nonlocal in_list
        if para:
            out.append(f"<p>{_e(' '.join(para))}</p>")
            para.clear()
        if in_list:
            out.append("</ul>")
            in_list = False

    for line in text.splitlines():
        stripped = line.strip()
        m = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if m:
            flush()
            level = min(len(m.group(1)) + 1, 6)
            out.append(f"<h{level}>{_e(m.group(2))}</h{level}>")
        elif re.match(r"^([-*]|\d+\.)\s+", stripped):
            if para:
                out.append(f"<p>{_e(' '.join(para))}</p>")
                para.clear()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_e(re.sub(r'^([-*]|[0-9]+[.])[ ]+', '', stripped))}</li>")
        elif not stripped:
            flush()
        elif in_list:
            out[-1] = out[-1][:-5] + " " + _e(stripped) + "</li>"
        else:
            para.append(stripped)
    flush()
    return "".join(out)


def publish(db_path: str | os.PathLike, out_dir: str | os.PathLike,
            views: tuple[str, ...] = VIEWS, groups: tuple[str, ...] = ()) -> list[Path]:
    """Write the site for the store at ``db_path`` into ``out_dir`` (created; a folder
    that is not empty must hold an earlier site: its files are replaced). With ``groups``
    (peer group names, as the comparison pages name them), only those groups' accounts are
    published. Returns the files written, in order."""
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        raise UsageError(f"unknown view(s) {', '.join(unknown)}; choose from {', '.join(VIEWS)}")
    out = Path(out_dir)
    if out.is_dir() and any(out.iterdir()) and not (out / "assets" / "plotly-basic.min.js").exists():
        raise UsageError(f"{out} is a folder that is not empty and holds no govwatch site; "
                         "give a new or empty folder")
    d = DashboardData(db_path).open()
    try:
        if not d.run_info():
            raise UsageError(f"{db_path}: the store has no analysis yet: run 'govwatch "
                             "analyze' before publishing")
        groups = tuple(dict.fromkeys(groups))
        # built beside its place and swapped in whole: a site that cannot be written
        # leaves the earlier one as it was (govwatch/outputs.py); a request naming an
        # unknown peer group is refused before anything is written
        if groups:
            # a site without groups: one with them sees only their accounts' groups
            probe = Site(d, out, tuple(v for v in VIEWS if v in views))
            known = probe.peer_groups(probe.board(Filters(
                population=d.options().default_population)))
            unknown = [g for g in groups if g not in known]
            if unknown:
                raise UsageError(f"no peer group {', '.join(map(repr, unknown))} in "
                                 f"{db_path}; its peer groups: {', '.join(known) or 'none'}")
        with written_folder(out) as temp:
            site = Site(d, temp, tuple(v for v in VIEWS if v in views), groups)
            bundle = Path(__file__).parent / "assets" / "plotly-basic.min.js"
            site.write("assets/plotly-basic.min.js", bundle.read_text("utf-8"))
            for view in site.views:
                getattr(site, view)()
    finally:
        d.close()
    return [out / p.relative_to(temp) for p in site.written]
