"""The ministry work-list export: an official account's open messages, oldest first.

Open: an inbound message that needs a response or is critical, with no response by
the observation end (censored). Citizens are pseudonymised like every export unless
the caller asks otherwise; their post links are left out when pseudonymised (a link
holds the handle). Texts go out only when asked for.
"""

from __future__ import annotations

MEANINGS = {
    "platform": "Platform the message was posted on",
    "official_author": "Official account addressed (in clear)",
    "message_id": "Platform-native id of the open message (text)",
    "message_author": "Author of the message: keyed pseudonym (p_...) unless exported in clear",
    "message_created_at": "Time of the message (UTC)",
    "waiting_hours": "Observation end - message_created_at in hours: how long it has waited",
    "critical": "Tagged as about a critical issue",
    "needs_response": "Tagged as asking, requesting or reporting a problem",
    "topic": "Topic tag",
    "via": "How the message addresses the account: reply, comment or mention",
    "channel": "Channel of the message (public_reply, comment, review, ...)",
    "sentiment": "VADER compound score of the message text",
    "lang": "Language of the message",
    "url": "Link to the message (only when citizens are exported in clear)",
    "text": "Text of the message (personal data of the public)",
}


def worklist_query(con, pseudonymise: bool, include_text: bool,
                   account: tuple[str, str] | None):
    """The export query (``_Query``) of the work-list, for one account or all."""
    from govwatch.errors import UsageError

    from .queries import _columns, _Query, _who

    if account is not None and not con.execute(
            "SELECT count(*) FROM accounts WHERE official AND platform = ? "
            "AND lower(author) = lower(?)", list(account)).fetchone()[0]:
        raise UsageError(f"no official account {account[0]}:{account[1]} in the store")
    sql = worklist_sql(lambda p, a: _who(p, a, pseudonymise), set(_columns(con, "responses")),
                       account, pseudonymise, include_text)
    return _Query(sql, MEANINGS, pairs_sql="SELECT platform, message_author AS author "
                                           "FROM responses WHERE censored")


def worklist_sql(who, columns: set[str], account: tuple[str, str] | None,
                 pseudonymise: bool, include_text: bool) -> str:
    """SQL of the work-list. ``who(platform, author)`` is the SQL
    showing an author as exports do; ``columns`` those of the store's ``responses``."""
    select = ["r.platform", "r.official_author", "r.message_id",
              f"{who('r.platform', 'r.message_author')} AS message_author",
              "r.message_created_at", "r.observed_hours AS waiting_hours",
              "coalesce(r.critical, false) AS critical",
              "coalesce(r.needs_response, false) AS needs_response", "r.topic", "r.via"]
    select += [f"r.{c}" for c in ("channel", "sentiment", "lang") if c in columns]
    if not pseudonymise:
        select.append("p.url")
    if include_text:
        select.append("p.text")
    where = "r.censored AND (r.needs_response OR r.critical)"
    if account is not None:
        platform, author = (v.replace("'", "''") for v in account)
        where += (f" AND r.platform = '{platform}' "
                  f"AND lower(r.official_author) = lower('{author}')")
    joins = ("LEFT JOIN posts p ON p.platform = r.platform AND p.post_id = r.message_id"
             if not pseudonymise or include_text else "")
    return (f"SELECT {', '.join(select)} FROM responses r {joins} WHERE {where} "
            "ORDER BY r.message_created_at, r.platform, r.official_author, r.message_id")
