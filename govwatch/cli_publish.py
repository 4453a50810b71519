"""``govwatch publish``: a static site of the store's findings."""

from __future__ import annotations

import click

from .cli_common import db_option, handle_errors, out, quiet_option
from .config import db_path

VIEWS = ("overview", "accounts", "events", "compare", "methodology")


@click.command(epilog="Example: govwatch publish --out site --views overview,accounts,events "
               "--peer-group XA/national")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder for the site (created; an earlier site there is replaced).")
@click.option("--views", default=",".join(VIEWS), show_default=True,
              help="Comma-separated pages to publish: " + ", ".join(VIEWS) + " (methodology "
              "includes the codebook).")
@click.option("--peer-group", "groups", multiple=True, metavar="NAME",
              help="Publish only the accounts of this peer group, as the comparison pages "
              "name it (country/level, e.g. XA/national, or a peer set's name); repeat for "
              "several. An unknown name is refused with the store's groups.")
@quiet_option()
@db_option
@handle_errors
def publish(out_dir, views, groups, quiet, db):
    """Write a static site (HTML, charts, CSV downloads) for any static host.

    The overview, one page per official account, the events, one comparison page per
    peer group (country/level unless the analysis was given peer sets), the methodology
    and the codebook (--peer-group: only the chosen groups' accounts); charts use a
    local copy of plotly.js, so the pages make no request outside the site. Citizens
    are pseudonymised as in the dashboard. The same store gives the same bytes, so a
    weekly publication can be diffed.
    """
    from govwatch.dashboard.publish import publish as build

    chosen = tuple(v.strip() for v in views.split(",") if v.strip())
    files = build(db_path(db), out_dir, chosen, tuple(groups))
    pages = sum(1 for f in files if f.suffix == ".html")
    downloads = sum(1 for f in files if f.suffix == ".csv")
    if not quiet:
        out.print(f"Published {pages:,} pages and {downloads:,} CSV downloads to {out_dir} "
                  f"(open {out_dir}/index.html, or copy the folder to a static host).")
