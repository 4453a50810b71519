"""Which official account's thread a post is in: SQL shared by the export's posts dataset
and the analysis's tagging dataset (both partition posts by it), defined once in the core
so that neither stage imports the other."""

from __future__ import annotations

UNADDRESSED = "_unaddressed"
THREAD_DEPTH = 10_000  # reply chains are followed up to this many posts

# The official account whose thread a post is in: the partition of the posts
# dataset, so that a whole thread (and so every message to an account with the
# account's answers) lands in one partition. Computed from the posts alone, so it
# needs no analysis run. A thread is the post's conversation_id, else that of its
# nearest ancestor (following in_reply_to_post_id) that has one, else the root of
# its reply chain. The thread's account is the official author of its root post,
# else the first (alphabetically) official among the thread's authors, else among
# the authors its posts reply to, else among those they @mention; else _unaddressed.
# Only the posts without a conversation_id follow the chain: a post with one is its own
# chain's end (its thread is its conversation_id), so it is neither recursed on nor
# grouped (grouping every post by itself held a hash table of the whole store).
# Each post's names (author, addressee, @mentions) are read with its thread from the post
# itself, not joined back to it by post id, and the thread's account is one integer
# minimum per thread (the rule's rank, then the official's place in alphabetical
# order), not four minimums of text: on 10,000,000 posts the join of every name with its
# post's thread and the grouping of text held more than DuckDB's default cap and spilled,
# at 25x the CPU of 1,000,000 posts.
# Used with ``WITH RECURSIVE``; defines ``off`` and ``post_account`` (``r``: the post's
# row id in ``posts``, then platform, post_id, official_account).
OFF_CTE = """
    off AS (
        SELECT platform, lower(author) AS la, min(author) AS author
        FROM accounts WHERE official GROUP BY ALL
    )"""
POST_ACCOUNT_CTES = OFF_CTE + f""",
    _chain(platform, post_id, cur, up, conv, depth, r, author, in_reply_to_author,
           mentions) AS (
        SELECT platform, post_id, post_id, in_reply_to_post_id, conversation_id, 0, rowid,
               author, in_reply_to_author, mentions
        FROM posts WHERE conversation_id IS NULL
        UNION ALL
        SELECT c.platform, c.post_id, p.post_id, p.in_reply_to_post_id, p.conversation_id,
               c.depth + 1, c.r, c.author, c.in_reply_to_author, c.mentions
        FROM _chain c JOIN posts p ON p.platform = c.platform AND p.post_id = c.up
        WHERE c.conv IS NULL AND c.depth < {THREAD_DEPTH}
    ),
    _thread AS NOT MATERIALIZED (
        SELECT rowid AS r, platform, post_id, conversation_id AS thread, author,
               in_reply_to_author, mentions
        FROM posts WHERE conversation_id IS NOT NULL
        UNION ALL
        SELECT r, platform, post_id, arg_max(coalesce(conv, cur), depth) AS thread,
               any_value(author), any_value(in_reply_to_author), any_value(mentions)
        FROM _chain GROUP BY r, platform, post_id
    ),
    _official AS (
        SELECT platform, la, author,
               row_number() OVER (PARTITION BY platform ORDER BY author) AS place
        FROM off
    ),
    _thread_account AS (
        SELECT n.platform, n.thread,
               min((CAST(CASE WHEN n.i = 1 AND n.post_id = n.thread THEN 0
                             ELSE least(n.i, 3) END AS BIGINT) << 32) + o.place) AS code
        FROM (SELECT platform, post_id, thread, unnest(names) AS who,
                     generate_subscripts(names, 1) AS i
              FROM (SELECT platform, post_id, thread,
                           [author, in_reply_to_author] || coalesce(mentions, []) AS names
                    FROM _thread)) n
        JOIN _official o ON o.platform = n.platform AND o.la = lower(n.who)
        GROUP BY ALL
    ),
    post_account AS (
        SELECT t.r, t.platform, t.post_id,
               coalesce(o.author, '{UNADDRESSED}') AS official_account
        FROM _thread t
        LEFT JOIN _thread_account a ON a.platform = t.platform AND a.thread = t.thread
        LEFT JOIN _official o ON o.platform = a.platform AND o.place = a.code & 4294967295
    )"""
