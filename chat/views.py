import logging
import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import frames, membership, search, services
from chat.converters import RoomSlugConverter
from chat.forms import RoomForm, RoomSearchForm
from chat.models import Room, RoomBan
from chat.validators import Invalid, parse_cursor, parse_limit, parse_query, parse_seq

logger = logging.getLogger(__name__)


def _room_or_404(slug: str, request: HttpRequest) -> tuple[Room, RoomBan | None]:
    """The room the person may read, with their mute there if any."""
    try:
        return services.room_and_restriction(slug, request.user)
    except Room.DoesNotExist:
        raise Http404("No such room.") from None


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    form = RoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            room = services.open_room(form.cleaned_data["name"], request.user)
        except services.Rejected as rejection:
            form.add_error("name", rejection.detail)
        else:
            return redirect(room)
    search = RoomSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    # Never the whole table: the most recently active rooms, one more to know there are more.
    shown = settings.CHAT_INDEX_ROOMS
    rooms = list(Room.objects.listed().matching(query).by_activity()[: shown + 1])
    context = {
        "form": form,
        "search": search,
        "query": query,
        "rooms": rooms[:shown],
        "more_rooms": len(rooms) > shown,
    }
    return render(request, "chat/index.html", context)


@login_required
@require_GET
def room(request: HttpRequest, slug: str) -> HttpResponse:
    room, restriction = _room_or_404(slug, request)
    # Where the person had read up to before this visit (the "new messages" line); opening
    # the room makes a newcomer a member with everything read.
    last_read_seq = membership.read_position(room, request.user)
    if last_read_seq is None:
        membership.join(room, request.user)
        last_read_seq = room.last_seq
    # ?seq=N opens the room on that message, in context (a link, a search result); a value
    # that is not a seq opens the room as usual.
    try:
        target = parse_seq(_query_int(request.GET, "seq"))
    except Invalid:
        target = None
    if target is None:
        history = frames.history_payload(
            services.history_before(room, None, settings.CHAT_PAGE_SIZE), room.slug
        )
    else:
        history = frames.around_payload(
            services.history_around(room, target, settings.CHAT_PAGE_SIZE), room.slug
        )
    context = {
        "room": room,
        "history": history,
        "target_seq": target,
        "edit_window_seconds": settings.CHAT_EDIT_WINDOW_SECONDS,
        "user_payload": {"id": request.user.pk, "username": request.user.get_username()},
        "restriction": frames.restriction_frame(restriction),
        "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
        "page_size": settings.CHAT_PAGE_SIZE,
        "last_read_seq": last_read_seq,
    }
    return render(request, "chat/room.html", context)


@login_required
@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Leave room": the room leaves the person's list; opening it again joins again."""
    room, _restriction = _room_or_404(slug, request)
    membership.leave(room, request.user)
    return redirect("chat:index")


def _json_error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404s: the site's page, except under /api/, where errors are JSON as documented. A
    slug no room can have (tested by the URL converter) lands here rather than in the API
    view, and still answers no_such_room. The page of a room that does not exist offers to
    create it."""
    if request.path.startswith("/api/rooms/"):
        return _json_error(404, "no_such_room", "No such room.")
    if request.path.startswith("/api/"):
        return _json_error(404, "not_found", "No such endpoint.")
    context = {"request_path": request.path}
    slug = _missing_room_slug(request)
    if slug:
        context["missing_room"] = slug
        context["suggested_name"] = _name_for_slug(slug)
    return render(request, "404.html", context, status=404)


def _missing_room_slug(request: HttpRequest) -> str | None:
    """The slug when the 404 is a room page's, for a signed-in person (who could create it)."""
    if not request.user.is_authenticated:
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return match.kwargs.get("slug") if match.view_name == "chat:room" else None


def _name_for_slug(slug: str) -> str:
    """A name that opens the room at `slug`: its words with spaces, when that slugifies back
    to the same address, otherwise the slug itself."""
    name = slug.replace("-", " ")
    return name if Room.slug_for(name) == slug else slug


def _readable_room(request: HttpRequest, slug: str) -> Room | JsonResponse:
    """The room at `slug` if the signed-in person may read it, else the API's answer why not."""
    try:
        return services.room_for_user(slug, request.user)
    except Room.DoesNotExist:
        return _json_error(404, "no_such_room", "No such room.")
    except PermissionDenied as denial:
        return _json_error(403, "forbidden", str(denial) or "You may not read this room.")


@require_GET
def messages_api(request: HttpRequest, slug: str) -> JsonResponse:
    """One page of a room's messages, oldest first; see docs/protocol.md."""
    if not request.user.is_authenticated:
        return _json_error(401, "not_signed_in", "Sign in to read this room.")
    room = _readable_room(request, slug)
    if isinstance(room, JsonResponse):
        return room

    query = request.GET
    if sum(name in query for name in ("before_seq", "after_seq", "around_seq")) > 1:
        return _json_error(
            400, "bad_request", "Give one of before_seq, after_seq or around_seq at most."
        )
    try:
        limit = parse_limit(_query_int(query, "limit"))
        if "around_seq" in query:
            around = parse_seq(_query_int(query, "around_seq"), "around_seq")
            around_page = services.history_around(room, around, limit)
            return JsonResponse(frames.around_payload(around_page, room.slug))
        if "after_seq" in query:
            after = parse_seq(_query_int(query, "after_seq"), "after_seq")
            page = services.history_after(room, after, limit)
        else:
            before = _query_int(query, "before_seq")
            before = None if before is None else parse_seq(before, "before_seq")
            page = services.history_before(room, before, limit)
    except Invalid as error:
        return _json_error(400, "bad_request", error.detail)
    except DatabaseError:
        logger.exception("History of room %s failed", room.pk)
        return _json_error(503, "unavailable", "The database is unavailable; try again shortly.")
    return JsonResponse(frames.history_payload(page, room.slug))


@require_GET
def my_rooms_api(request: HttpRequest) -> JsonResponse:
    """The signed-in person's rooms with unread and mention counts; see docs/protocol.md."""
    if not request.user.is_authenticated:
        return _json_error(401, "not_signed_in", "Sign in to see your rooms.")
    return JsonResponse(membership.my_rooms_payload(request.user))


@require_GET
def members_api(request: HttpRequest, slug: str) -> JsonResponse:
    """Members of a room whose username starts with `q`, for `@` autocomplete."""
    if not request.user.is_authenticated:
        return _json_error(401, "not_signed_in", "Sign in to see who is in this room.")
    room = _readable_room(request, slug)
    if isinstance(room, JsonResponse):
        return room
    prefix = request.GET.get("q", "").strip()[:150]
    if "\x00" in prefix:
        return JsonResponse({"members": []})  # no username holds a NUL (PostgreSQL refuses it)
    return JsonResponse({"members": membership.members_matching(room, prefix)})


@require_GET
def search_api(request: HttpRequest) -> JsonResponse:
    """Messages matching `q`, newest first, in `room` or in every room the person may read;
    see docs/protocol.md."""
    if not request.user.is_authenticated:
        return _json_error(401, "not_signed_in", "Sign in to search.")
    query = request.GET
    room = None
    if query.get("room"):
        try:
            # A slug no room can have (a NUL, a space) is no room, as in the room URLs.
            if not re.fullmatch(RoomSlugConverter.regex, query["room"]):
                raise Room.DoesNotExist
            room = services.room_for_user(query["room"], request.user)
        except Room.DoesNotExist:
            return _json_error(404, "no_such_room", "No such room.")
        except PermissionDenied as denial:
            return _json_error(403, "forbidden", str(denial) or "You may not read this room.")
    try:
        text = parse_query(query.get("q", ""))
        cursor = parse_cursor(query.get("cursor"))
        raw_limit = _query_int(query, "limit")
        limit = search.PAGE_SIZE if raw_limit is None else parse_limit(raw_limit)
        limit = min(limit, search.MAX_PAGE_SIZE)
        found = search.search_messages(request.user, text, room, cursor, limit)
    except Invalid as error:
        return _json_error(400, "bad_request", error.detail)
    except DatabaseError:
        logger.exception("Search failed")
        return _json_error(503, "unavailable", "The database is unavailable; try again shortly.")
    return JsonResponse(frames.search_payload(found))


def _query_int(query: QueryDict, name: str) -> int | str | None:
    """The parameter as an int when it is one; the raw text otherwise, for the validator to
    refuse with its message; None when absent or empty."""
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return raw
