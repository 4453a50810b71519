"""`govwatch check`: evaluate alert rules on an analysed store and write a digest.

Exit status: 0 no rule fired; 4 at least one alert; 1 failure; 2 usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import account_arg, db_option, handle_errors, out, quiet_option
from .config import db_path

EXIT_ALERTS = 4


@click.command(epilog="Example: govwatch check --critical-hours 48 --format html --out digest.html "
                      "--db govwatch.duckdb")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="YAML file of thresholds (critical_hours, event_hours, rate_drop, "
              "baseline_weeks, min_messages, lookback_days, population, rules); options "
              "given on the command line win.")
@click.option("--critical-hours", type=click.FloatRange(min=0), default=None,
              help="Fire when a critical message is unanswered this many hours after it was "
              "written. [default: 24]")
@click.option("--event-hours", type=click.FloatRange(min=0), default=None,
              help="Fire when an official account in an event's scope (given, or a candidate "
              "found in the data) has not posted about it this many hours after its onset. "
              "[default: 24]")
@click.option("--rate-drop", type=click.FloatRange(min=0, max=1, min_open=True), default=None,
              help="Fire when an account's response rate in the latest fully observed week "
              "is this share below its own baseline (0.2 = 20 points) and its 95% interval "
              "is wholly below it. [default: 0.2]")
@click.option("--baseline-weeks", type=click.IntRange(min=1), default=None,
              help="Weeks before the latest one that make an account's baseline. [default: 8]")
@click.option("--min-messages", type=click.IntRange(min=1), default=None,
              help="Messages needed in the week and in the baseline to compare rates. "
              "[default: 10]")
@click.option("--lookback-days", type=click.FloatRange(min=0), default=None,
              help="Only messages and events from this many days before the observation end "
              "count; 0 for all. [default: 14]")
@click.option("--population", type=click.Choice(["needs_response", "all"]), default=None,
              help="Inbound messages the rules look at. [default: needs_response]")
@click.option("--rule", "only", multiple=True,
              type=click.Choice(["critical_unanswered", "event_silent", "rate_drop"]),
              help="Evaluate only this rule (repeat for several). [default: all three]")
@click.option("--account", metavar="PLATFORM:AUTHOR",
              help="Only this official account, e.g. x:MinRail.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True, help="Digest format.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="Write the digest to this file instead of standard output.")
@quiet_option("Write nothing to standard output; the exit status says whether a rule fired.")
@db_option
@handle_errors
def check(rules_file, critical_hours, event_hours, rate_drop, baseline_weeks, min_messages,
          lookback_days, population, only, account, fmt, out_path, quiet, db):
    """Evaluate alert rules on the store and write a digest (text, JSON or HTML).

    Rules: critical messages unanswered past N hours (critical_unanswered); an
    official account silent on an event or candidate event past N hours
    (event_silent); a weekly response rate below the account's own baseline
    (rate_drop). Run it after each 'govwatch analyze' from cron or CI.

    Exit status: 0 no rule fired; 4 at least one alert fired; 1 failure; 2 usage error.
    """
    from govwatch.analysis.alerts import AlertRules, evaluate, rules_from_file
    from govwatch.export.digest import render

    from .store import Store

    settings = rules_from_file(rules_file) if rules_file else {}
    given = {"critical_hours": critical_hours, "event_hours": event_hours,
             "rate_drop": rate_drop, "baseline_weeks": baseline_weeks,
             "min_messages": min_messages, "lookback_days": lookback_days,
             "population": population, "rules": tuple(only) or None}
    settings.update({k: v for k, v in given.items() if v is not None})
    if account:
        settings["account"] = account_arg(account)
    rules = AlertRules(**settings)
    with Store(db_path(db), read_only=True) as store:
        digest = evaluate(store.conn, rules)
    text = render(digest, fmt)
    if out_path:
        Path(out_path).write_text(text, encoding="utf-8")
        if not quiet:
            n = len(digest.alerts)
            out.print(f"{n:,} alert{'s' if n != 1 else ''}; digest written to {out_path}.")
    elif not quiet:
        click.echo(text, nl=False)
    if digest.alerts:
        sys.exit(EXIT_ALERTS)
