"""`make run` serves the whole app on embedded defaults (no PostgreSQL, no Redis), and one
SIGTERM to its process group stops web, worker and beat with nothing left running."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return 0


def processes_in_session(session_id: int) -> list[str]:
    listing = subprocess.run(
        ["ps", "-eo", "sid=,pid=,args="], capture_output=True, text=True, check=True
    ).stdout
    return [line for line in listing.splitlines() if line.split()[0] == str(session_id)]


def test_make_run_serves_everything_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    }
    env.update(PARLEY_VAR_DIR=str(tmp_path), DEBUG="1")
    had_dotenv = (ROOT / ".env").exists()
    log = (tmp_path / "run.log").open("w")
    run = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while get(f"http://127.0.0.1:{port}/accounts/login/") != 200:
            assert run.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "make run did not serve within 90 s"
            time.sleep(0.5)
        assert get(f"http://127.0.0.1:{port}/static/css/parley.css") == 200
        while "ready" not in (text := (tmp_path / "run.log").read_text()) or (
            "beat: Starting" not in text
        ):
            assert time.monotonic() < deadline, "worker or beat did not start"
            time.sleep(0.5)
        assert (tmp_path / "parley.sqlite3").exists()
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=30)
        log.close()
        if not had_dotenv:
            (ROOT / ".env").unlink(missing_ok=True)

    deadline = time.monotonic() + 15
    while (left := processes_in_session(run.pid)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == [], f"still running after SIGTERM: {left}"
