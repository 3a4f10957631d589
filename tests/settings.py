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
# PostgreSQL through Django's backend, but for how a transactional test's rows are cleared
# after it: tests/postgresql/base.py.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "tests.postgresql"
# The site's URLs and a view that fails on purpose, for the 500 page (tests/urls.py).
ROOT_URLCONF = "tests.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Separate runs on one machine (say, two checkouts) each get their own test database and
# channel-layer prefix: PARLEY_TEST_RUN=name. So does each pytest-xdist worker of a run
# (PYTEST_XDIST_WORKER: gw0, gw1...): pytest-django appends the worker to the database's
# name (test_parley_speed_gw0), and the prefix gets it here (parley-test-speed_gw0). Server
# processes the tests start are given a prefix of their own, and drop both variables
# (tests.real_server.RUN_VARIABLES) so that this does not replace it.
_run = os.environ.get("PARLEY_TEST_RUN", "")
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _run:
    DATABASES["default"]["TEST"] = {"NAME": f"test_parley_{_run}"}
if _run or _worker:
    # The rate and socket counters' and presence's Redis keys too (chat.limits, chat.presence).
    CHANNEL_LAYER_PREFIX = "parley-test-" + "_".join(filter(None, [_run, _worker]))
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = CHANNEL_LAYER_PREFIX
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The browser tests' server outlives the flushes between tests: tests/browser/apps.py.
if os.environ.get("PARLEY_SERVER_UNDER_TEST"):
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.browser.apps.ServerUnderTestConfig"]
