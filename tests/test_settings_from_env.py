"""Settings come from the environment: malformed values and a missing SECRET_KEY stop the
start with one line; no DATABASE_URL / REDIS_URL means the embedded defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from project.env import (
    ImproperlyConfiguredEnv,
    Rate,
    database_from_url,
    env_bool,
    env_int,
    env_rate,
    load_dotenv,
)

ROOT = Path(__file__).resolve().parent.parent


def settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    """Import project.settings in a clean interpreter (no .env, only `env`)."""
    clean = {"PATH": os.environ["PATH"], "PARLEY_VAR_DIR": "/tmp/parley-settings-test", **env}
    code = (
        "import project.env as e; e.load_dotenv = lambda path: None\n"
        f"import project.settings as s; print(({expression},))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_missing_secret_key_without_debug_stops_with_one_line():
    result = settings_in_subprocess({}, "s.SECRET_KEY")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "Parley configuration error: SECRET_KEY is not set; set it in the environment or "
        ".env (or DEBUG=1 for development)"
    ]


def test_embedded_defaults_without_database_or_redis_urls():
    result = settings_in_subprocess(
        {"DEBUG": "1"},
        "s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], "
        "s.CELERY_BROKER_URL",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "('django.db.backends.sqlite3', 'channels.layers.InMemoryChannelLayer', 'filesystem://')"
    )


def test_urls_select_postgres_and_redis():
    result = settings_in_subprocess(
        {
            "SECRET_KEY": "x",
            "DATABASE_URL": "postgres://u:p%40ss@db.example:6543/chat",
            "REDIS_URL": "redis://cache:6379/2",
        },
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['PASSWORD'], "
        "'pool' in s.DATABASES['default']['OPTIONS'], s.CHANNEL_LAYERS['default']['BACKEND'], "
        "s.CELERY_BROKER_URL, s.DEBUG",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "('django.db.backends.postgresql', 'p@ss', True, "
        "'channels_redis.pubsub.RedisPubSubChannelLayer', 'redis://cache:6379/2', False)"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        (
            {"DEBUG": "1", "CHAT_MAX_MESSAGE_CHARS": "lots"},
            "CHAT_MAX_MESSAGE_CHARS must be a whole",
        ),
        (
            {"DEBUG": "1", "CHAT_MAX_MESSAGE_CHARS": "0"},
            "CHAT_MAX_MESSAGE_CHARS must be at least 1",
        ),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must start with postgres://"),
        ({"DEBUG": "1", "REDIS_URL": "http://x"}, "REDIS_URL must start with redis://"),
        ({"DEBUG": "1", "ACCOUNT_EMAIL_VERIFICATION": "always"}, "ACCOUNT_EMAIL_VERIFICATION"),
        ({"DEBUG": "1", "CHAT_ROOM_CREATE_LIMIT": "10"}, "CHAT_ROOM_CREATE_LIMIT must be COUNT/"),
        ({"DEBUG": "1", "CHAT_ROOM_CREATE_LIMIT": "0/60"}, "CHAT_ROOM_CREATE_LIMIT must be"),
        ({"DEBUG": "1", "CHAT_ROOM_CREATE_LIMIT": "ten/hour"}, "CHAT_ROOM_CREATE_LIMIT must"),
        ({"DEBUG": "1", "CONTACT_EMAIL": "the office"}, "CONTACT_EMAIL must be an email"),
    ],
)
def test_malformed_values_stop_the_start_with_one_line(env, message):
    result = settings_in_subprocess(env, "s.DEBUG")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Parley configuration error: " + message)


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("RATE", "10/3600")
    monkeypatch.setenv("NO_RATE", "0")
    assert env_rate("RATE", "1/1") == Rate(count=10, seconds=3600)
    assert env_rate("NO_RATE", "1/1") is None
    assert env_rate("UNSET_RATE", "5/60") == Rate(5, 60)
    monkeypatch.setenv("FLAG", "off")
    monkeypatch.setenv("COUNT", " 12 ")
    monkeypatch.setenv("EMPTY", "")
    assert env_bool("FLAG", True) is False
    assert env_int("COUNT", 1) == 12
    assert env_int("EMPTY", 7) == 7
    with pytest.raises(ImproperlyConfiguredEnv):
        database_from_url("postgres://host:5432/")


def test_dotenv_file_fills_only_unset_variables(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nPARLEY_A=from-file\nexport PARLEY_B="quoted"\nPARLEY_C=\n')
    monkeypatch.setenv("PARLEY_A", "from-env")
    monkeypatch.delenv("PARLEY_B", raising=False)
    load_dotenv(dotenv)
    assert os.environ["PARLEY_A"] == "from-env"
    assert os.environ["PARLEY_B"] == "quoted"
    monkeypatch.delenv("PARLEY_B")
    monkeypatch.delenv("PARLEY_C", raising=False)


def test_malformed_dotenv_line_is_refused(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("JUST SOME WORDS\n")
    with pytest.raises(ImproperlyConfiguredEnv, match="line 1 is not KEY=VALUE"):
        load_dotenv(dotenv)


def test_several_redis_urls_shard_the_channel_layer_and_celery_takes_the_first():
    result = settings_in_subprocess(
        {"SECRET_KEY": "x", "REDIS_URL": "redis://a:6379/0, redis://b:6380/1"},
        "s.CHANNEL_LAYERS['default']['CONFIG']['hosts'], s.CELERY_BROKER_URL",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "([{'address': 'redis://a:6379/0', 'socket_timeout': None}, "
        "{'address': 'redis://b:6380/1', 'socket_timeout': None}], 'redis://a:6379/0')"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_URL": "redis://a:6379/0,http://b"}, "REDIS_URL must start with redis://"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of"),
    ],
)
def test_malformed_operations_settings_stop_the_start(env, message):
    result = settings_in_subprocess({"DEBUG": "1", **env}, "s.DEBUG")
    assert result.returncode != 0
    assert result.stderr.strip().startswith("Parley configuration error: " + message)
