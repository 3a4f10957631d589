"""Small, strict readers for settings that come from the environment.

Each helper refuses a malformed value with a one-line explanation instead of guessing, so a
typo in `.env` stops the start rather than silently running with a default.
"""

import os
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit


class ImproperlyConfiguredEnv(SystemExit):
    """Stops the process with a one-line message (no traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Parley configuration error: {message}")


def load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from `path` into os.environ; real environment variables win."""
    if not path.is_file():
        return
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ImproperlyConfiguredEnv(f"{path.name} line {number} is not KEY=VALUE: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def env_str(name: str, default: str = "") -> str:
    """The variable's value; an empty value counts as unset."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name).lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfiguredEnv(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


class Rate(NamedTuple):
    """At most `count` events per `seconds`."""

    count: int
    seconds: int


def env_rate(name: str, default: str) -> Rate | None:
    """A rate written COUNT/SECONDS, e.g. 10/3600; 0 means no limit (None)."""
    value = env_str(name, default)
    if value == "0":
        return None
    count, sep, seconds = value.partition("/")
    try:
        rate = Rate(int(count), int(seconds))
    except ValueError:
        rate = None
    if not sep or rate is None or rate.count < 1 or rate.seconds < 1:
        raise ImproperlyConfiguredEnv(
            f"{name} must be COUNT/SECONDS with both at least 1 (like 10/3600), or 0 for "
            f"no limit, not {value!r}"
        )
    return rate


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfiguredEnv(f"{name} must be one of {sorted(choices)}, not {value!r}")
    return value


def database_from_url(url: str) -> dict:
    """Django DATABASES entry for a postgres:// URL, with psycopg 3's connection pool."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfiguredEnv(
            f"DATABASE_URL must start with postgres://, not {parts.scheme or url!r}"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfiguredEnv("DATABASE_URL has no database name (postgres://…/NAME)")
    options: dict = dict(parse_qsl(parts.query))
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfiguredEnv(f"DATABASE_URL has a malformed port: {url!r}") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        "OPTIONS": options,
    }


def redis_url(name: str) -> str:
    url = env_str(name)
    if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfiguredEnv(f"{name} must start with redis:// or rediss://, not {url!r}")
    return url
