"""Ed25519 signatures over stored verdicts, so a verdict can be checked long after (and far from) its run.

Why: verdicts become training data and knowledge for later prompts. A record whose numbers were edited
after the judge produced them (a better speedup, "rejected" flipped to "accepted", a different kernel
swapped in under the old hash) must be detectable by anyone holding the file.

Exactly what is signed
----------------------
A *record* is the contract verdict JSON (``Verdict.to_json_dict()``) plus the fields the store adds::

    record_id       str   unique id of this record (uuid4 hex)
    problem_sha256  str   sha256 (hex, UTF-8) of the reference problem source that was judged
    provenance      dict  {"origin": "file"|"agent", "model", "run_id", "parent", "language",
                           "recorded_at", ...}
    signature       str   base64 (standard alphabet, padded) of the 64-byte ed25519 signature
    public_key      str   base64 of the 32-byte raw ed25519 public key that made the signature

The signed message is ``canonical_json(payload)`` where ``payload`` is the record *without*
``signature`` and ``public_key`` -- i.e. the verdict JSON, ``record_id`` itself, ``problem_sha256`` and
``provenance`` are all covered. ``canonical_json`` = ``json.dumps(obj, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)`` encoded as UTF-8. Non-finite floats are
not valid JSON, so :func:`json_safe` turns them into the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"`` *before* signing (pydantic reads those strings back as floats).

The candidate and reference sources are not in the payload; they are bound through
``candidate_sha256`` and ``problem_sha256``. Whoever checks an export row must therefore also check
that ``sha256(kernel_source) == candidate_sha256`` (see ``kernelwright.store.export.check_row``).

A valid signature proves the record is unchanged since a holder of that private key signed it; it
does not prove *who* that is, so nothing here trusts the key a record carries: readers check against
:func:`trusted_keys` -- this machine's key plus the keyring (``trusted_keys`` in the key directory:
one base64 public key per line, ``#`` comments), which also keeps retired keys after
:func:`rotate_key` so old verdicts stay verifiable.

Keys live in ``$KERNELWRIGHT_HOME`` when set (used for both config and data: handy for tests and CI),
else in ``platformdirs.user_config_dir("kernelwright")``. The directory is 0700, the private key is
PKCS#8 PEM, mode 0600, created atomically on first use so parallel workers agree on one key. No
sandboxed worker can see this directory (sandbox/jail.py); signing happens in the judge's parent
process after every untrusted process is gone.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kernelwright.errors import BadInput, KernelwrightError
from kernelwright.settings import config_dir

KEY_FILE = "signing_key.pem"
PUBLIC_KEY_FILE = "signing_key.pub"
UNSIGNED_FIELDS = frozenset({"signature", "public_key"})


def json_safe(obj: Any) -> Any:
    """A copy of ``obj`` that strict JSON can hold: NaN/inf floats become strings, tuples lists."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj


def canonical_json(obj: Any) -> bytes:
    """The byte string that is signed: sorted keys, no whitespace, UTF-8, strict JSON."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def signed_payload(record: dict[str, Any]) -> bytes:
    """The message a record's signature is over: the record less ``signature`` and ``public_key``."""
    return canonical_json({k: v for k, v in record.items() if k not in UNSIGNED_FIELDS})


def public_key_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def fingerprint(public_key: str) -> str:
    """Short stable id of a base64 public key (first 16 hex of sha256 of the raw bytes)."""
    try:
        raw = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        raw = public_key.encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _write_new_key(path: Path) -> None:
    """Create the key file atomically: a half-written key must never be visible to a parallel worker."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd, tmp = tempfile.mkstemp(prefix=".key-", dir=path.parent)  # mkstemp creates with mode 0600
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: its key is used
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


KEYRING_FILE = "trusted_keys"


class SigningKeyError(KernelwrightError):
    """The signing key cannot be read (corrupt, wrong type, unreadable)."""


def private_dir(directory: Path) -> Path:
    """Make ``directory`` (and use it) as a 0700 directory; an existing one is tightened if it is ours."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(PermissionError):
        if directory.stat().st_uid == os.getuid() and directory.stat().st_mode & 0o077:
            os.chmod(directory, 0o700)
    return directory


def _write_public(directory: Path, public_key: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".pub-", dir=directory)
    with os.fdopen(fd, "w") as fh:
        fh.write(public_key + "\n")
    os.replace(tmp, directory / PUBLIC_KEY_FILE)


def load_private_key(directory: Path | None = None) -> Ed25519PrivateKey:
    """The local signing key, created on first use (0600 in a 0700 directory).

    A key file that went missing while its public half stayed is not replaced silently: the old
    public key moves into the keyring (its verdicts stay verifiable) and the new one is written.
    """
    directory = private_dir(directory or config_dir())
    path = directory / KEY_FILE
    if not path.exists():
        pub = directory / PUBLIC_KEY_FILE
        if pub.exists():
            old = pub.read_text().strip()
            if old:
                trust_key(old, directory, note="retired: its private key was missing when a new one was made")
        _write_new_key(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise SigningKeyError(
            f"the signing key {path} cannot be read ({type(exc).__name__}); restore it from a backup or "
            "move it aside and run `kernelwright key rotate`"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} does not hold an ed25519 private key")
    mine = public_key_b64(key.public_key())
    pub = directory / PUBLIC_KEY_FILE
    if not pub.exists() or pub.read_text().strip() != mine:
        _write_public(directory, mine)
    return key


def keyring(directory: Path | None = None) -> list[str]:
    """Public keys the keyring file lists (trusted besides this machine's own key)."""
    path = (directory or config_dir()) / KEYRING_FILE
    if not path.is_file():
        return []
    keys = []
    for line in path.read_text(errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            keys.append(line)
    return keys


def trust_key(public_key: str, directory: Path | None = None, note: str = "") -> None:
    """Add a base64 ed25519 public key to the keyring (idempotent)."""
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise BadInput(f"not a base64 ed25519 public key: {public_key[:60]!r}") from exc
    directory = private_dir(directory or config_dir())
    if public_key in keyring(directory):
        return
    with open(directory / KEYRING_FILE, "a") as fh:
        fh.write(f"{public_key}{'  # ' + note if note else ''}\n")


def trusted_keys(directory: Path | None = None) -> frozenset[str]:
    """This machine's public key (when one exists) plus the keyring. Never creates a key."""
    directory = directory or config_dir()
    keys = set(keyring(directory))
    pub = directory / PUBLIC_KEY_FILE
    if pub.is_file():
        keys.add(pub.read_text().strip())
    return frozenset(k for k in keys if k)


def rotate_key(directory: Path | None = None) -> tuple[str, str]:
    """A new signing key; the old public key stays trusted in the keyring. Returns (old, new) keys."""
    directory = private_dir(directory or config_dir())
    old = public_key_b64(load_private_key(directory).public_key())
    trust_key(old, directory, note="retired by kernelwright key rotate")
    path = directory / KEY_FILE
    os.replace(path, directory / f"{KEY_FILE}.retired-{fingerprint(old)}")
    new = public_key_b64(load_private_key(directory).public_key())
    return old, new


class Signer:
    """Signs records with one private key; cheap to keep for the life of a Store."""

    def __init__(self, key: Ed25519PrivateKey | None = None) -> None:
        self._key = key or load_private_key()
        self.public_key = public_key_b64(self._key.public_key())
        self.fingerprint = fingerprint(self.public_key)

    def sign(self, record: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``record`` (must hold ``record_id``) with ``signature`` and ``public_key`` added."""
        if not record.get("record_id"):
            raise ValueError("a record must carry its record_id before it is signed")
        body = json_safe({k: v for k, v in record.items() if k not in UNSIGNED_FIELDS})
        sig = self._key.sign(canonical_json(body))
        return {**body, "signature": base64.b64encode(sig).decode("ascii"), "public_key": self.public_key}


def verify_record(record: dict[str, Any], trusted_keys: set[str] | frozenset[str] | None = None) -> bool:
    """True when ``record``'s signature is valid for its embedded public key and that key is trusted.

    ``trusted_keys=None`` accepts any embedded key: only for a caller that says so explicitly
    (``verdict check --any-key``); every reader in kernelwright passes :func:`trusted_keys`.

    Never raises on malformed input: a record that cannot be checked is a record that fails the check.
    """
    try:
        sig_b64, key_b64 = record.get("signature"), record.get("public_key")
        if not isinstance(sig_b64, str) or not isinstance(key_b64, str) or not record.get("record_id"):
            return False
        if trusted_keys is not None and key_b64 not in trusted_keys:
            return False
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64, validate=True))
        key.verify(base64.b64decode(sig_b64, validate=True), signed_payload(record))
        return True
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
