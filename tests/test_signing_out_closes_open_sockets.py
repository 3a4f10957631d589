"""A socket does not outlive what it signed in with: logging out or deleting a session closes
that session's sockets with 4401, a password change or a deactivation closes all the
person's sockets, within a second, and a closed socket's sends save nothing. Another
session of the same person stays open on a logout. The event crosses processes: a logout
here closes a socket that the real web process serves."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import User
from chat.models import Message
from project.asgi import application
from tests.conftest import QuietCommunicator, send_and_ack
from tests.real_server import RawSocket

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "kettle-Orbit-93"


class Session_:
    """One signed-in browser: its HTTP client and its session cookie."""

    def __init__(self, user: User) -> None:
        self.client = Client()
        self.client.force_login(user)
        self.key = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={self.key}"

    async def socket(self) -> QuietCommunicator:
        headers = [
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", self.cookie.encode()),
        ]
        socket = QuietCommunicator(application, "/ws/chat/general/", headers=headers)
        connected, code = await socket.connect(timeout=5)
        assert connected, code
        return socket


async def signed_in(user: User) -> Session_:
    return await sync_to_async(Session_)(user)


async def closed_within_a_second(socket: QuietCommunicator) -> int:
    output = await socket.receive_output(timeout=1)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def sends_nothing(socket: QuietCommunicator) -> None:
    before = await database_sync_to_async(Message.objects.count)()
    await socket.send_json_to({"type": "message.send", "body": "still me?", "client_id": "late"})
    assert await socket.receive_nothing(timeout=0.5)
    assert await database_sync_to_async(Message.objects.count)() == before


async def test_logout_closes_that_sessions_socket_and_not_the_persons_other_session(alice, room):
    laptop, phone = await signed_in(alice), await signed_in(alice)
    on_laptop, on_phone = await laptop.socket(), await phone.socket()

    response = await sync_to_async(laptop.client.post)("/accounts/logout/")
    assert response.status_code == 302

    assert await closed_within_a_second(on_laptop) == 4401
    await sends_nothing(on_laptop)
    ack = await send_and_ack(on_phone, "phone still here", "p1")
    assert ack["type"] == "ack"
    await on_phone.disconnect()


async def test_deleting_a_session_closes_its_sockets(alice, room):
    laptop, phone = await signed_in(alice), await signed_in(alice)
    on_laptop, on_phone = await laptop.socket(), await phone.socket()

    await database_sync_to_async(Session.objects.filter(pk=laptop.key).delete)()

    assert await closed_within_a_second(on_laptop) == 4401
    assert await on_phone.receive_nothing(timeout=0.3)
    await on_phone.disconnect()


async def test_a_password_change_closes_every_socket_of_the_person(alice, bob, room):
    laptop, phone, bobs = await signed_in(alice), await signed_in(alice), await signed_in(bob)
    on_laptop, on_phone, on_bobs = await laptop.socket(), await phone.socket(), await bobs.socket()

    response = await sync_to_async(laptop.client.post)(
        "/accounts/password/change/",
        {"oldpassword": "alice-pw-1", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302

    # The session that made the change stays signed in over HTTP, but its sockets close too:
    # the change is committed before the session learns its new hash.
    assert await closed_within_a_second(on_laptop) == 4401
    assert await closed_within_a_second(on_phone) == 4401
    await sends_nothing(on_phone)
    assert await on_bobs.receive_nothing(timeout=0.3)
    await on_bobs.disconnect()


async def test_deactivating_the_account_closes_every_socket_of_the_person(alice, room):
    laptop, phone = await signed_in(alice), await signed_in(alice)
    on_laptop, on_phone = await laptop.socket(), await phone.socket()

    def deactivate() -> None:
        user = User.objects.get(pk=alice.pk)
        user.is_active = False
        user.save()  # as the admin's change form does

    await database_sync_to_async(deactivate)()

    assert await closed_within_a_second(on_laptop) == 4401
    assert await closed_within_a_second(on_phone) == 4401
    await sends_nothing(on_laptop)


async def test_saving_other_fields_closes_nothing(alice, room):
    laptop = await signed_in(alice)
    on_laptop = await laptop.socket()

    def rename() -> None:
        user = User.objects.get(pk=alice.pk)
        user.first_name = "Alice"
        user.save()

    await database_sync_to_async(rename)()

    assert await on_laptop.receive_nothing(timeout=0.5)
    assert (await send_and_ack(on_laptop, "still here", "s1"))["type"] == "ack"
    await on_laptop.disconnect()


def test_a_logout_in_one_process_closes_a_socket_served_by_another(serve, alice, room):
    # The web process listens on this test run's channel layer, as a second server would.
    server = serve(CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYER_PREFIX)
    laptop = Session_(alice)
    socket = RawSocket(f"ws://127.0.0.1:{server.port}/ws/chat/general/", laptop.cookie)
    # The handshake completes once the socket is admitted (signed in, room found, joined).
    assert socket.response is not None and socket.response.status_code == 101

    laptop.client.post("/accounts/logout/")

    assert socket.read_until_closed(timeout=1) == 4401
    socket.close()
