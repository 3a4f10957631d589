"""Test settings: project.settings with the real services the tests run against.

Defaults point at the local PostgreSQL and Redis; DATABASE_URL and REDIS_URL override them.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parley")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECRET_KEY", "parley-tests-only")
os.environ.setdefault("CHANNEL_LAYER_PREFIX", "parley-test")
# A save that cannot get a connection fails fast, so outage tests stay short.
os.environ.setdefault("DATABASE_POOL_TIMEOUT", "2")

from project.settings import *  # noqa: F403
from project.settings import ALLOWED_HOSTS, STORAGES

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
