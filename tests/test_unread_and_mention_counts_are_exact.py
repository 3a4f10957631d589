"""GET /api/rooms/ counts exactly: `unread` is the messages after the person's read position
that are not their own and neither hidden by a moderator nor deleted by their author;
`mentions` is those of them that mention the person. Checked on a hand-worked story, and
against a count made in Python after a long seeded mix of sends, reads, hides and deletions
by several people in two rooms."""

from __future__ import annotations

import contextlib
import random

import pytest
from django.test import Client

from chat import membership, services
from chat.models import Message, Room, RoomMembership


def my_rooms(user) -> dict[str, dict]:
    client = Client()
    client.force_login(user)
    response = client.get("/api/rooms/")
    assert response.status_code == 200
    return {entry["slug"]: entry for entry in response.json()["rooms"]}


def post(room: Room, author, body: str) -> Message:
    return services.post_message(room, author, body, f"c{random.random()}").message


@pytest.mark.django_db
def test_a_hand_worked_story(alice, bob, charlie, moderator, room):
    for person in (alice, bob, charlie, moderator):
        membership.join(room, person)
    post(room, bob, "morning")  # 1
    post(room, bob, "@alice, coffee?")  # 2: mentions alice
    post(room, charlie, "@ALICE and @bob: standup")  # 3: mentions alice and bob
    assert (my_rooms(alice)["general"]["unread"], my_rooms(alice)["general"]["mentions"]) == (3, 2)

    membership.mark_read(room, alice, 2)
    assert (my_rooms(alice)["general"]["unread"], my_rooms(alice)["general"]["mentions"]) == (1, 1)

    spam = post(room, bob, "@alice buy now")  # 4
    gone = post(room, charlie, "oops @alice")  # 5
    post(room, bob, "lunch")  # 6
    services.hide_message(spam, moderator)
    services.delete_own_message(room, charlie, gone.pk)
    alice_sees = my_rooms(alice)["general"]
    assert (alice_sees["unread"], alice_sees["mentions"]) == (2, 1)  # 3 and 6; 3 mentions
    assert (alice_sees["last_seq"], alice_sees["last_read_seq"]) == (6, 2)

    # Bob's own messages never count; his send at 6 moved his position past 3 (@bob).
    assert (my_rooms(bob)["general"]["unread"], my_rooms(bob)["general"]["mentions"]) == (0, 0)

    post(room, alice, "back")  # 7: her own send reads everything up to it
    assert (my_rooms(alice)["general"]["unread"], my_rooms(alice)["general"]["mentions"]) == (0, 0)
    # Charlie last sent at 5: 6 and 7 are after it.
    assert my_rooms(charlie)["general"]["unread"] == 2


@pytest.mark.django_db
def test_a_seeded_mix_matches_a_count_made_in_python(alice, bob, charlie, moderator, room):
    dice = random.Random(12)
    people = [alice, bob, charlie]
    rooms = [room, Room.objects.create(name="Random", slug="random", created_by=alice)]
    for place in rooms:
        for person in people:
            membership.join(place, person)
    sent: list[Message] = []
    for step in range(300):
        place, person = dice.choice(rooms), dice.choice(people)
        roll = dice.random()
        if roll < 0.6:
            named = dice.sample(["alice", "Bob", "CHARLIE", "nobody"], dice.randint(0, 2))
            body = " ".join(f"@{name}{dice.choice(['', ',', '.', '!'])}" for name in named)
            sent.append(post(place, person, f"{body} step {step}"))
        elif roll < 0.8:
            membership.mark_read(place, person, dice.randint(0, place.last_seq + 3))
        elif roll < 0.9 and sent:
            services.hide_message(dice.choice(sent), moderator)
        elif sent:
            message = dice.choice(sent)
            with contextlib.suppress(services.Rejected):  # deleted already
                services.delete_own_message(message.room, message.author, message.pk)
        for place in rooms:
            place.refresh_from_db()

    for person in people:
        answer = my_rooms(person)
        for place in rooms:
            read = RoomMembership.objects.get(user=person, room=place).last_read_seq
            counted = [
                message
                for message in Message.objects.filter(room=place)
                if message.seq > read
                and message.author_id != person.pk
                and message.hidden_at is None
                and message.deleted_at is None
            ]
            mentioning = [message for message in counted if person.pk in message.mentions]
            assert answer[place.slug]["last_read_seq"] == read
            assert answer[place.slug]["unread"] == len(counted)
            assert answer[place.slug]["mentions"] == len(mentioning)
    # The mix did leave something to count.
    assert sum(entry["unread"] for p in people for entry in my_rooms(p).values()) > 0
