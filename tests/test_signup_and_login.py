"""Sign up with username, email and password; log in by username or email; log out."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_signup_creates_the_user_and_signs_them_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dora",
            "email": "dora@example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(username="dora", email="dora@example.com").exists()
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("login", ["alice", "alice@example.com"])
def test_login_by_username_or_email(client, alice, login):
    response = client.post("/accounts/login/", {"login": login, "password": "alice-pw-1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused(client, alice):
    response = client.post("/accounts/login/", {"login": "alice", "password": "nope"})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_logout_ends_the_session(client, alice):
    client.force_login(alice)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_allauth_pages_use_the_site_layout(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'class="site-header"' in html
    assert "parley.css" in html
