"""Prometheus across processes: where each process writes its metrics, and how they are read.

uvicorn runs WEB_CONCURRENCY processes and Celery a pool of its own, and a scrape reaches
one of them, so each process writes its metrics to files in one directory
(prometheus_client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR) and `/metrics` adds up
the files of every process on the machine: web workers and, where it shares the directory
(`make run`, one machine), the Celery worker's prune counts.

The directory is chosen, and cleaned, before prometheus_client is imported (it decides its
storage at import): by `project/serve.py` for the web processes and by the Celery worker at
start. Cleaning removes the files of processes that are no longer running, so a restart
starts the counters afresh, and one process kind's start never erases the files of another
that is still running.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# prometheus_client names its files `<kind>_<pid>.db`, e.g. counter_812.db, gauge_livesum_812.db.
FILE_PID = re.compile(r"_(\d+)\.db$")


def use_directory(directory: Path) -> None:
    """Make this process, and the processes it starts, write their metrics to `directory`;
    first remove what processes no longer running left there."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.db"):
        pid = _pid_of(path)
        if pid is not None and not _running(pid):
            path.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def render() -> bytes:
    """The exposition text of every process writing to this process's directory (or of this
    process alone when it has none, as in tests run in one process)."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return generate_latest()
    # A process that died without saying so (SIGKILL) still has its "live" gauge files; its
    # sockets are gone, so they must not count.
    for path in Path(directory).glob("gauge_live*.db"):
        pid = _pid_of(path)
        if pid is not None and not _running(pid):
            multiprocess.mark_process_dead(pid, directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, directory)
    return generate_latest(registry)


def _pid_of(path: Path) -> int | None:
    match = FILE_PID.search(path.name)
    return int(match[1]) if match else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: running
    return True
