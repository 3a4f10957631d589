"""The index says how long ago a room was active as people say it: "just now", "5 min ago",
"2 hours ago", "yesterday", "3 days ago", then the date; never "0 minutes ago"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from chat.models import Room
from chat.templatetags.relative_time import ago

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "said"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-30), "just now"),  # a clock a little ahead
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=5, seconds=40), "5 min ago"),
        (timedelta(minutes=59), "59 min ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=2, minutes=50), "2 hours ago"),
        (timedelta(hours=30), "yesterday"),
        (timedelta(days=3, hours=5), "3 days ago"),
        (timedelta(days=20), "Nov 4"),
        (timedelta(days=400), "Oct 20, 2025"),
    ],
)
def test_a_past_moment_reads_as_people_say_it(before: timedelta, said: str) -> None:
    assert ago(NOW - before, now=NOW) == said


@pytest.mark.django_db
def test_the_index_says_just_now_for_a_room_active_this_minute(alice: User) -> None:
    Room.objects.create(name="Fresh", slug="fresh", created_by=alice)
    Room.objects.create(
        name="Older",
        slug="older",
        created_by=alice,
        last_activity_at=timezone.now() - timedelta(minutes=5, seconds=10),
    )
    client = Client()
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "Last activity" in page
    assert ">just now</time>" in page
    assert ">5 min ago</time>" in page
    assert "0 minutes" not in page
