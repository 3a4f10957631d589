"""The password-reset pages name the address in CONTACT_EMAIL for people who are stuck, and,
with none set, do not tell them to "contact us" with no one to contact."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PAGES = ["/accounts/password/reset/", "/accounts/password/reset/done/"]


@pytest.mark.parametrize("url", PAGES)
@override_settings(CONTACT_EMAIL="help@example.org")
def test_reset_pages_name_the_contact_address(client: Client, url: str) -> None:
    html = client.get(url).content.decode()
    assert '<a href="mailto:help@example.org">help@example.org</a>' in html


@pytest.mark.parametrize("url", PAGES)
@override_settings(CONTACT_EMAIL="")
def test_without_an_address_the_reset_pages_ask_nobody_to_contact_us(
    client: Client, url: str
) -> None:
    html = client.get(url).content.decode().lower()
    assert "contact us" not in html
    assert "mailto:" not in html
