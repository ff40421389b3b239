"""Production settings come from the environment and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    "AUDIT_CHECKPOINT_VERIFY_KEYS": "5ZnmTq2bK0W7dT6y3tOu4mJ6C1oGm4b8dQv4xkq0y9A=",
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    # What the test run itself set: manage.py starts with the portal's own settings module.
    ours = {
        "SECRET_KEY",
        "DEBUG",
        "PORTAL_ENV",
        "ALLOWED_HOSTS",
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests
    }
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


def test_a_start_that_names_no_environment_is_production():
    result = _manage("check", env={"DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"]})
    assert result.returncode != 0
    assert "SECRET_KEY is not set: production needs a secret of its own" in result.stderr


def test_production_refuses_to_start_with_debug_on_and_says_which_setting_to_fix():
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "1"})
    assert result.returncode != 0
    assert "DEBUG is on in production" in result.stderr and "DEBUG=0" in result.stderr


@pytest.mark.parametrize(
    "name",
    ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "LICENCE_SIGNING_KEY", "AUDIT_CHECKPOINT_SIGNING_KEY"],
)
def test_production_refuses_a_development_key_and_says_which(name):
    from portal.settings import DEVELOPMENT_KEYS

    result = _manage("check", env={**PRODUCTION_ENV, name: DEVELOPMENT_KEYS[name]})
    assert result.returncode != 0
    assert f"{name} is a development key" in result.stderr or f"{name} holds the development key" in result.stderr


def test_production_needs_the_audit_checkpoints_public_key_and_refuses_the_development_one():
    from portal.settings import DEVELOPMENT_AUDIT_VERIFY_KEY

    missing = _manage("check", env={k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_CHECKPOINT_VERIFY_KEYS"})
    assert missing.returncode != 0 and "AUDIT_CHECKPOINT_VERIFY_KEYS is not set" in missing.stderr
    published = _manage("check", env={**PRODUCTION_ENV, "AUDIT_CHECKPOINT_VERIFY_KEYS": DEVELOPMENT_AUDIT_VERIFY_KEY})
    assert published.returncode != 0 and "AUDIT_CHECKPOINT_VERIFY_KEYS holds the development key" in published.stderr


def test_production_refuses_a_short_key_and_an_encryption_key_that_is_not_one():
    short = _manage("check", env={**PRODUCTION_ENV, "BLIND_INDEX_KEY": "short"})
    assert short.returncode != 0 and "BLIND_INDEX_KEY is too short" in short.stderr
    not_fernet = _manage("check", env={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": "x" * 60})
    assert not_fernet.returncode != 0 and "is not a Fernet key" in not_fernet.stderr


def test_an_unknown_environment_is_refused():
    result = _manage("check", env={**PRODUCTION_ENV, "PORTAL_ENV": "staging"})
    assert result.returncode != 0 and "PORTAL_ENV='staging'" in result.stderr


def test_the_embedded_demo_runs_with_the_published_development_keys():
    result = _manage("check", env={"PORTAL_ENV": "embedded"})
    assert result.returncode == 0, result.stderr


def test_the_demo_data_is_refused_in_production():
    result = _manage("seed_demo", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "does not run in production" in result.stderr


IDENTITY_PROVIDER = {
    "OIDC_RP_CLIENT_ID": "portal",
    "OIDC_RP_CLIENT_SECRET": "the-secret-the-identity-provider-gave-the-portal",
    "OIDC_OP_ISSUER": "https://idp.example.gov.cn/realms/gov/",
}
FORM_ACTION = "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"


def test_sign_in_through_the_identity_provider_is_off_unless_configured_and_then_passes_the_checks():
    off = _manage("shell", "--no-imports", "-c", FORM_ACTION, env=PRODUCTION_ENV)
    on = _manage("shell", "--no-imports", "-c", FORM_ACTION, env={**PRODUCTION_ENV, **IDENTITY_PROVIDER})
    deploy = _manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, **IDENTITY_PROVIDER})

    assert off.stdout.strip() == "[\"'self'\"]", off.stderr
    # Signing out sends the browser on to the provider's sign-out: its origin, not its path.
    assert on.stdout.strip() == "[\"'self'\", 'https://idp.example.gov.cn']", on.stderr
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr


def test_production_refuses_a_half_configured_or_plain_http_identity_provider():
    half = _manage("check", env={**PRODUCTION_ENV, "OIDC_RP_CLIENT_ID": "portal"})
    plain = _manage("check", env={**PRODUCTION_ENV, **IDENTITY_PROVIDER, "OIDC_OP_ISSUER": "http://idp.example.gov.cn"})
    weak = _manage("check", env={**PRODUCTION_ENV, **IDENTITY_PROVIDER, "OIDC_RP_SIGN_ALGO": "HS256"})

    assert half.returncode != 0 and "OIDC_RP_CLIENT_SECRET and OIDC_OP_ISSUER together" in half.stderr
    assert plain.returncode != 0 and "OIDC_OP_ISSUER must be an https:// address" in plain.stderr
    assert weak.returncode != 0 and "OIDC_RP_SIGN_ALGO='HS256'" in weak.stderr
