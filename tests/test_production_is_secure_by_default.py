"""With DEBUG=0 Parley is hardened without being asked: HTTPS redirect, secure cookies, HSTS
for a year, and `manage.py check --deploy --fail-level WARNING` passes with the production
block of .env.example. With DEBUG=1 none of it gets in the way of development."""

from __future__ import annotations

import ast
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / ".env.example"
# No .env: only the variables a test passes.
NO_DOTENV = "import project.env as e; e.load_dotenv = lambda path: None\n"


def env_example() -> tuple[dict[str, str], dict[str, str]]:
    """.env.example's active lines, and its production block's commented-out ones."""
    active: dict[str, str] = {}
    production: dict[str, str] = {}
    section = ""
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.startswith("# ---"):
            section = line
        elif match := re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line):
            active[match[1]] = match[2]
        elif (match := re.fullmatch(r"#([A-Z][A-Z0-9_]*)=(.*)", line)) and "Production" in section:
            production[match[1]] = match[2]
    return active, production


def production_env() -> dict[str, str]:
    """.env.example as a deployment uses it: its production block uncommented, a real key."""
    active, production = env_example()
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "BEHIND_HTTPS_PROXY"} <= production.keys()
    return {**active, **production, "SECRET_KEY": secrets.token_urlsafe(50)}


def run(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ["PATH"], "PARLEY_VAR_DIR": "/tmp/parley-deploy-check", **env}
    return subprocess.run(
        [sys.executable, "-c", NO_DOTENV + code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "project.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(
        env,
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line("
        "['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
    )


def settings_of(env: dict[str, str], *names: str) -> tuple:
    result = run(
        env, f"import project.settings as s; print(repr(({', '.join(f's.{n}' for n in names)},)))"
    )
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout)


def test_the_production_block_of_env_example_passes_check_deploy():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_the_hardening_is_turned_off():
    env = {
        **production_env(),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
    }
    result = check_deploy(env)
    assert result.returncode != 0
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert warning in result.stderr


def test_production_defaults_are_secure():
    env = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50)}
    assert settings_of(
        env,
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
    ) == (True, True, True, 31_536_000, True, False, None)


def test_behind_a_proxy_the_redirect_stays_and_reads_the_forwarded_scheme():
    env = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "BEHIND_HTTPS_PROXY": "1"}
    assert settings_of(env, "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER") == (
        True,
        ("HTTP_X_FORWARDED_PROTO", "https"),
    )


def test_development_is_plain_http():
    active, _ = env_example()
    assert active["DEBUG"] == "1"
    assert settings_of(
        active, "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS"
    ) == (False, False, 0)


def test_each_default_can_be_overridden():
    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_HSTS_SECONDS": "3600",
        "SECURE_HSTS_PRELOAD": "1",
        "SECURE_SSL_REDIRECT": "0",
    }
    assert settings_of(
        env,
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_SSL_REDIRECT",
        "SILENCED_SYSTEM_CHECKS",
    ) == (3600, True, False, [])
