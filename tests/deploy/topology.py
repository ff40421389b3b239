"""The deployment of deploy/ started on one machine: nginx from Debian with the shipped site
configuration, web nodes, worker pools and beats started by the ExecStart lines of the shipped
systemd units, each with the environment of its role read from the shipped env files.

What differs from a real deployment is only what must: the addresses and ports (all on the
loopback), the folders, the certificate (made here, for `localhost`), the secrets (made here),
a Redis of the simulation's own as broker, cache and beat's lock, a local S3 server (moto's)
for the bucket, and the outside services (SMS, email) printing. Every
value replaced must be in the shipped file it replaces, so the files and the test cannot drift
apart."""

import base64
import contextlib
import datetime
import ipaddress
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

BASE_DIR = Path(__file__).resolve().parents[2]
DEPLOY = BASE_DIR / "deploy"
SHIPPED_ROOT = "/srv/portal"  # where the units expect the code and its virtualenv
SHIPPED_ENV_DIR = "/etc/portal/"
SHIPPED_NGINX_DIR = "/etc/nginx/portal/"
SHIPPED_STATIC_PARENT = "/var/lib/portal"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# Environment files and units ---------------------------------------------------------------


def env_file(name: str) -> dict[str, str]:
    """A shipped EnvironmentFile (KEY=VALUE lines, # comments), as systemd reads it."""
    values = {}
    for line in (DEPLOY / "env" / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def unit_command(unit: str, *, instance: str = "", overrides: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command and environment a shipped unit gives its process: its EnvironmentFile
    lines read in order, then `overrides` (each of which must be a variable those files set),
    and its ExecStart with systemd's specifiers and ${VAR} expanded."""
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
    specifiers = {"%i": instance, "%H": socket.gethostname(), "%%": "%"}

    def expand(value: str) -> str:
        return re.sub(r"%[iH%]", lambda m: specifiers[m.group(0)], value)

    env: dict[str, str] = {}
    for path in re.findall(r"^EnvironmentFile=-?(\S+)$", text, flags=re.MULTILINE):
        path = expand(path)
        assert path.startswith(SHIPPED_ENV_DIR), path
        env.update(env_file(path.removeprefix(SHIPPED_ENV_DIR)))
    unknown = set(overrides) - set(env)
    assert not unknown, f"{unit} ({instance}): the shipped env files do not list {sorted(unknown)}"
    env.update(overrides)
    (exec_start,) = re.findall(r"^ExecStart=(.+)$", text, flags=re.MULTILINE)
    words = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], expand(word)) for word in shlex.split(exec_start)]
    assert words[0].startswith(SHIPPED_ROOT + "/.venv/bin/"), words[0]
    words[0] = str(BASE_DIR / words[0].removeprefix(SHIPPED_ROOT + "/"))
    process_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    return words, process_env


def production_secrets() -> dict[str, str]:
    """Secrets as an operator makes them (.env.example says how): production refuses the
    published development keys."""
    signing = os.urandom(32)
    public = Ed25519PrivateKey.from_private_bytes(signing).public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "LICENCE_SIGNING_KEY": secrets.token_urlsafe(32),
        "AUDIT_CHECKPOINT_VERIFY_KEYS": base64.b64encode(raw).decode(),
        "AUDIT_CHECKPOINT_SIGNING_KEY": base64.b64encode(signing).decode(),
    }


# nginx ------------------------------------------------------------------------------------


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _replace(text: str, old: str, new: str, what: str) -> str:
    assert old in text, f"{what} no longer has {old!r}: change the simulation with it"
    return text.replace(old, new)


def nginx_config(folder: Path, *, web_ports: list[int], http_port: int, https_port: int, static_parent: Path) -> Path:
    """The shipped site, its server block's body and its upstream, written into `folder` with
    only addresses, ports, folders and the certificate replaced; and the top-level nginx.conf
    that Debian's package would provide, pointing at them."""
    portal_dir = folder / "portal"
    (portal_dir / "tls").mkdir(parents=True)
    self_signed_certificate(portal_dir / "tls")

    nodes = (DEPLOY / "nginx" / "portal-web-nodes.conf").read_text(encoding="utf-8")
    shipped_nodes = re.findall(r"^server (\S+:\d+) ", nodes, flags=re.MULTILINE)
    assert len(shipped_nodes) == len(web_ports), "the simulation runs as many web nodes as the file names"
    for address, port in zip(shipped_nodes, web_ports, strict=True):
        nodes = nodes.replace(f"server {address} ", f"server 127.0.0.1:{port} ")
    (portal_dir / "web-nodes.conf").write_text(nodes, encoding="utf-8")

    proxy = (DEPLOY / "nginx" / "portal-proxy.conf").read_text(encoding="utf-8")
    proxy = _replace(proxy, f"root {SHIPPED_STATIC_PARENT};", f"root {static_parent};", "portal-proxy.conf")
    (portal_dir / "proxy.conf").write_text(proxy, encoding="utf-8")

    site = (DEPLOY / "nginx" / "portal.conf").read_text(encoding="utf-8")
    site = _replace(site, "listen 80;", f"listen 127.0.0.1:{http_port};", "portal.conf")
    site = _replace(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", "portal.conf")
    site = _replace(site, SHIPPED_NGINX_DIR, f"{portal_dir}/", "portal.conf")
    (folder / "portal.conf").write_text(site, encoding="utf-8")

    temp = folder / "temp"
    temp.mkdir()
    # What /etc/nginx/nginx.conf of Debian's package holds, less what needs root's folders; an
    # access log that names the node each request went to; one worker process, so that its
    # round robin alternates strictly between the web nodes.
    user = "user root;\n" if os.geteuid() == 0 else ""  # pytest's folders are closed to nobody
    main = f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    log_format upstream '$request_method $uri $status upstream=$upstream_addr:$upstream_status';
    access_log {folder}/access.log upstream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {folder}/portal.conf;
}}
"""
    (folder / "nginx.conf").write_text(main, encoding="utf-8")
    return folder / "nginx.conf"


# Processes --------------------------------------------------------------------------------


class Process:
    """A child process in a session of its own (so a node is killed whole), its output in a
    log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path):
        self.name, self.command, self.env, self.log_path = name, command, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> "Process":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the shipped units' commands, our interpreter
                self.command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_lines(self) -> list[str]:
        return self.log().splitlines()

    def kill(self) -> None:
        """SIGKILL to the process and its children at once: the node dies as a machine would."""
        if self.running():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 30) -> None:
        """As systemd stops the units (KillMode=mixed): SIGTERM to the main process, then
        SIGKILL to whatever is left of it after `timeout`."""
        if not self.running():
            return
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        # Children left in the session (a pool process) go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def wait_until(condition, *, timeout: float, what: str, logs: list[Process] = ()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    tails = "\n".join(f"--- {p.name}\n" + "\n".join(p.log_lines()[-25:]) for p in logs)
    raise AssertionError(f"timed out ({timeout:.0f} s) waiting for {what}\n{tails}")
