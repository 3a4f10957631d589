"""With DEBUG=0, as in production: collectstatic writes hashed, compressed copies of the
static files, pages name the hashed ones, and the web process serves them compressed and
cacheable for at least a year (they can never change under that name), while unhashed names
and /favicon.ico stay briefly cached. A real server process over a collected STATIC_ROOT."""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.server import BASE_DIR, LiveServer

YEAR = 365 * 24 * 3600


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("production")
    env = {
        key: value
        for key, value in os.environ.items()
        # Settings of the test run that production would not have.
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DEBUG="0",
        SECRET_KEY="static-files-test",
        STATIC_ROOT=str(tmp / "static"),
        WHITENOISE_USE_FINDERS="0",
        PARLEY_VAR_DIR=str(tmp / "var"),
        # Plain HTTP on 127.0.0.1; the rest of production's settings stay on.
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    server = LiveServer(_free_port(), env, tmp / "server.log")
    server.start()
    yield server
    server.stop()


def fetch(url: str, encodings: str = "gzip, br") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encodings})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def max_age(headers: dict[str, str]) -> int:
    found = re.search(r"max-age=(\d+)", headers.get("cache-control", ""))
    return int(found.group(1)) if found else 0


def test_pages_name_hashed_files_served_compressed_and_cached_for_a_year(
    production: LiveServer,
) -> None:
    _, _, page = fetch(f"{production.url}/accounts/login/")
    stylesheet = re.search(rb'href="(/static/css/parley\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the page does not name a hashed stylesheet"

    status, headers, _ = fetch(production.url + stylesheet.group(1).decode())
    assert status == 200
    assert headers.get("content-encoding") in {"gzip", "br"}
    assert max_age(headers) >= YEAR
    assert "immutable" in headers["cache-control"]

    # Under its plain name the same file may change with the next deploy: briefly cached.
    status, headers, _ = fetch(f"{production.url}/static/css/parley.css")
    assert status == 200 and max_age(headers) < YEAR


def test_the_room_modules_import_each_other_by_hashed_name(production: LiveServer) -> None:
    static_root = Path(production.env["STATIC_ROOT"])
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    room = manifest["chat/room.js"]
    status, headers, body = fetch(f"{production.url}/static/{room}", encodings="gzip")
    assert status == 200 and max_age(headers) >= YEAR
    assert headers.get("content-encoding") == "gzip"
    body = gzip.decompress(body)
    # A deploy never mixes an old room.js with a new log.js.
    hashed_log = manifest["chat/log.js"].removeprefix("chat/")
    assert f'from "./{hashed_log}"' in body.decode()


def test_the_favicon_is_served_at_the_root(production: LiveServer) -> None:
    status, headers, body = fetch(f"{production.url}/favicon.ico")
    assert status == 200
    assert headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert body[:4] == b"\x00\x00\x01\x00"
