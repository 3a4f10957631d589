"""The flood-control settings: COUNT/SECONDS or 0 (off) for the rates, a count or 0 (no cap)
for sockets, production defaults when unset, and one line that names the variable for a
malformed value."""

import pytest

from tests.test_settings_from_env import settings_in_subprocess

LIMITS = "s.CHAT_RATE_LIMIT, s.CHAT_FRAME_LIMIT, s.CHAT_MAX_SOCKETS_PER_USER"


def test_defaults():
    result = settings_in_subprocess({"DEBUG": "1"}, LIMITS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "(Rate(count=20, seconds=10), Rate(count=100, seconds=10), 20)"
    )


def test_zero_turns_each_off():
    env = {"DEBUG": "1", "CHAT_RATE_LIMIT": "0", "CHAT_FRAME_LIMIT": "0"}
    result = settings_in_subprocess({**env, "CHAT_MAX_SOCKETS_PER_USER": "0"}, LIMITS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(None, None, 0)"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHAT_RATE_LIMIT", "20"),
        ("CHAT_RATE_LIMIT", "20/0"),
        ("CHAT_FRAME_LIMIT", "lots/10"),
        ("CHAT_MAX_SOCKETS_PER_USER", "-1"),
    ],
)
def test_a_malformed_limit_stops_the_start_with_one_line(name, value):
    result = settings_in_subprocess({"DEBUG": "1", name: value}, LIMITS)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Parley configuration error: {name} must")
