"""Least privilege: moderators cannot open accounts (emails, names, dates); only superusers
can. They still pick whom to ban or mute by username, through the autocomplete of the
ban/mute form's user field, and its answers hold ids and usernames, nothing more."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = "/admin/autocomplete/"


def pick_user(client, term: str, model_name: str = "roomban", field_name: str = "user"):
    return client.get(
        AUTOCOMPLETE,
        {"term": term, "app_label": "chat", "model_name": model_name, "field_name": field_name},
    )


def test_the_migrated_moderators_group_holds_no_account_permission():
    moderators = Group.objects.get(name="Moderators")
    assert not moderators.permissions.filter(content_type__app_label="accounts").exists()
    assert moderators.permissions.filter(codename="add_roomban").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/?q=bob",
        "/admin/accounts/user/{bob}/change/",
        "/admin/accounts/user/{bob}/password/",
        "/admin/accounts/user/{bob}/history/",
    ],
)
def test_a_moderator_gets_403_on_the_user_admin(client, moderator, bob, url):
    client.force_login(moderator)
    response = client.get(url.format(bob=bob.pk))
    assert response.status_code == 403
    assert b"bob@example.com" not in response.content


def test_the_admin_index_does_not_offer_accounts_to_a_moderator(client, moderator):
    client.force_login(moderator)
    html = client.get("/admin/").content.decode()
    assert "/admin/accounts/user/" not in html
    assert "/admin/chat/roomban/" in html


def test_a_moderator_finds_bob_by_username_without_his_email(client, moderator, bob, charlie):
    client.force_login(moderator)
    response = pick_user(client, "bo")
    assert response.status_code == 200
    assert response.json() == {
        "results": [{"id": str(bob.pk), "text": "bob"}],
        "pagination": {"more": False},
    }
    assert b"example.com" not in response.content


def test_a_moderator_cannot_find_people_by_email(client, moderator, bob):
    client.force_login(moderator)
    assert pick_user(client, "bob@example.com").json()["results"] == []
    assert pick_user(client, "example").json()["results"] == []


def test_the_inline_ban_form_on_a_room_finds_people_too(client, moderator, room, bob):
    client.force_login(moderator)
    html = client.get(f"/admin/chat/room/{room.pk}/change/").content.decode()
    assert 'data-model-name="roomban"' in html
    assert [r["text"] for r in pick_user(client, "bob").json()["results"]] == ["bob"]


def test_staff_who_may_not_ban_cannot_look_people_up(client, plain_staff, bob):
    client.force_login(plain_staff)
    assert pick_user(client, "bob").status_code == 403


def test_a_moderator_cannot_look_people_up_through_a_field_they_may_not_fill(
    client, moderator, bob
):
    # Messages are never added or changed in the admin, so their author field picks no one.
    client.force_login(moderator)
    assert pick_user(client, "bob", "message", "author").status_code == 403


def test_a_superuser_sees_accounts(client, django_user_model, bob):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "root-pw-1")
    client.force_login(root)
    assert client.get("/admin/accounts/user/").status_code == 200
    response = client.get(f"/admin/accounts/user/{bob.pk}/change/")
    assert response.status_code == 200
    assert b"bob@example.com" in response.content
    assert [r["text"] for r in pick_user(client, "bob@example").json()["results"]] == ["bob"]
