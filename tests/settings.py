"""Test settings: project.settings with the real services the tests run against.

Defaults point at the local PostgreSQL and Redis; DATABASE_URL and REDIS_URL override them.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parley")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECRET_KEY", "parley-tests-only")
os.environ.setdefault("CHANNEL_LAYER_PREFIX", "parley-test")
# The tests speak plain HTTP (the test client, and daphne on 127.0.0.1 for the browser): no
# redirect to https, cookies that plain HTTP carries. The rest of production's hardening
# (HSTS, CSP) stays on.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
# A save that cannot get a connection fails fast, so outage tests stay short.
os.environ.setdefault("DATABASE_POOL_TIMEOUT", "2")

from project.settings import *  # noqa: F403
from project.settings import ALLOWED_HOSTS, CHANNEL_LAYERS, DATABASES, INSTALLED_APPS, STORAGES

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
# The site's URLs and a view that fails on purpose, for the 500 page (tests/urls.py).
ROOT_URLCONF = "tests.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Separate runs on one machine (say, two checkouts) each get their own test database and
# channel-layer prefix: PARLEY_TEST_RUN=name.
_run = os.environ.get("PARLEY_TEST_RUN", "")
if _run:
    DATABASES["default"]["TEST"] = {"NAME": f"test_parley_{_run}"}
    CHANNEL_LAYER_PREFIX = f"parley-test-{_run}"  # the rate and socket counters' keys too
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = CHANNEL_LAYER_PREFIX
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The browser tests' server outlives the flushes between tests: tests/browser/apps.py.
if os.environ.get("PARLEY_SERVER_UNDER_TEST"):
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.browser.apps.ServerUnderTestConfig"]
