"""The files of deploy/ agree with the portal and with each other (read, not run: the topology
test runs them)."""

import ipaddress
import re

from services.core.queues import DEFAULT_QUEUE, department_queue
from services.tooling.demo_data import DEPARTMENTS
from tests.deploy.topology import BASE_DIR, DEPLOY, env_file

POOL_FILES = sorted(path.name for path in (DEPLOY / "env").glob("worker-*.env"))


def _pool_queues() -> dict[str, list[str]]:
    return {name: env_file(name)["WORKER_QUEUES"].split(",") for name in POOL_FILES}


def test_the_worker_pools_consume_every_queue_exactly_once():
    pools = _pool_queues()
    every = [queue for queues in pools.values() for queue in queues]
    assert len(pools) >= 2
    assert len(every) == len(set(every)), pools  # disjoint
    assert set(every) == {DEFAULT_QUEUE, *(department_queue(code) for code, _zh, _en in DEPARTMENTS)}


def test_only_the_pool_of_the_default_queue_holds_the_checkpoint_signing_key():
    for name, queues in _pool_queues().items():
        assert ("AUDIT_CHECKPOINT_SIGNING_KEY" in env_file(name)) == (DEFAULT_QUEUE in queues), name
    for role in ("common.env", "web.env", "worker.env", "beat.env"):
        assert "AUDIT_CHECKPOINT_SIGNING_KEY" not in env_file(role), role


def test_nginx_lets_through_the_largest_upload_with_its_form():
    proxy = (DEPLOY / "nginx" / "portal-proxy.conf").read_text()
    (megabytes,) = re.findall(r"^client_max_body_size (\d+)m;", proxy, flags=re.MULTILINE)
    upload = int(env_file("web.env")["UPLOAD_MAX_BYTES"])
    assert int(megabytes) * 1024 * 1024 > upload + 1024 * 1024  # DATA_UPLOAD_MAX_MEMORY_SIZE


def test_the_web_nodes_trust_only_the_proxies_for_the_client_address_and_https():
    web = env_file("web.env")
    assert web["BEHIND_TLS_PROXY"] == "1"
    assert all(ipaddress.ip_network(proxy, strict=False) for proxy in web["TRUSTED_PROXIES"].split(","))
    proxy = (DEPLOY / "nginx" / "portal-proxy.conf").read_text()
    # Replaced with the address nginx saw, never appended to what the client sent.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in proxy
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in proxy


def test_every_variable_of_the_env_files_is_a_setting_or_read_by_a_unit():
    documented = set(re.findall(r"^#? ?([A-Z_0-9]+)=", (BASE_DIR / ".env.example").read_text(), re.MULTILINE))
    units = "".join(path.read_text() for path in (DEPLOY / "systemd").glob("*.service"))
    used_by_units = set(re.findall(r"\$\{(\w+)\}", units))
    for path in (DEPLOY / "env").glob("*.env"):
        unknown = set(env_file(path.name)) - documented - used_by_units
        assert not unknown, f"{path.name}: {sorted(unknown)}"
