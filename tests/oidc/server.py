"""The OpenID Connect provider of the tests (tests/oidc/provider.mjs, the Node package
oidc-provider pinned in package-lock.json), started as a real process on a free port, and
the steps a person takes through it, over real HTTP (requests) against the live server."""

import json
import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "provider.mjs"
NODE_MODULES = HERE / "node_modules"
CLIENT_ID = "portal"
CLIENT_SECRET = "portal-client-secret-only-for-the-tests"
TIMEOUT = 10


class IdentityProvider:
    """A running provider. The accounts it knows are a file it reads at every request, so a
    test changes them between two sign-ins (a group taken away, a second factor used)."""

    def __init__(self, *, process: subprocess.Popen, issuer: str, accounts_file: Path) -> None:
        self.process = process
        self.issuer = issuer
        self.accounts_file = accounts_file

    def accounts(self, accounts: dict[str, dict]) -> None:
        """{login: {"sub", "name", "preferred_username", "groups", "amr"}}"""
        self.accounts_file.write_text(json.dumps(accounts, ensure_ascii=False), encoding="utf-8")

    def sign_in(self, http: requests.Session, portal: str, login: str, *, next_path: str = "/workbench/"):
        """From the portal's "Sign in with the government account" link through the
        provider's login page and back: the answer where the redirects end."""
        login_page = http.get(f"{portal}/accounts/oidc/start/", params={"next": next_path}, timeout=TIMEOUT)
        assert login_page.url.startswith(f"{self.issuer}/interaction/"), (login_page.url, login_page.text[:500])
        action = re.search(r'<form method="post" action="([^"]+)"', login_page.text)
        assert action, login_page.text
        return http.post(urljoin(login_page.url, action.group(1)), data={"login": login}, timeout=TIMEOUT)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(*, portal_url: str, folder: Path) -> IdentityProvider:
    """Start the provider for the portal at `portal_url`; wait until its discovery document
    answers. A missing `npm ci` is a failure, never a skip (`make test` installs it)."""
    if not (NODE_MODULES / "oidc-provider").is_dir():
        pytest.fail(
            f"{NODE_MODULES} has no oidc-provider: run `npm ci --prefix tests/oidc` (make test does).", pytrace=False
        )
    accounts_file = folder / "accounts.json"
    accounts_file.write_text("{}", encoding="utf-8")
    out, err = folder / "provider.out", folder / "provider.err"
    env = {
        **os.environ,
        "PORTAL_URL": portal_url,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "ACCOUNTS_FILE": str(accounts_file),
    }
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(["node", str(SCRIPT)], env=env, stdout=stdout, stderr=stderr)  # noqa: S603, S607
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"^listening (\d+)$", out.read_text(), re.M)
        if found:
            issuer = f"http://127.0.0.1:{found.group(1)}"
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                    return IdentityProvider(process=process, issuer=issuer, accounts_file=accounts_file)
            except requests.ConnectionError:
                pass
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the OpenID Connect provider did not start: {err.read_text()}", pytrace=False)
