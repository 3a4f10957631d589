"""The log separates days ("Today", "Yesterday", then dates) and shows each message's time
of day in the reader's own time zone (the browser's, through Intl), whatever the server's.
Messages from three days are made by moving created_at in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import User
from chat import services
from chat.models import Message, Room
from tests.browser.conftest import log_in
from tests.browser.server import LiveServer
from tests.browser.support import Browser, Page, expect, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Far from UTC, so a day boundary there is not the server's.
ZONE = "Pacific/Auckland"


@pytest.fixture
def reader(browser: Browser, server: LiveServer, alice: User) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, timezone_id=ZONE, locale="en-US")
    log_in(context, alice, server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def clock(moment: datetime) -> str:
    """en-US's time of day: 9:05 AM."""
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def day_words(moment: datetime, today: datetime) -> str:
    if moment.date() == today.date():
        return "Today"
    if moment.date() == (today - timedelta(days=1)).date():
        return "Yesterday"
    words = f"{moment:%A}, {moment:%B} {moment.day}"
    return words if moment.year == today.year else f"{words}, {moment.year}"


def test_days_are_separated_and_times_are_local(reader: Page, room: Room, bob: User) -> None:
    zone = ZoneInfo(ZONE)
    now = timezone.now()
    # Local noon three days ago, noon yesterday, and an hour ago (two of them that day).
    today = now.astimezone(zone)
    three_ago = (today - timedelta(days=3)).replace(hour=12, minute=5, second=0)
    yesterday = (today - timedelta(days=1)).replace(hour=12, minute=40, second=0)
    recent = today - timedelta(minutes=30)
    moments = [three_ago, three_ago + timedelta(minutes=1), yesterday, recent]
    for number, moment in enumerate(moments, start=1):
        posted = services.post_message(room, bob, f"message {number}", f"m-{number}").message
        Message.objects.filter(pk=posted.pk).update(created_at=moment)

    open_room(reader, room)
    lines = reader.locator("#chat-log li.day-line")
    expected = [day_words(moment, today) for moment in (three_ago, yesterday, recent)]
    if recent.date() == yesterday.date():  # just after local midnight: one day fewer
        expected = expected[:2]
    expect(lines).to_have_text(expected)
    # Each separator is a heading right above the first message of its day.
    expect(reader.get_by_role("heading", name=expected[0], level=2)).to_be_visible()
    after = reader.eval_on_selector_all(
        "#chat-log li.day-line", "els => els.map(el => el.nextElementSibling.dataset.seq)"
    )
    assert after == ["1", "3", "4"][: len(expected)]

    times = reader.eval_on_selector_all(
        "#chat-log li[data-seq] time", "els => els.map(el => el.textContent)"
    )
    assert times == [clock(moment) for moment in moments]


def test_a_new_day_line_comes_with_the_first_message_of_today(
    reader: Page, room: Room, bob: User
) -> None:
    posted = services.post_message(room, bob, "from before", "old").message
    Message.objects.filter(pk=posted.pk).update(created_at=timezone.now() - timedelta(days=2))
    open_room(reader, room)
    expect(reader.locator("#chat-log li.day-line")).to_have_count(1)
    reader.get_by_label("Message", exact=True).fill("good morning")
    reader.get_by_label("Message", exact=True).press("Enter")
    expect(reader.locator("#chat-log li[data-seq='2']")).to_be_attached()
    expect(reader.locator("#chat-log li.day-line")).to_have_count(2)
    expect(reader.locator("#chat-log li.day-line").last).to_have_text("Today")
