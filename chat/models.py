from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import slugify


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as every time on the wire is written."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class RoomQuerySet(models.QuerySet["Room"]):
    def by_activity(self) -> RoomQuerySet:
        """Most recently active first; a room's creation counts as activity."""
        return self.order_by("-last_activity_at", "-pk")

    def listed(self) -> RoomQuerySet:
        return self.filter(is_archived=False)

    def matching(self, text: str) -> RoomQuerySet:
        """Rooms whose name contains `text`, ignoring case; all of them for no text."""
        return self.filter(name__icontains=text) if text else self


class Room(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The seq of the newest message ever posted. Bumped under the room's row lock in the
    # same transaction as the insert, so seqs are gapless and follow commit order.
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    is_locked = models.BooleanField(
        "locked", default=False, help_text="Read-only: members can read but not send."
    )
    is_archived = models.BooleanField(
        "archived", default=False, help_text="Hidden from the room list, and read-only."
    )
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Days messages are kept. Empty: the site default (CHAT_RETENTION_DAYS); "
        "0: forever.",
    )
    # Messages the room holds now (posted minus deleted), kept in step by chat.services and
    # chat.retention in the transactions that add and delete rows, so lists need no COUNT.
    message_count = models.PositiveBigIntegerField(default=0, editable=False)
    # The seq of the newest message retention has deleted: history older than this expired.
    history_expired_seq = models.PositiveBigIntegerField(default=0, editable=False)

    objects = RoomQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("chat:room", args=[self.slug])

    @property
    def group_name(self) -> str:
        """The channel-layer group of the room's sockets: from the pk, never from the slug."""
        return f"room.{self.pk}"

    @staticmethod
    def slug_for(name: str) -> str:
        return slugify(name, allow_unicode=True)[:100].strip("-")


class MessageQuerySet(models.QuerySet["Message"]):
    def before(self, seq: int | None) -> MessageQuerySet:
        """Newest first, strictly older than `seq` (all of them when `seq` is None)."""
        rows = self.order_by("-seq")
        return rows if seq is None else rows.filter(seq__lt=seq)

    def after(self, seq: int) -> MessageQuerySet:
        """Oldest first, strictly newer than `seq`."""
        return self.filter(seq__gt=seq).order_by("seq")


class Message(models.Model):
    # Indexed by the (room, seq) constraint and the (room, -id) index below.
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="messages"
    )
    body = models.TextField()
    client_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # Hidden by a moderator: the body is kept for the record, readers get a tombstone.
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Set by the author's edits and deletion (chat.services). Nullable, so posting's INSERT,
    # which names its columns, needs no change.
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Deleted by its author: the row keeps its seq and readers get a tombstone; the body is
    # emptied, and kept as the last MessageRevision for moderators.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The ids of the room's members the body mentions (`@username`), resolved at save and
    # carried by MSG. `Mention` rows say the same per user, for counting.
    mentions = models.JSONField(default=list, db_default=[], blank=True, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        permissions = [("hide_message", "Can hide and restore messages")]
        indexes = [
            # A room's newest messages, as the admin lists them.
            models.Index(fields=["room", "-id"], name="chat_message_room_recent"),
            # The admin's "hidden" filter: few rows, so a small partial index.
            models.Index(
                fields=["-id"],
                condition=models.Q(hidden_at__isnull=False),
                name="chat_message_hidden",
            ),
        ]
        constraints = [
            # Also the index that keyset pagination of history walks.
            models.UniqueConstraint(fields=["room", "seq"], name="chat_message_room_seq"),
            # Makes message.send idempotent per author and client_id.
            models.UniqueConstraint(
                fields=["room", "author", "client_id"], name="chat_message_room_author_client"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class MessageRevision(models.Model):
    """A body a message no longer shows: replaced by its author's edit, or emptied by their
    deletion. Moderators read these in the admin; readers never see them."""

    class Reason(models.TextChoices):
        EDIT = "edit", "Edited"
        DELETE = "delete", "Deleted"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    reason = models.CharField(max_length=6, choices=Reason.choices)
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["message", "replaced_at", "pk"]

    def __str__(self) -> str:
        return f"{self.message} {self.get_reason_display().lower()} at {iso_utc(self.replaced_at)}"


class RoomBanQuerySet(models.QuerySet["RoomBan"]):
    def in_force(self, at: datetime | None = None) -> RoomBanQuerySet:
        """Entries that apply now: no end, or an end still in the future."""
        at = at or timezone.now()
        return self.filter(models.Q(until__isnull=True) | models.Q(until__gt=at))


class RoomBan(models.Model):
    class Kind(models.TextChoices):
        BAN = "ban", "Ban (cannot open the room)"
        MUTE = "mute", "Mute (can read, cannot send)"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_bans"
    )
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.BAN)
    reason = models.CharField(max_length=500, blank=True)
    until = models.DateTimeField(null=True, blank=True, help_text="Empty: until lifted.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RoomBanQuerySet.as_manager()

    class Meta:
        verbose_name = "ban or mute"
        verbose_name_plural = "bans and mutes"
        indexes = [models.Index(fields=["room", "user"], name="chat_roomban_room_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display().split(' ')[0]} of {self.user} in {self.room}"


class RoomMembership(models.Model):
    """A user's place in a room: joined by opening it, left by "Leave room"."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_memberships"
    )
    joined_at = models.DateTimeField(default=timezone.now, editable=False)
    # Only ever moves forward. Not indexed, so moving it is a HOT update.
    last_read_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            # Also "my rooms": a user's memberships are the index's leading column.
            models.UniqueConstraint(fields=["user", "room"], name="chat_membership_user_room"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"


class Mention(models.Model):
    """A message mentions a member: one row per (message, user), with the room and seq copied
    so that counting a user's unread mentions per room reads one index."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+", db_index=False)
    seq = models.PositiveBigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["user", "room", "seq"], name="chat_mention_user_room_seq")]
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="chat_mention_message_user")
        ]

    def __str__(self) -> str:
        return f"{self.message} mentions user {self.user_id}"
