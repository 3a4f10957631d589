"""Signing a person's open sockets out when what they signed in with stops being valid.

A socket checks its session once, at the handshake (accounts/websocket.py). These end it
later, with close code 4401 (docs/protocol.md), on every server process:

- the session logged out, or deleted (by an admin, or `clearsessions` once it expired):
  that session's sockets;
- the password changed (Django then accepts none of the person's older sessions), the
  account deactivated, or deleted: all the person's sockets.

Each is an event to the person, sent once the change commits
(chat.broadcast.tell_person_on_commit), that ChatConsumer.handle_event acts on. The signal
receivers in accounts/signals.py only call these. Changes that send no signal (a
QuerySet.update of `is_active`) are still caught at the socket's next send, whose batch
statement leaves out authors who are not active (chat/posting.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.base_session import AbstractBaseSession

from chat.broadcast import tell_person_on_commit

SIGNED_OUT = "chat.signed_out"
# The fields of the user that sessions rest on: the password (Django's session hash is
# made from it) and whether the account is active.
SIGN_IN_FIELDS = ("password", "is_active")


@dataclass(frozen=True)
class SignIn:
    password: str
    is_active: bool


def sign_out(user_id: int, session_key: str | None = None) -> None:
    """Once committed, close the sockets of `session_key`, or every socket of the person
    when it is None, on every server process."""
    tell_person_on_commit(user_id, {"type": SIGNED_OUT, "session_key": session_key})


def stored_sign_in(user: AbstractBaseUser, update_fields: Collection[str] | None) -> SignIn | None:
    """Before a save: what the person's sessions rest on now, if the save may change it
    (None for a new account, or a save of other fields only, like the last login's)."""
    if user.pk is None:
        return None
    if update_fields is not None and not set(SIGN_IN_FIELDS) & set(update_fields):
        return None
    row = get_user_model().objects.filter(pk=user.pk).values(*SIGN_IN_FIELDS).first()
    return SignIn(**row) if row else None


def user_saved(user: AbstractBaseUser, before: SignIn | None) -> None:
    """After a save: a new password or a deactivation ends all the person's sockets."""
    if before is None:
        return
    if user.password != before.password or (before.is_active and not user.is_active):
        sign_out(user.pk)


def session_deleted(session: AbstractBaseSession) -> None:
    """A deleted session (a logout flushes it too) ends its sockets."""
    user_id = session_user_id(session.get_decoded())
    if user_id is not None:
        sign_out(user_id, session.session_key)


def session_user_id(data: dict[str, Any]) -> Any:
    """The pk of the person a session's data signs in, or None."""
    value = data.get(SESSION_KEY)
    return None if value is None else get_user_model()._meta.pk.to_python(value)
