"""`/metrics` on a real server process counts what its sockets did (sockets open, messages
saved, broadcasts and their latency, deliveries, errors by code, refusals by close code),
only for the bearer of METRICS_TOKEN; the Celery prune task counts its runs and rows."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta

import pytest
from channels.testing import HttpCommunicator
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed

from chat.models import Message
from chat.tasks import prune_messages
from project.asgi import application
from project.ops import prometheus
from tests.conftest import fill_room, session_cookie
from tests.processes import ParleyServer, Processes
from tests.room_client import RoomSocket

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "metrics-token-for-tests"


def scrape(server: ParleyServer, token: str | None = TOKEN) -> tuple[int, str]:
    request = urllib.request.Request(f"{server.url}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_real_traffic_for_the_token_bearer_only(alice, bob, room, tmp_path):
    with Processes(tmp_path) as processes:
        [server] = processes.parley(METRICS_TOKEN=TOKEN)
        assert scrape(server, token=None)[0] == 403
        assert scrape(server, token="wrong")[0] == 403
        status, before = scrape(server)
        assert status == 200
        assert value(before, "parley_messages_saved_total") == 0
        asyncio.run(traffic(server, session_cookie(alice), session_cookie(bob)))


async def traffic(server: ParleyServer, alice: bytes, bob: bytes) -> None:
    sender = await RoomSocket.open(server.ws_url, "general", alice)
    listener = await RoomSocket.open(server.ws_url, "general", bob)
    for n in range(3):
        assert (await sender.send_message(f"counted {n}", f"m{n}"))["type"] == "ack"
    assert (await sender.send_message("   ", "blank"))["code"] == "empty"
    await sender.send({"type": "no.such.frame"})
    assert (await sender.next_of("error"))["code"] == "bad_frame"
    await listener.heard(3)
    for slug, cookie in (("no-such-room", alice), ("general", b"sessionid=nobody")):
        refused = await RoomSocket.open(server.ws_url, slug, cookie)
        with pytest.raises(ConnectionClosed):
            await refused.frame()

    # The joins' `rooms.changed` and the presence join are published in the background.
    text = await asyncio.to_thread(
        scrape_until, server, lambda t: value(t, "parley_broadcasts_total", result="ok") >= 6
    )
    assert value(text, "parley_open_sockets") == 2
    assert value(text, "parley_messages_saved_total") == 3
    # Three messages, Alice and Bob joining the room (`rooms.changed` to each), and Bob's
    # arrival (presence.join; Alice, alone at first, was not announced).
    assert value(text, "parley_broadcasts_total", result="ok") == 6
    assert value(text, "parley_broadcast_seconds_count") == 6
    assert 0 < value(text, "parley_broadcast_seconds_sum") < 6
    # Three messages, each to the two sockets in this process, and the join to Alice's.
    assert value(text, "parley_deliveries_total") == 7
    assert value(text, "parley_errors_total", code="empty") == 1
    assert value(text, "parley_errors_total", code="bad_frame") == 1
    assert value(text, "parley_server_closes_total", code="4404") == 1
    assert value(text, "parley_server_closes_total", code="4401") == 1

    await sender.close()
    await listener.close()
    text = await asyncio.to_thread(
        scrape_until, server, lambda t: value(t, "parley_open_sockets") == 0
    )
    assert value(text, "parley_open_sockets") == 0
    assert value(text, "parley_messages_saved_total") == 3


def scrape_until(server: ParleyServer, done: Callable[[str], bool], seconds: float = 5) -> str:
    deadline = time.monotonic() + seconds
    while True:
        status, text = scrape(server)
        assert status == 200
        if done(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_prune_task_counts_its_runs_and_the_rows_it_deleted(alice, room):
    fill_room(room, alice, 5)
    Message.objects.filter(seq__lte=3).update(created_at=timezone.now() - timedelta(days=400))

    before = samples(prometheus.render().decode())
    prune_messages()
    after = samples(prometheus.render().decode())

    def moved(name: str) -> float:
        return after.get((name, ()), 0.0) - before.get((name, ()), 0.0)

    assert moved("parley_prune_runs_total") == 1
    assert moved("parley_prune_rows_deleted_total") == 3


async def test_metrics_are_off_without_a_token(settings):
    settings.METRICS_TOKEN = ""
    response = await HttpCommunicator(application, "GET", "/metrics").get_response()
    assert response["status"] == 404
