from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Parley's user; custom from the first migration so fields can be added later."""
