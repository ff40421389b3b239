"""Checkpoints: now and then, the head of the chain (its index and hash) is signed and written
to a file outside the database (AUDIT_CHECKPOINT_DIR), one file each, never overwritten.
Someone who can rewrite the database can recompute every hash after a change; they cannot
make the checkpoints already written agree without the signing key, which only the process
that writes checkpoints holds (AUDIT_CHECKPOINT_SIGNING_KEY, an Ed25519 private key; the
portal's other processes have the public keys, AUDIT_CHECKPOINT_VERIFY_KEYS). A deployment
keeps the directory where the web processes cannot write (another volume, an append-only or
remote store), and copies it off the host with the backups."""

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

PERIODIC = "periodic"
PRUNE = "prune"  # the head at a retention cut: where the chain that is kept begins


@dataclass(frozen=True)
class Checkpoint:
    index: int
    hash: str
    at: str
    kind: str
    path: Path
    valid: bool  # the signature verifies with one of the verify keys


def public_key_text(private_key_text: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_key_text))
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def _signing_key() -> Ed25519PrivateKey:
    text = settings.AUDIT_CHECKPOINT_SIGNING_KEY
    if not text:
        raise ImproperlyConfigured(
            "AUDIT_CHECKPOINT_SIGNING_KEY is not set here: checkpoints are written by the worker that has it."
        )
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))


def _payload(index: int, hash_: str, at: str, kind: str) -> bytes:
    return json.dumps({"index": index, "hash": hash_, "at": at, "kind": kind}, sort_keys=True).encode()


def checkpoint_write(*, index: int, hash_: str, kind: str = PERIODIC) -> Path | None:
    """Sign and write the checkpoint; None when the last one already holds this head."""
    folder = Path(settings.AUDIT_CHECKPOINT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{index:015d}-{kind}.json"
    if path.exists():
        return None
    at = timezone.now().isoformat(timespec="seconds")
    signature = _signing_key().sign(_payload(index, hash_, at, kind))
    body = {"index": index, "hash": hash_, "at": at, "kind": kind, "signature": base64.b64encode(signature).decode()}
    # "x": never over an existing file; written whole, then named, so a reader never sees half.
    partial = folder / f".{path.name}.partial"
    with open(partial, "x", encoding="utf-8") as handle:
        json.dump(body, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.link(partial, path)
    partial.unlink()
    return path


def checkpoints(folder: Path | None = None) -> list[Checkpoint]:
    """Every checkpoint in the directory (AUDIT_CHECKPOINT_DIR unless another is named: the
    ones a backup carries), by index; each says whether its signature holds."""
    folder = Path(settings.AUDIT_CHECKPOINT_DIR) if folder is None else folder
    if not folder.is_dir():
        return []
    keys = [Ed25519PublicKey.from_public_bytes(base64.b64decode(k)) for k in settings.AUDIT_CHECKPOINT_VERIFY_KEYS]
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            payload = _payload(int(body["index"]), str(body["hash"]), str(body["at"]), str(body["kind"]))
            signature = base64.b64decode(body["signature"])
        except (ValueError, KeyError, TypeError):
            found.append(Checkpoint(-1, "", "", "", path, valid=False))
            continue
        found.append(
            Checkpoint(body["index"], body["hash"], body["at"], body["kind"], path, _verifies(keys, signature, payload))
        )
    return sorted(found, key=lambda c: c.index)


def _verifies(keys: list[Ed25519PublicKey], signature: bytes, payload: bytes) -> bool:
    for key in keys:
        try:
            key.verify(signature, payload)
            return True
        except InvalidSignature:
            continue
    return False
