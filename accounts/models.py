from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """Parley's user; custom from the first migration so fields can be added later."""

    class Meta(AbstractUser.Meta):
        indexes = [
            # `@name` mentions are looked up ignoring case, inside the statement that saves a
            # batch of messages under its room's lock (chat/posting.py): by this index, a
            # few lookups, rather than a scan of every account.
            models.Index(Lower("username"), name="accounts_user_username_lower"),
        ]
