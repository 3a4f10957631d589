"""Signal receivers: each hands what happened to accounts.revocation, which decides."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import revocation
from accounts.models import User

# Where pre_save leaves the stored sign-in for post_save to compare with.
_BEFORE = "_sign_in_before_save"


@receiver(user_logged_out)
def logged_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    # Sent before the session is flushed, so its key is still there.
    if user is not None:
        revocation.sign_out(user.pk, request.session.session_key)


@receiver(pre_save, sender=User)
def user_saving(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    setattr(instance, _BEFORE, revocation.stored_sign_in(instance, update_fields))


@receiver(post_save, sender=User)
def user_saved(sender: Any, instance: User, **kwargs: Any) -> None:
    revocation.user_saved(instance, getattr(instance, _BEFORE, None))


@receiver(post_delete, sender=User)
def user_deleted(sender: Any, instance: User, **kwargs: Any) -> None:
    revocation.sign_out(instance.pk)


@receiver(post_delete, sender=Session)
def session_deleted(sender: Any, instance: Session, **kwargs: Any) -> None:
    revocation.session_deleted(instance)
