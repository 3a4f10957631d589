"""Moderation in the Django admin. Every change goes through chat.services, so it is checked,
recorded and pushed to open sockets the same way whether it comes from here or elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from accounts.models import User
from chat import services
from chat.models import Message, Room, RoomBan, RoomMembership, iso_utc


class RoomBanForm(forms.ModelForm):
    """A ban or mute. Once made, its room and person are fixed (lift it and add another to
    restrict someone else); what it does (kind, reason, end) can change."""

    class Meta:
        model = RoomBan
        fields = ["room", "user", "kind", "reason", "until"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name in ("room", "user"):
                if name in self.fields:
                    self.fields[name].disabled = True


def save_restriction(ban: RoomBan, moderator: User) -> RoomBan:
    """The admin's one way to write a ban or mute, added or edited: through the services,
    which check the permission, record a LogEntry and tell the person's open sockets."""
    if ban.pk is None:
        return services.restrict_user(
            ban.room, ban.user, ban.kind, moderator, reason=ban.reason, until=ban.until
        )
    return services.change_restriction(
        ban, moderator, kind=ban.kind, reason=ban.reason, until=ban.until
    )


class RoomBanInline(admin.TabularInline):
    model = RoomBan
    form = RoomBanForm
    fk_name = "room"
    extra = 0
    fields = ["user", "kind", "reason", "until", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["user"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "message_count",
        "last_activity_at",
        "is_locked",
        "is_archived",
        "retention_days",
    ]
    list_filter = ["is_locked", "is_archived", "last_activity_at"]
    search_fields = ["name", "slug"]
    readonly_fields = [
        "slug",
        "message_count",
        "created_by",
        "created_at",
        "last_activity_at",
        "last_seq",
        "members",
    ]
    fields = [
        "name",
        "slug",
        "is_locked",
        "is_archived",
        "retention_days",
        "message_count",
        "created_by",
        "created_at",
        "last_activity_at",
        "last_seq",
        "members",
    ]
    ordering = ["-last_activity_at"]
    inlines = [RoomBanInline]
    actions = ["lock_rooms", "unlock_rooms", "archive_rooms", "unarchive_rooms"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Rooms are opened from the site, where their slug and creator are set.
        return False

    # How many members the room page names; the rest are a link away, so a room of thousands
    # costs this page one COUNT over the (room) index and this many rows.
    MEMBERS_SHOWN = 20

    @admin.display(description="members")
    def members(self, room: Room) -> str:
        if room.pk is None:
            return "-"
        memberships = RoomMembership.objects.filter(room=room)
        count = memberships.count()
        if not count:
            return "None yet: opening the room joins it."
        names = list(
            memberships.order_by("user__username").values_list("user__username", flat=True)[
                : self.MEMBERS_SHOWN
            ]
        )
        shown = ", ".join(names) + (", …" if count > len(names) else "")
        url = reverse("admin:chat_roommembership_changelist") + f"?room={room.pk}"
        return format_html('{} ({}). <a href="{}">List all members</a>', count, shown, url)

    def save_model(self, request: HttpRequest, room: Room, form, change: bool) -> None:
        locked, archived = room.is_locked, room.is_archived
        stored = Room.objects.get(pk=room.pk)
        room.is_locked, room.is_archived = stored.is_locked, stored.is_archived
        super().save_model(request, room, form, change)
        services.set_room_state(room, request.user, locked=locked, archived=archived)
        room.refresh_from_db()

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not RoomBan:
            return super().save_formset(request, form, formset, change)
        bans = formset.save(commit=False)
        for ban in formset.deleted_objects:
            services.lift_restriction(ban, request.user)
        for ban in bans:
            save_restriction(ban, request.user)

    def _set_state(self, request: HttpRequest, rooms: QuerySet[Room], **state: bool) -> None:
        changed = sum(bool(services.set_room_state(room, request.user, **state)) for room in rooms)
        self.message_user(request, f"{changed} room(s) updated.", messages.SUCCESS)

    @admin.action(description="Lock selected rooms (read-only)", permissions=["change"])
    def lock_rooms(self, request: HttpRequest, rooms: QuerySet[Room]) -> None:
        self._set_state(request, rooms, locked=True)

    @admin.action(description="Unlock selected rooms", permissions=["change"])
    def unlock_rooms(self, request: HttpRequest, rooms: QuerySet[Room]) -> None:
        self._set_state(request, rooms, locked=False)

    @admin.action(description="Archive selected rooms", permissions=["change"])
    def archive_rooms(self, request: HttpRequest, rooms: QuerySet[Room]) -> None:
        self._set_state(request, rooms, archived=True)

    @admin.action(description="Unarchive selected rooms", permissions=["change"])
    def unarchive_rooms(self, request: HttpRequest, rooms: QuerySet[Room]) -> None:
        self._set_state(request, rooms, archived=False)


class CheapCountPaginator(Paginator):
    """Pages without COUNT(*) over millions of rows: an unfiltered list uses PostgreSQL's
    row estimate, and a filtered one counts at most COUNT_CAP rows (later pages are reached
    by narrowing the filter, as nobody pages through thousands of results)."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        if connection.vendor == "postgresql" and not self.object_list.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                estimate = cursor.fetchone()[0]
            if estimate > self.COUNT_CAP:
                return estimate
        return self.object_list[: self.COUNT_CAP].count()


class RoomFilter(admin.SimpleListFilter):
    """By room, listing rooms from their own table (never DISTINCT over the messages)."""

    title = "room"
    parameter_name = "room"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return list(Room.objects.order_by("name").values_list("pk", "name")[:200])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        return queryset.filter(room_id=self.value()) if self.value() else queryset


class HiddenFilter(admin.SimpleListFilter):
    title = "visibility"
    parameter_name = "hidden"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Hidden"), ("no", "Visible")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(hidden_at__isnull=self.value() == "no")
        return queryset


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    # The body next to the id: on a phone it is then on screen without scrolling sideways.
    # It links to the message's page, which shows the full text.
    list_display = ["id", "short_body", "room", "seq", "author", "created_at", "hidden_at"]
    list_display_links = ["id", "short_body"]
    list_filter = [RoomFilter, HiddenFilter, "created_at"]
    list_select_related = ["room", "author"]
    search_fields = ["body", "author__username"]  # see get_search_results
    search_help_text = "Finds text in message bodies and in author usernames."
    autocomplete_fields = ["room", "author"]
    fields = [
        "room",
        "seq",
        "author",
        "body",
        "client_id",
        "created_at",
        "hidden_at",
        "hidden_by",
        "edited_at",
        "deleted_at",
        "earlier_bodies",
    ]
    # Everything but the body is shown, never edited.
    readonly_fields = [name for name in fields if name != "body"]
    ordering = ["-id"]
    paginator = CheapCountPaginator
    show_full_result_count = False
    list_per_page = 50
    actions = ["hide_messages", "restore_messages", "delete_for_good"]

    def get_ordering(self, request: HttpRequest) -> list:
        if request.GET.get("q"):
            # Newest first, but not by walking the primary key backwards: with a search,
            # PostgreSQL would filter its way through millions of rows that way, where the
            # indexes find the few matches at once.
            return [(F("id") + 0).desc()]
        return super().get_ordering(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Message], search_term: str
    ) -> tuple[QuerySet[Message], bool]:
        """Body or author: as two indexed conditions (the body's trigram index and the
        author_id index) that PostgreSQL can OR together, instead of a join it must scan."""
        term = search_term.strip()
        if not term:
            return queryset, False
        authors = list(
            User.objects.filter(username__icontains=term).values_list("pk", flat=True)[:500]
        )
        return queryset.filter(Q(body__icontains=term) | Q(author__in=authors)), False

    @admin.display(description="earlier bodies")
    def earlier_bodies(self, message: Message) -> str:
        """What the author's edits replaced and their deletion emptied, oldest first: shown
        here rather than as an inline so that view_message is the only permission needed."""
        revisions = message.revisions.all()
        if not revisions:
            return "None: the body is as sent."
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{} at {}: <pre>{}</pre></li>",
                (
                    (revision.get_reason_display(), iso_utc(revision.replaced_at), revision.body)
                    for revision in revisions
                ),
            ),
        )

    @admin.display(description="body")
    def short_body(self, message: Message) -> str:
        return message.body if len(message.body) <= 80 else message.body[:79] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        # Bodies are on record as sent; moderators hide, restore or delete them instead.
        return False

    def has_hide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("chat.hide_message")

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # Deletion goes through delete_for_good, which tells the open sockets.
        actions.pop("delete_selected", None)
        return actions

    def _each(
        self,
        request: HttpRequest,
        messages_: QuerySet[Message],
        operation: Callable[[Message, Any], bool | None],
        verb: str,
    ) -> None:
        done = sum(
            operation(message, request.user) is not False
            for message in messages_.select_related("room", "author")
        )
        self.message_user(request, f"{done} message(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Hide selected messages", permissions=["hide"])
    def hide_messages(self, request: HttpRequest, messages_: QuerySet[Message]) -> None:
        self._each(request, messages_, services.hide_message, "hidden")

    @admin.action(description="Restore selected hidden messages", permissions=["hide"])
    def restore_messages(self, request: HttpRequest, messages_: QuerySet[Message]) -> None:
        self._each(request, messages_, services.restore_message, "restored")

    @admin.action(description="Delete selected messages for good", permissions=["delete"])
    def delete_for_good(self, request: HttpRequest, messages_: QuerySet[Message]) -> None:
        self._each(request, messages_, services.delete_message, "deleted")


@admin.register(RoomBan)
class RoomBanAdmin(admin.ModelAdmin):
    list_display = ["user", "room", "kind", "reason", "until", "created_by", "created_at"]
    list_filter = ["kind", "until"]
    list_select_related = ["user", "room", "created_by"]
    search_fields = ["user__username", "room__name", "room__slug", "reason"]
    autocomplete_fields = ["user", "room"]
    readonly_fields = ["created_by", "created_at"]
    form = RoomBanForm

    def save_model(self, request: HttpRequest, ban: RoomBan, form, change: bool) -> None:
        ban.pk = save_restriction(ban, request.user).pk

    # The services record every write to a ban or mute; the admin's own entries would say
    # each one twice (and "No fields changed." for an edit that changed nothing).
    def log_addition(self, request: HttpRequest, obj: RoomBan, message: Any) -> None:
        return None

    def log_change(self, request: HttpRequest, obj: RoomBan, message: Any) -> None:
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> None:
        return None

    def delete_model(self, request: HttpRequest, ban: RoomBan) -> None:
        services.lift_restriction(ban, request.user)

    def delete_queryset(self, request: HttpRequest, bans: QuerySet[RoomBan]) -> None:
        for ban in bans:
            services.lift_restriction(ban, request.user)


@admin.register(RoomMembership)
class RoomMembershipAdmin(admin.ModelAdmin):
    """Who is in which room: read-only (people join by opening a room and leave with its
    "Leave room" button). The room's page links here filtered by room (`?room=<pk>`)."""

    list_display = ["user", "room", "joined_at", "last_read_seq"]
    list_filter = [RoomFilter]
    list_select_related = ["user", "room"]
    search_fields = ["user__username"]
    ordering = ["user__username"]
    paginator = CheapCountPaginator
    show_full_result_count = False
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: RoomMembership | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: RoomMembership | None = None
    ) -> bool:
        return False


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """The moderation record: read-only."""

    list_display = ["action_time", "user", "content_type", "object_repr", "change_message"]
    list_filter = ["action_flag", "content_type"]
    list_select_related = ["user", "content_type"]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LogEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LogEntry | None = None) -> bool:
        return False
