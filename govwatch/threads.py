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
# Used with ``WITH RECURSIVE``; defines ``off`` and ``post_account``.
OFF_CTE = """
    off AS (
        SELECT platform, lower(author) AS la, min(author) AS author
        FROM accounts WHERE official GROUP BY ALL
    )"""
POST_ACCOUNT_CTES = OFF_CTE + f""",
    _chain(platform, post_id, cur, up, conv, depth) AS (
        SELECT platform, post_id, post_id, in_reply_to_post_id, conversation_id, 0 FROM posts
        WHERE conversation_id IS NULL
        UNION ALL
        SELECT c.platform, c.post_id, p.post_id, p.in_reply_to_post_id, p.conversation_id,
               c.depth + 1
        FROM _chain c JOIN posts p ON p.platform = c.platform AND p.post_id = c.up
        WHERE c.conv IS NULL AND c.depth < {THREAD_DEPTH}
    ),
    _thread AS (
        SELECT platform, post_id, conversation_id AS thread FROM posts
        WHERE conversation_id IS NOT NULL
        UNION ALL
        SELECT platform, post_id, arg_max(coalesce(conv, cur), depth) AS thread
        FROM _chain GROUP BY ALL
    ),
    _named AS (
        SELECT t.platform, t.thread, t.post_id = t.thread AS is_root, n.who, n.how
        FROM _thread t
        JOIN (SELECT platform, post_id, author AS who, 1 AS how FROM posts
              UNION ALL SELECT platform, post_id, in_reply_to_author, 2 FROM posts
                        WHERE in_reply_to_author IS NOT NULL
              UNION ALL SELECT platform, post_id, unnest(mentions), 3 FROM posts
                        WHERE len(coalesce(mentions, [])) > 0) n
          ON n.platform = t.platform AND n.post_id = t.post_id
    ),
    _thread_account AS (
        SELECT n.platform, n.thread,
               coalesce(min(o.author) FILTER (WHERE n.is_root AND n.how = 1),
                        min(o.author) FILTER (WHERE n.how = 1),
                        min(o.author) FILTER (WHERE n.how = 2),
                        min(o.author) FILTER (WHERE n.how = 3)) AS account
        FROM _named n JOIN off o ON o.platform = n.platform AND o.la = lower(n.who)
        GROUP BY ALL
    ),
    post_account AS (
        SELECT t.platform, t.post_id, coalesce(a.account, '{UNADDRESSED}') AS official_account
        FROM _thread t LEFT JOIN _thread_account a USING (platform, thread)
    )"""
