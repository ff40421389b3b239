"""Production settings come from the environment and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "k8#Qv2!pZr7@Lw4$Tn9^Xy3&Bm6*Hs1%Dc5(Fg0)Jk2_Nq8+Rt4=Vw7",
    "ALLOWED_HOSTS": "zwfw.example.gov.cn",
    "FIELD_ENCRYPTION_KEYS": "3q2-7wJ6X9m0yLrJ8mVQ1N4b0u5Yz6f7c8d9e0f1a2c=",
    "BLIND_INDEX_KEY": "a-long-random-blind-index-key-for-the-check",
    "LICENCE_SIGNING_KEY": "a-long-random-licence-signing-key-for-the-check",
    "DATABASE_URL": "postgres://portal@db.internal:5432/portal",
    "REDIS_URL": "redis://cache.internal:6379/0",
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    ours = {
        "SECRET_KEY",
        "DEBUG",
        "PORTAL_ENV",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }  # the last: browser tests
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_shows_no_warning_with_production_values():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
