"""`@username` mentions a member of the room, resolved when the message is saved: ignoring
case, without the sentence's punctuation after it, never a non-member or an e-mail address.
Stored as Message.mentions and Mention rows, resolved again on an edit, and carried as MSG
`mentions` wherever MSG goes: live, in history on the socket and over HTTP, in search."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat import membership, posting, services
from chat.models import Mention, Message
from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


def test_candidates_follow_the_username_rules():
    assert membership.mention_candidates("@Alice, @bob. @carol: @dave! @eve? @frank") == [
        "alice",
        "bob",
        "carol",
        "dave",
        "eve",
        "frank",
    ]
    # Username characters stay part of the name; an address is not a mention; repeats once.
    assert membership.mention_candidates("@j.doe+x-y_z @bob... mail bob@example.com @BOB") == [
        "j.doe+x-y_z",
        "bob",
    ]
    assert membership.mention_candidates("@ alone, @@, @.., (@bob)") == ["bob"]
    assert membership.mention_candidates("no mentions here") == []
    many = " ".join(f"@u{n}" for n in range(200))
    assert len(membership.mention_candidates(many)) == membership.MAX_MENTION_CANDIDATES


def mention_rows(message_id: int) -> list[tuple[int, int, int]]:
    return sorted(
        Mention.objects.filter(message_id=message_id).values_list("user_id", "room_id", "seq")
    )


def test_only_members_are_mentioned_whatever_the_case(alice, bob, charlie, room):
    membership.join(room, alice)
    membership.join(room, bob)  # charlie is no member
    message = services.post_message(
        room, alice, "@BOB, @Charlie and @alice: @nobody mail bob@example.com", "c1"
    ).message
    assert message.mentions == sorted([alice.pk, bob.pk])
    stored = Message.objects.get(pk=message.pk)
    assert stored.mentions == sorted([alice.pk, bob.pk])
    assert mention_rows(message.pk) == sorted(
        [(alice.pk, room.pk, message.seq), (bob.pk, room.pk, message.seq)]
    )
    plain = services.post_message(room, alice, "no one", "c2").message
    assert plain.mentions == [] and mention_rows(plain.pk) == []


def test_membership_counts_at_save_time(alice, bob, room):
    membership.join(room, alice)
    before = services.post_message(room, alice, "@bob?", "c1").message
    membership.join(room, bob)
    after = services.post_message(room, alice, "@bob?", "c2").message
    assert (before.mentions, after.mentions) == ([], [bob.pk])


def test_the_orm_path_resolves_them_too(alice, bob, room):
    membership.join(room, bob)
    saved = posting.commit_with_orm(room, posting.Draft(alice.pk, "c1", "hi @Bob!"))
    assert saved.mentions == [bob.pk]
    assert mention_rows(saved.id) == [(bob.pk, room.pk, saved.seq)]


async def test_an_edit_resolves_them_again(alice, bob, charlie, room, connect):
    author = await connect(alice)
    listener = await connect(bob)
    await connect(charlie)
    sent = await send_and_ack(author, "@bob look", "c1")
    heard = await listener.receive_json_from(timeout=5)
    assert heard["message"]["mentions"] == [bob.pk]

    await author.send_json_to(
        {"type": "message.edit", "id": sent["id"], "body": "@charlie look", "client_id": "e1"}
    )
    while (frame := await listener.receive_json_from(timeout=5))["type"] != "message.edited":
        pass
    assert frame["message"]["mentions"] == [charlie.pk]
    rows = await database_sync_to_async(mention_rows)(sent["id"])
    assert rows == [(charlie.pk, room.pk, sent["seq"])]
    stored = await database_sync_to_async(Message.objects.get)(pk=sent["id"])
    assert stored.mentions == [charlie.pk]


async def test_msg_carries_mentions_live_in_history_the_api_and_search(alice, bob, room, connect):
    author = await connect(alice)
    listener = await connect(bob)
    await send_and_ack(author, "deploying now @bob", "c1")
    await send_and_ack(author, "deploying later", "c2")
    live = [(await listener.receive_json_from(timeout=5))["message"] for _ in range(2)]
    assert [m["mentions"] for m in live] == [[bob.pk], []]

    await listener.send_json_to({"type": "history", "limit": 10})
    history = await listener.receive_json_from(timeout=5)
    assert [m["mentions"] for m in history["messages"]] == [[bob.pk], []]
    await listener.send_json_to({"type": "resume", "after_seq": 0})
    resumed = await listener.receive_json_from(timeout=5)
    assert [m["mentions"] for m in resumed["messages"]] == [[bob.pk], []]

    def over_http() -> tuple[list, list]:
        client = Client()
        client.force_login(bob)
        api = client.get("/api/rooms/general/messages/").json()["messages"]
        found = client.get("/api/search/", {"q": "deploying"}).json()["results"]
        return [m["mentions"] for m in api], [hit["message"]["mentions"] for hit in found]

    api, found = await database_sync_to_async(over_http)()
    assert api == [[bob.pk], []]
    assert found == [[], [bob.pk]]  # newest first
