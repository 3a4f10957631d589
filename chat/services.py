"""The chat's operations. Consumers, views, admin actions and tasks call these; the rules
(who may post, how seq is assigned, when a broadcast goes out) are written here once.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.timesince import timeuntil

from chat import frames, membership, posting
from chat.broadcast import send_room_state_on_commit, send_to_room_on_commit, tell_person_on_commit
from chat.frames import AroundPage, Page
from chat.models import Message, MessageRevision, Room, RoomBan, iso_utc

logger = logging.getLogger(__name__)


class Rejected(Exception):
    """An input the chat refuses, with the error code of docs/protocol.md."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class AuthorInactive(Rejected):
    """The sender's account was deactivated or deleted since they signed in: a socket closes
    with 4401 rather than answering an error frame."""

    def __init__(self) -> None:
        super().__init__("not_signed_in", "Your account is no longer active.")


@dataclass(frozen=True)
class Posted:
    message: Message
    created: bool  # False when the same author and client_id had already posted it


def find_room(slug: str) -> Room:
    """The room with this slug. Raises Room.DoesNotExist."""
    return Room.objects.get(slug=slug)


def room_for_user(slug: str, user: AbstractBaseUser | AnonymousUser) -> Room:
    """The room `user` may read. Raises Room.DoesNotExist or PermissionDenied."""
    return room_and_restriction(slug, user)[0]


def room_and_restriction(
    slug: str, user: AbstractBaseUser | AnonymousUser
) -> tuple[Room, RoomBan | None]:
    """The room `user` may read, and the mute in force for them there if any (the room page
    shows it): the one query on bans serves both. Raises Room.DoesNotExist or
    PermissionDenied."""
    if not user.is_authenticated:
        raise PermissionDenied("Sign in to read this room.")
    room = find_room(slug)
    restriction = restriction_of(room, user)
    if restriction is not None and restriction.kind == RoomBan.Kind.BAN:
        raise PermissionDenied("You are banned from this room.")
    return room, restriction


def restriction_of(room: Room, user: AbstractBaseUser) -> RoomBan | None:
    """The ban or mute in force for `user` in `room` (a ban outranks a mute), if any."""
    # One query on the send path: "ban" sorts before "mute".
    return RoomBan.objects.in_force().filter(room=room, user=user).order_by("kind").first()


def open_room(name: str, user: AbstractBaseUser) -> Room:
    """The room called `name`, created by `user` if no room has its slug yet.

    Joining is never limited. Creating counts against `user`'s quota (CHAT_ROOMS_PER_USER in
    all, CHAT_ROOM_CREATE_LIMIT per window): over it, Rejected and nothing is created.
    """
    name = name.strip()
    slug = Room.slug_for(name)
    if not slug:
        raise Rejected("bad_name", "A room name needs at least one letter or digit.")
    room = Room.objects.filter(slug=slug).first()
    if room is not None:
        return room
    with transaction.atomic():
        # One person's creations queue on their own row, so two at once cannot both take
        # the last place left in the quota.
        get_user_model().objects.select_for_update().only("pk").get(pk=user.pk)
        check_room_quota(user)
        room, _ = Room.objects.get_or_create(slug=slug, defaults={"name": name, "created_by": user})
    return room


def check_room_quota(user: AbstractBaseUser) -> None:
    """Raise Rejected when `user` may not create another room now."""
    created = Room.objects.filter(created_by=user)
    cap = settings.CHAT_ROOMS_PER_USER
    if cap and created.count() >= cap:
        raise Rejected("room_quota", f"You have created {cap} rooms, as many as one person may.")
    rate = settings.CHAT_ROOM_CREATE_LIMIT
    if rate is None:
        return
    now = timezone.now()
    window = timedelta(seconds=rate.seconds)
    recent = list(
        created.filter(created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: rate.count]
    )
    if len(recent) < rate.count:
        return
    # A place frees up when the oldest of the last `count` creations leaves the window.
    free_at = recent[-1] + window
    wait = timeuntil(free_at, now, depth=1) if free_at - now >= timedelta(minutes=1) else None
    per = timeuntil(now + window, now, depth=2).removeprefix("1\xa0")  # "per hour"
    raise Rejected(
        "room_rate",
        f"You can create {rate.count} rooms per {per}; try again in {wait or 'a minute'}.",
    )


# Characters that show nothing. A body made only of these is `empty`, however long: format
# characters (zero-width space and joiners, bidi marks, BOM, word joiner, tags), separators,
# controls, and the letters and marks that fonts draw as blank space.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})
_BLANK_CHARACTERS = frozenset(
    "\u034f"  # combining grapheme joiner
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u2800"  # braille pattern blank
    + "".join(map(chr, range(0xFE00, 0xFE10)))  # variation selectors
    + "".join(map(chr, range(0xE0100, 0xE01F0)))  # variation selectors supplement
)


def clean_body(body: str) -> str:
    """The body as it will be stored: stripped, storable, visible, never too long."""
    body = body.strip()
    if "\x00" in body or _has_lone_surrogate(body):
        raise Rejected("bad_frame", "The message contains characters that cannot be stored.")
    limit = settings.CHAT_MAX_MESSAGE_CHARS
    if len(body) > limit:  # first, so the scan below never walks more than `limit`
        raise Rejected("too_long", f"Messages are at most {limit} characters.")
    if all(_is_invisible(character) for character in body):  # True for "" too
        raise Rejected("empty", "The message is empty.")
    return body


def _is_invisible(character: str) -> bool:
    return (
        character in _BLANK_CHARACTERS or unicodedata.category(character) in _INVISIBLE_CATEGORIES
    )


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def post_message(room: Room, author: AbstractBaseUser, body: str, client_id: str) -> Posted:
    """Save a message and return it once committed (the synchronous way in; sockets use
    chat.posting directly, with the sender's ban or mute already known to the socket).

    A repeat of (author, client_id) in the room returns the original row with created=False
    and changes nothing. Raises Rejected for a bad body, a mute, a read-only room or an
    inactive author, PermissionDenied for a ban, and DatabaseError when the database
    refuses; in every case nothing is saved.
    """
    body = clean_body(body)
    restriction = restriction_of(room, author)
    if restriction is not None and restriction.kind == RoomBan.Kind.BAN:
        raise PermissionDenied("You are banned from this room.")
    if restriction is not None:
        raise Rejected("muted", "You are muted in this room.")
    draft = posting.Draft(author_id=author.pk, client_id=client_id, body=body)
    if posting.uses_group_commit():
        [outcome] = posting.commit_sync(room.pk, [draft])
    else:
        outcome = posting.commit_with_orm(room, draft)
    saved = checked(outcome)
    if not saved.created:
        return Posted(Message.objects.select_related("author").get(pk=saved.id), created=False)
    message = Message(
        id=saved.id,
        room=room,
        seq=saved.seq,
        author=author,
        body=body,
        client_id=client_id,
        created_at=saved.created_at,
        mentions=saved.mentions,
    )
    return Posted(message, created=True)


def checked(outcome: posting.Outcome) -> posting.Saved:
    """The saved message, or the refusal as the Rejected error the sender gets."""
    if isinstance(outcome, posting.RoomReadOnly):
        raise Rejected("room_locked", "This room is read-only.")
    if isinstance(outcome, posting.InactiveAuthor):
        raise AuthorInactive()
    return outcome


def history_before(room: Room, before_seq: int | None, limit: int) -> Page:
    """Up to `limit` messages older than `before_seq` (the newest when None), oldest first."""
    rows = list(room.messages.before(before_seq).select_related("author")[: limit + 1])
    page = rows[:limit]
    page.reverse()
    has_more = len(rows) > limit
    return Page(page, has_more, history_limited=not has_more and _history_expired(room))


def _history_expired(room: Room) -> bool:
    # Read fresh: a socket's Room was loaded when it connected, before later prunes.
    return Room.objects.filter(pk=room.pk, history_expired_seq__gt=0).exists()


def history_after(room: Room, after_seq: int, limit: int) -> Page:
    """Up to `limit` messages newer than `after_seq`, oldest first."""
    rows = list(room.messages.after(after_seq).select_related("author")[: limit + 1])
    return Page(rows[:limit], has_more=len(rows) > limit)


def history_around(room: Room, seq: int, limit: int) -> AroundPage:
    """The page of up to `limit` messages centred on `seq` (which is included when it
    exists), oldest first: half at or before `seq`, half after; near either end of the room
    the other side fills the page. Two keyset reads of at most `limit` + 1 rows each."""
    at_or_before = room.messages.filter(seq__lte=seq).order_by("-seq")
    older = list(at_or_before.select_related("author")[: limit + 1])
    newer = list(room.messages.after(seq).select_related("author")[: limit + 1])
    take_older = min(len(older), max(limit - limit // 2, limit - len(newer)))
    take_newer = min(len(newer), limit - take_older)
    page = older[:take_older][::-1] + newer[:take_newer]
    has_more_before = len(older) > take_older
    return AroundPage(
        page,
        has_more_before=has_more_before,
        has_more_after=len(newer) > take_newer,
        history_limited=not has_more_before and _history_expired(room),
    )


# People's own messages: edits and deletions. Rare next to sends, so they are plain ORM
# transactions rather than the group commit. Each checks, in order: the message (in this
# room, not deleted, not hidden), its author, the person's ban or mute, the room's state,
# and for edits the window and the body; then changes the row, keeps the replaced body as a
# MessageRevision, records a LogEntry in the author's name, and broadcasts once committed.


@dataclass(frozen=True)
class Edited:
    message: Message
    changed: bool  # False: the body was already this (a resent edit); nothing broadcast


def edit_message(room: Room, author: AbstractBaseUser, message_id: int, body: str) -> Edited:
    """Replace the body of `author`'s message `message_id` in `room`. Raises Rejected
    (not_found, not_yours, muted, room_locked, too_late, or a body's empty, too_long,
    bad_frame) or PermissionDenied for a ban; nothing changes then."""
    body = clean_body(body)
    with transaction.atomic():
        message = _own_message_for_update(room, author, message_id)
        window = settings.CHAT_EDIT_WINDOW_SECONDS
        if not window or timezone.now() - message.created_at > timedelta(seconds=window):
            raise Rejected("too_late", _too_late_detail(window))
        if message.body == body:
            return Edited(message, changed=False)
        MessageRevision.objects.create(
            message=message, body=message.body, reason=MessageRevision.Reason.EDIT
        )
        message.body, message.edited_at = body, timezone.now()
        # Mentions follow the body: resolved again against the room's members of now.
        mentioned_before = message.mentions
        message.mentions = membership.resolve_mentions(room, body)
        message.save(update_fields=["body", "edited_at", "mentions"])
        membership.store_mentions(message, message.mentions, replace=True)
        _record(author, message, CHANGE, "Edited by its author (earlier body kept).")
        send_to_room_on_commit(
            room,
            frames.message_edited_frame(message, room.slug),
            recount=message.mentions != mentioned_before,
        )
    return Edited(message, changed=True)


def _too_late_detail(window: int) -> str:
    if not window:
        return "Messages cannot be edited here."
    span = f"{window // 60} minutes" if window % 60 == 0 else f"{window} seconds"
    return f"Messages can be edited for {span} after sending."


def delete_own_message(room: Room, author: AbstractBaseUser, message_id: int) -> Message:
    """Delete `author`'s message `message_id` in `room`: readers get a tombstone in its
    place, search stops finding it, and the body is kept for moderators as a
    MessageRevision. No time window. Raises as `edit_message` does, but never too_late."""
    with transaction.atomic():
        message = _own_message_for_update(room, author, message_id, hidden_ok=True)
        MessageRevision.objects.create(
            message=message, body=message.body, reason=MessageRevision.Reason.DELETE
        )
        message.body, message.deleted_at = "", timezone.now()
        message.save(update_fields=["body", "deleted_at"])
        _record(author, message, CHANGE, "Deleted by its author (body kept).")
        send_to_room_on_commit(
            room, frames.message_deleted_frame(message, tombstone=True), recount=True
        )
    return message


def _own_message_for_update(
    room: Room, author: AbstractBaseUser, message_id: int, *, hidden_ok: bool = False
) -> Message:
    """The author's live message, locked for the change, once every rule allows it."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("author")
        .filter(pk=message_id, room=room, deleted_at__isnull=True)
        .first()
    )
    # A hidden message is a tombstone to its readers: its author may delete it, not edit it.
    if message is None or (message.is_hidden and not hidden_ok):
        raise Rejected("not_found", "There is no such message in this room.")
    if message.author_id != author.pk:
        raise Rejected("not_yours", "Only its author can change a message.")
    restriction = restriction_of(room, author)
    if restriction is not None and restriction.kind == RoomBan.Kind.BAN:
        raise PermissionDenied("You are banned from this room.")
    if restriction is not None:
        raise Rejected("muted", "You are muted in this room.")
    # Read fresh: a socket's Room was loaded when it connected.
    state = Room.objects.only("is_locked", "is_archived").get(pk=room.pk)
    if state.is_locked or state.is_archived:
        raise Rejected("room_locked", "This room is read-only.")
    message.room = room
    return message


# Moderation. Each operation checks the moderator's permission, changes the data, records
# a LogEntry (shown in the admin), and tells the room's open sockets once committed.


def _require(moderator: AbstractBaseUser, permission: str) -> None:
    if not moderator.has_perm(permission):
        raise PermissionDenied(f"Moderation needs the {permission} permission.")


def _record(moderator: AbstractBaseUser, obj: Any, flag: int, what: str) -> None:
    LogEntry.objects.log_actions(
        user_id=moderator.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=what,
        single_object=True,
    )


def hide_message(message: Message, moderator: AbstractBaseUser) -> bool:
    """Hide a message: the body is kept for the record, readers get a tombstone. Returns
    False when it was already hidden."""
    _require(moderator, "chat.hide_message")
    with transaction.atomic():
        hidden = Message.objects.filter(pk=message.pk, hidden_at__isnull=True).update(
            hidden_at=timezone.now(), hidden_by=moderator
        )
        if not hidden:
            return False
        _record(moderator, message, CHANGE, "Hid the message.")
        send_to_room_on_commit(message.room, frames.message_hidden_frame(message), recount=True)
    return True


def restore_message(message: Message, moderator: AbstractBaseUser) -> bool:
    """Show a hidden message again. Returns False when it was not hidden."""
    _require(moderator, "chat.hide_message")
    with transaction.atomic():
        restored = Message.objects.filter(pk=message.pk, hidden_at__isnull=False).update(
            hidden_at=None, hidden_by=None
        )
        if not restored:
            return False
        _record(moderator, message, CHANGE, "Restored the message.")
        message = Message.objects.select_related("author", "room").get(pk=message.pk)
        frame = frames.message_restored_frame(message, message.room.slug)
        send_to_room_on_commit(message.room, frame, recount=True)
    return True


def delete_message(message: Message, moderator: AbstractBaseUser) -> None:
    """Delete a message for good. Its seq stays unused: history simply skips it."""
    _require(moderator, "chat.delete_message")
    with transaction.atomic():
        deleted, _ = Message.objects.filter(pk=message.pk).delete()
        if not deleted:
            return  # gone already (a prune got there first): nothing to record or announce
        Room.objects.filter(pk=message.room_id).update(message_count=F("message_count") - 1)
        _record(moderator, message, DELETION, f"Deleted message #{message.seq} for good.")
        send_to_room_on_commit(message.room, frames.message_deleted_frame(message), recount=True)


def set_room_state(
    room: Room,
    moderator: AbstractBaseUser,
    *,
    locked: bool | None = None,
    archived: bool | None = None,
) -> list[str]:
    """Lock/unlock and archive/unarchive a room; returns what changed. A locked or archived
    room is read-only; an archived one is also left off the room list."""
    _require(moderator, "chat.change_room")
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        changes = []
        if locked is not None and locked != room.is_locked:
            room.is_locked = locked
            changes.append("Locked the room." if locked else "Unlocked the room.")
        if archived is not None and archived != room.is_archived:
            room.is_archived = archived
            changes.append("Archived the room." if archived else "Unarchived the room.")
        if not changes:
            return []
        room.save(update_fields=["is_locked", "is_archived"])
        _record(moderator, room, CHANGE, " ".join(changes))
        send_room_state_on_commit(room, frames.room_updated_frame(room))
    return changes


def restrict_user(
    room: Room,
    user: AbstractBaseUser,
    kind: str,
    moderator: AbstractBaseUser,
    *,
    reason: str = "",
    until: datetime | None = None,
) -> RoomBan:
    """Ban (cannot open the room; open sockets close with 4403) or mute (can read, cannot
    send) `user` in `room`, until `until` or until lifted."""
    _require(moderator, "chat.add_roomban")
    with transaction.atomic():
        ban = RoomBan.objects.create(
            room=room, user=user, kind=kind, reason=reason, until=until, created_by=moderator
        )
        _record(moderator, ban, ADDITION, f"{ban.get_kind_display()}: {reason or 'no reason'}.")
        restriction_changed(room, user)
    return ban


def change_restriction(
    ban: RoomBan,
    moderator: AbstractBaseUser,
    *,
    kind: str,
    reason: str,
    until: datetime | None,
) -> RoomBan:
    """Change what a ban or mute does: its kind, reason or end. Its room and person stay (to
    restrict someone else, add a new one). Returns the stored row; when nothing differs,
    nothing is saved, recorded or announced. A mute turned into a ban closes the person's
    sockets with 4403, as a new ban does."""
    _require(moderator, "chat.change_roomban")
    with transaction.atomic():
        stored = RoomBan.objects.select_for_update().select_related("room", "user").get(pk=ban.pk)
        changes = []
        if kind != stored.kind:
            stored.kind = kind
            changes.append(f"now a {stored.get_kind_display().split(' ')[0].lower()}")
        if until != stored.until:
            stored.until = until
            changes.append(f"until {iso_utc(until)}" if until else "until lifted")
        if reason != stored.reason:
            stored.reason = reason
            changes.append(f"reason: {reason or 'none'}")
        if not changes:
            return stored
        stored.save(update_fields=["kind", "until", "reason"])
        _record(moderator, stored, CHANGE, f"Changed: {'; '.join(changes)}.")
        restriction_changed(stored.room, stored.user)
    return stored


def lift_restriction(ban: RoomBan, moderator: AbstractBaseUser) -> None:
    _require(moderator, "chat.delete_roomban")
    with transaction.atomic():
        _record(moderator, ban, DELETION, f"Lifted: {ban}.")
        ban.delete()
        restriction_changed(ban.room, ban.user)


def restriction_changed(room: Room, user: AbstractBaseUser) -> None:
    """Tell `user`'s open sockets in `room` what now applies to them, once committed."""
    tell_person_on_commit(
        user.pk,
        {
            "type": "chat.restriction",
            "room_id": room.pk,
            "frame": frames.restriction_frame(restriction_of(room, user)),
        },
    )
