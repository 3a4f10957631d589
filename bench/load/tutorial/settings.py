"""Settings of the tutorial reference: the tutorial's, on PostgreSQL and Redis.

Read from the environment the bench sets: TUTORIAL_DATABASE_URL, TUTORIAL_REDIS_URL and
TUTORIAL_CHANNEL_PREFIX. The database goes through Django's psycopg connection pool, as
Parley's does, so the reference pays no reconnect per message (with Django's default
CONN_MAX_AGE=0 and no pool, Channels' cleanup after every handler would close the
connection and the next save would open a new one).
"""

import os
from urllib.parse import urlsplit

_database = urlsplit(os.environ.get("TUTORIAL_DATABASE_URL", "postgres://postgres@127.0.0.1"))

SECRET_KEY = "bench-tutorial"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "channels",
    "bench.load.tutorial",
]
ROOT_URLCONF = "bench.load.tutorial.urls"
ASGI_APPLICATION = "bench.load.tutorial.asgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _database.path.lstrip("/") or "parley_bench_tutorial",
        "USER": _database.username or "",
        "PASSWORD": _database.password or "",
        "HOST": _database.hostname or "",
        "PORT": str(_database.port or ""),
        "OPTIONS": {"pool": {"min_size": 2, "max_size": 10, "timeout": 5}},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # The tutorial's plain host, with two fixes for redis-py 8. Its default 5 s
            # socket_timeout kills a socket's receive loop after 5 idle seconds
            # (channels_redis#422; Parley's settings turn it off too). And its pool fails a
            # command, rather than waiting, when 100 connections are in use: when a few
            # hundred sockets left at once, most group_discard calls failed and the group
            # kept the dead channels, so every later group_send of the run wrote to them.
            "hosts": [
                {
                    "address": os.environ.get("TUTORIAL_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "socket_timeout": None,
                    "max_connections": 20_000,
                }
            ],
            "prefix": os.environ.get("TUTORIAL_CHANNEL_PREFIX", "tutorial"),
        },
    }
}
USE_TZ = True
