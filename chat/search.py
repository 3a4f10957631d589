"""Searching what people said: newest first, paged by a cursor, in one room or in every
room the person is not banned from. Hidden and deleted messages are never found.

On PostgreSQL this is full-text search: the `search_vector` column (English stemming,
computed by the database from the body, GIN-indexed; migration 0006) matched against
`websearch_to_tsquery`, so people can write `"exact phrase"`, `or` and `-word`. A room's
search either walks the GIN index or walks the room's (room, -id) index backwards, whichever
the planner expects to be cheaper for the words given: rare words through the first, common
ones through the second (docs/search.md measures both on a million messages).

Highlights are made safe here, not trusted from the database: `ts_headline` marks matches
with private-use characters (removed from the body beforehand, so a body cannot forge them,
and standing in for "<" and ">" so its parser sees no tags); the text is HTML-escaped, and
only then do the markers become `<mark>` and `</mark>`.
Elsewhere (SQLite, the embedded default) a search is a plain substring match.
"""

from __future__ import annotations

import html
import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from chat.frames import Hit, Results
from chat.models import Message, Room, RoomBan

# How many of the newest readable messages a search checks one by one before it turns to the
# GIN index (see _full_text); docs/search.md measures the choice.
RECENT_WINDOW = 5000
# Results per page, unless the client asks for fewer.
PAGE_SIZE = 20
MAX_PAGE_SIZE = 50

_START, _STOP = "\ue000", "\ue001"
# Angle brackets stand in as these while ts_headline reads the body, which would otherwise
# take "<script>" for a tag and mark nothing after it.
_LT, _GT = "\ue002", "\ue003"
# translate(): "<" and ">" become the stand-ins, and any of the four private-use characters
# the body itself holds are dropped.
_TRANSLATE_FROM, _TRANSLATE_TO = f"<>{_START}{_STOP}{_LT}{_GT}", f"{_LT}{_GT}"
# Bodies up to this many characters come back whole; longer ones as up to two fragments
# around the matches (ts_headline's fragments drop the punctuation at their ends).
WHOLE_BODY_CHARS = 300
_MARKERS = f'StartSel="{_START}", StopSel="{_STOP}"'
_WHOLE = f"{_MARKERS}, HighlightAll=true"
_FRAGMENTS = (
    f'{_MARKERS}, MaxWords=35, MinWords=15, ShortWord=3, MaxFragments=2, FragmentDelimiter=" … "'
)


def search_messages(
    user: AbstractBaseUser,
    query: str,
    room: Room | None = None,
    cursor: int | None = None,
    limit: int = PAGE_SIZE,
) -> Results:
    """Messages matching `query`, newest first, older than the message `cursor` names. With
    a room, the caller has checked the person may read it (`room_for_user`); without one,
    every room they are not banned from is searched."""
    if connection.vendor == "postgresql":
        found = _full_text(user, query, room, cursor, limit + 1)
    else:
        found = _substring(user, query, room, cursor, limit + 1)
    more = len(found) > limit
    found = found[:limit]
    messages = Message.objects.select_related("author", "room").in_bulk([pk for pk, _ in found])
    hits = [Hit(messages[pk], _safe_highlight(marked)) for pk, marked in found if pk in messages]
    return Results(hits, next_cursor=str(found[-1][0]) if more else None)


def _where_readable(user: AbstractBaseUser, room: Room | None) -> tuple[str, list[object], str]:
    """The condition on `m` for the messages this search may return, its parameters, and
    the order that walks them newest first along an index: in one room, the (room, -id)
    index (naming room_id in the order keeps the planner off the primary key, which it
    would otherwise walk and filter when the room holds most of the table)."""
    if room is not None:
        return "m.room_id = %s", [room.pk], "m.room_id, m.id DESC"
    # A ban in force hides the room's messages; a mute does not (muted people still read).
    return (
        "m.room_id NOT IN (SELECT b.room_id FROM chat_roomban b WHERE b.user_id = %s"
        " AND b.kind = %s AND (b.until IS NULL OR b.until > %s))",
        [user.pk, RoomBan.Kind.BAN, timezone.now()],
        "m.id DESC",
    )


def _full_text(
    user: AbstractBaseUser, query: str, room: Room | None, cursor: int | None, limit: int
) -> list[tuple[int, str]]:
    """Up to `limit` matches, newest first, in two steps that each have one plan: the newest
    RECENT_WINDOW readable messages are checked first (a walk down the id index); only when
    they hold too few matches, which means the words are rare, does the GIN index find the
    rest, older than that window. Left to itself, the planner walks the id index for rare
    words too, through the whole room when nothing matches."""
    readable, params, newest_first = _where_readable(user, room)
    older, bound = ("AND m.id < %s", [cursor]) if cursor is not None else ("", [])
    with connection.cursor() as db:
        db.execute(
            f"""
            SELECT recent.id FROM (
                SELECT m.id, m.search_vector, m.hidden_at, m.deleted_at FROM chat_message m
                WHERE {readable} {older} ORDER BY {newest_first} LIMIT %s
            ) recent
            WHERE recent.search_vector @@ websearch_to_tsquery('english', %s)
              AND recent.hidden_at IS NULL AND recent.deleted_at IS NULL
            ORDER BY recent.id DESC LIMIT %s
            """,
            [*params, *bound, RECENT_WINDOW, query, limit],
        )
        ids = [pk for (pk,) in db.fetchall()]
        if len(ids) < limit:
            # Where the window ended; nothing when it held every readable message left.
            db.execute(
                f"SELECT m.id FROM chat_message m WHERE {readable} {older}"
                f" ORDER BY {newest_first} OFFSET %s LIMIT 1",
                [*params, *bound, RECENT_WINDOW - 1],
            )
            edge = db.fetchone()
            if edge is not None:
                # `m.id + 0`: sorted after the GIN index finds the matches, not by walking
                # the id index and testing each row.
                db.execute(
                    f"""
                    SELECT m.id FROM chat_message m
                    WHERE m.search_vector @@ websearch_to_tsquery('english', %s)
                      AND {readable} AND m.hidden_at IS NULL AND m.deleted_at IS NULL
                      AND m.id < %s
                    ORDER BY m.id + 0 DESC LIMIT %s
                    """,
                    [query, *params, edge[0], limit - len(ids)],
                )
                ids += [pk for (pk,) in db.fetchall()]
        if not ids:
            return []
        # Highlights for the page's rows only.
        db.execute(
            """
            SELECT m.id, ts_headline(
                'english', translate(m.body, %s, %s), websearch_to_tsquery('english', %s),
                CASE WHEN length(m.body) <= %s THEN %s ELSE %s END
            )
            FROM chat_message m WHERE m.id = ANY(%s)
            """,
            [_TRANSLATE_FROM, _TRANSLATE_TO, query, WHOLE_BODY_CHARS, _WHOLE, _FRAGMENTS, ids],
        )
        marked = dict(db.fetchall())
    return [(pk, marked[pk]) for pk in ids]


def _substring(
    user: AbstractBaseUser, query: str, room: Room | None, cursor: int | None, limit: int
) -> list[tuple[int, str]]:
    rows = Message.objects.filter(
        body__icontains=query, hidden_at__isnull=True, deleted_at__isnull=True
    )
    if room is not None:
        rows = rows.filter(room=room)
    else:
        banned = RoomBan.objects.in_force().filter(user=user, kind=RoomBan.Kind.BAN)
        rows = rows.exclude(room__in=banned.values("room"))
    if cursor is not None:
        rows = rows.filter(pk__lt=cursor)
    found = rows.order_by("-pk").values_list("pk", "body")[:limit]
    pattern = re.compile(re.escape(query), re.IGNORECASE)

    def marked(body: str) -> str:
        for character in (_START, _STOP, _LT, _GT):
            body = body.replace(character, "")
        return pattern.sub(lambda match: f"{_START}{match[0]}{_STOP}", body)

    return [(pk, marked(body)) for pk, body in found]


def _safe_highlight(marked: str) -> str:
    """HTML of `marked`: every character escaped, then the markers turned into <mark>."""
    escaped = html.escape(marked).replace(_LT, "&lt;").replace(_GT, "&gt;")
    return escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")
