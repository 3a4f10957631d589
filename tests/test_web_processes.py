"""The web process uses every core when the channel layer can span processes (REDIS_URL set),
and exactly one process on the embedded default, whose in-memory layer cannot."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.make_run import free_port

ROOT = Path(__file__).resolve().parent.parent


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            command = (entry / "cmdline").read_bytes()
            # multiprocessing's resource tracker is a child too, but serves nothing.
            if int(fields[1]) == pid and b"resource_tracker" not in command:
                found.append(int(entry.name))
    return found


def serving_processes(settings: dict[str, str], tmp_path: Path) -> int:
    """Start the web process with only `settings` of Parley's own, wait until it answers,
    and count the processes serving."""
    port = free_port()
    inherited = {"DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY", "SECRET_KEY"}
    env = {
        **{
            key: value
            for key, value in os.environ.items()
            if not key.startswith("DJANGO_") and key not in inherited
        },
        "PARLEY_VAR_DIR": str(tmp_path),
        "PARLEY_HOST": "127.0.0.1",
        "PARLEY_PORT": str(port),
        "DEBUG": "1",
        **settings,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "project.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the web process exited"
            assert time.monotonic() < deadline, "the web process did not answer"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)  # every worker has started by the time one answers, but be sure
        workers = children_of(process.pid)
        return len(workers) or 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_with_redis_the_web_process_runs_one_worker_per_core(tmp_path):
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "CHANNEL_LAYER_PREFIX": "parley-test-web"}
    assert serving_processes(env, tmp_path) == os.cpu_count()


def test_without_redis_the_web_process_is_one_process(tmp_path):
    assert serving_processes({}, tmp_path) == 1


def test_web_concurrency_sets_the_number_of_workers(tmp_path):
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "WEB_CONCURRENCY": "3"}
    assert serving_processes(env, tmp_path) == 3
