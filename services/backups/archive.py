"""The archive: a tar of `database.dump`, `files/…`, `checkpoints/…` and `manifest.json` (the
SHA-256 of every other member), encrypted with age (pyrage) to the operators' public keys, and
the SHA-256 of the encrypted file written beside it (`<archive>.sha256`, as sha256sum writes
it). age authenticates every 64 KiB of what it encrypts and marks the last piece, so a changed
byte, a cut-off end or a wrong key is refused while decrypting, even with no checksum file."""

import hashlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pyrage
from django.utils.translation import gettext as _

from services.core.errors import PortalError

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files/"
CHECKPOINTS = "checkpoints/"
CHUNK = 1024 * 1024
NOTHING_RESTORED = "backup_refused"


@dataclass
class Opened:
    """An archive decrypted into the staging folder, every member checked against the manifest."""

    manifest: dict[str, Any]
    tar_path: Path


class _Hashing:
    """Reads a file for tarfile and hashes exactly what tarfile takes."""

    def __init__(self, handle: IO[bytes]):
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def recipients_parse(keys: Iterable[str]) -> list[Any]:
    parsed = []
    for key in keys:
        try:
            parsed.append(pyrage.x25519.Recipient.from_str(key.strip()))
        except pyrage.RecipientError:
            raise PortalError(
                _("BACKUP_RECIPIENTS holds %(key)s, which is not an age public key (age1…).") % {"key": key[:20]}
            ) from None
    if not parsed:
        raise PortalError(
            _(
                "BACKUP_RECIPIENTS is not set: name the age public keys the archives are encrypted to "
                "(their private keys are kept apart, for restoring)."
            )
        )
    return parsed


def identities_read(path: Path) -> list[Any]:
    """The age identities (AGE-SECRET-KEY-1…) in a file as age-keygen writes it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        raise PortalError(_("The identity file %(file)s cannot be read.") % {"file": path}) from None
    try:
        found = [pyrage.x25519.Identity.from_str(line.strip()) for line in lines if line.startswith("AGE-SECRET-KEY-")]
    except pyrage.IdentityError:
        found = []
    if not found:
        raise PortalError(_("The identity file %(file)s holds no valid age identity.") % {"file": path})
    return found


def archive_write(
    *, members: list[tuple[str, Path]], manifest: dict[str, Any], destination: Path, staging: Path, recipients: list
) -> dict[str, Any]:
    """Write the tar (the manifest last, with the hash of each member as it went in), encrypt
    it beside the destination, then give it its name (never over an existing file) and write
    its checksum file. Returns the manifest as written."""
    tar_path = staging / "archive.tar"
    entries = {}
    with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, source in members:
            try:
                handle = open(source, "rb")  # noqa: SIM115 - closed below, once added
            except FileNotFoundError:
                continue  # deleted since the store was listed (a draft swept): so is its row, a moment later
            with handle:
                info = tarfile.TarInfo(name)
                stat = os.fstat(handle.fileno())
                info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
                reader = _Hashing(handle)
                tar.addfile(info, reader)
                entries[name] = {"size": info.size, "sha256": reader.digest.hexdigest()}
        manifest = {**manifest, "format": FORMAT, "members": entries}
        body = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(body), 0o600
        tar.addfile(info, io.BytesIO(body))
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    pyrage.encrypt_file(str(tar_path), str(partial), recipients)
    try:
        os.link(partial, destination)  # refused if the name is taken: an archive is never overwritten
    except FileExistsError:
        raise PortalError(_("%(file)s already exists: choose another name.") % {"file": destination}) from None
    finally:
        partial.unlink()
    checksum_path(destination).write_text(f"{sha256_of(destination)}  {destination.name}\n", encoding="utf-8")
    return manifest


def checksum_path(archive: Path) -> Path:
    return archive.with_name(archive.name + ".sha256")


def archive_open(*, archive: Path, identities: list, staging: Path, checksum_required: bool = True) -> Opened:
    """Check the archive whole before anything is written anywhere but the staging folder."""
    if not archive.is_file():
        raise PortalError(_("There is no archive at %(file)s.") % {"file": archive}, code=NOTHING_RESTORED)
    _checksum_check(archive, required=checksum_required)
    tar_path = staging / "archive.tar"
    try:
        pyrage.decrypt_file(str(archive), str(tar_path), identities)
    except pyrage.DecryptError as exc:
        if "no matching keys" in str(exc).lower():
            raise PortalError(
                _(
                    "The archive cannot be opened with this identity: it was encrypted to other keys. "
                    "Nothing was restored."
                ),
                code=NOTHING_RESTORED,
            ) from None
        raise _damaged() from None
    except OSError:
        raise _damaged() from None
    try:
        with tarfile.open(tar_path, "r:") as tar:
            manifest = _manifest_read(tar)
            _members_check(tar, manifest)
    except tarfile.TarError:
        raise _damaged() from None
    return Opened(manifest=manifest, tar_path=tar_path)


def _damaged() -> PortalError:
    return PortalError(
        _("The archive is damaged or incomplete: it could not be decrypted to its end. Nothing was restored."),
        code=NOTHING_RESTORED,
    )


def _checksum_check(archive: Path, *, required: bool) -> None:
    checksum = checksum_path(archive)
    if not checksum.is_file():
        if not required:
            return
        raise PortalError(
            _(
                "The checksum file %(file)s is missing: copy it with the archive, or restore with "
                "--without-checksum-file (the archive is still checked as it is decrypted)."
            )
            % {"file": checksum.name},
            code=NOTHING_RESTORED,
        )
    expected = (checksum.read_text(encoding="utf-8", errors="replace").split() or [""])[0]
    if sha256_of(archive) != expected:
        raise PortalError(
            _(
                "The archive %(file)s does not match its checksum file: it was damaged or changed after it "
                "was written. Nothing was restored."
            )
            % {"file": archive.name},
            code=NOTHING_RESTORED,
        )


def _manifest_read(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        handle = tar.extractfile(MANIFEST)
        manifest = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("members"), dict):
        raise PortalError(_("The archive holds no readable manifest. Nothing was restored."), code=NOTHING_RESTORED)
    if manifest.get("format") != FORMAT:
        raise PortalError(
            _("The archive is of format %(format)s, which this portal does not read. Nothing was restored.")
            % {"format": manifest.get("format")},
            code=NOTHING_RESTORED,
        )
    return manifest


def member_path_safe(name: str) -> bool:
    """A member lands under its folder: no absolute path, no step up, nothing but the three kinds."""
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and "\\" not in name
        and (name == DUMP or (name.startswith((FILES, CHECKPOINTS)) and len(path.parts) > 1))
    )


def _members_check(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    listed: dict[str, dict] = manifest["members"]
    seen = set()
    for info in tar:
        if info.name == MANIFEST:
            continue
        if not info.isreg() or not member_path_safe(info.name) or info.name in seen:
            raise PortalError(
                _("The archive holds an entry that is not allowed: %(member)s. Nothing was restored.")
                % {"member": info.name},
                code=NOTHING_RESTORED,
            )
        expected = listed.get(info.name)
        if expected is None:
            raise PortalError(
                _("The archive holds %(member)s, which its manifest does not list. Nothing was restored.")
                % {"member": info.name},
                code=NOTHING_RESTORED,
            )
        handle = tar.extractfile(info)
        digest = hashlib.sha256()
        while handle is not None and (chunk := handle.read(CHUNK)):
            digest.update(chunk)
        if digest.hexdigest() != expected.get("sha256") or info.size != expected.get("size"):
            raise PortalError(
                _("%(member)s in the archive does not match its manifest. Nothing was restored.")
                % {"member": info.name},
                code=NOTHING_RESTORED,
            )
        seen.add(info.name)
    missing = sorted(set(listed) - seen)
    if missing:
        raise PortalError(
            _("The archive lacks %(member)s, which its manifest lists. Nothing was restored.") % {"member": missing[0]},
            code=NOTHING_RESTORED,
        )


def member_extract(*, tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    """Write a member to a file that must not exist yet; returns the SHA-256 of what was written."""
    handle = tar.extractfile(member)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(target, "xb") as out:
        while handle is not None and (chunk := handle.read(CHUNK)):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def copy_new(source: Path, target: Path) -> bool:
    """Copy unless the target exists; True when copied."""
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as src, open(target, "xb") as out:
        shutil.copyfileobj(src, out)
    return True
