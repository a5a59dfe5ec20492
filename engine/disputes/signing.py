"""Ed25519 signatures of decision receipts: who vouches for a receipt.

Hashes only show a receipt was not edited carelessly: anyone can recompute them.
A signature binds `sha256.receipt` (which covers every section) to a private key
that only its owner holds; the other party checks it with the owner's public key
(`sla verify --trust PUBKEY`). A key is named by its key id, the first 32 hex
digits of the sha256 of its raw 32-byte public key.

`cryptography` is an optional dependency (the `sign` extra) and is imported only
when a key is made, a receipt signed, or a signature checked; verifying an
unsigned receipt never needs it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from engine.errors import Problem, UsageError

ALGORITHM = "Ed25519"
CONTEXT = b"sla-engine signature v1\n"  # what is signed: CONTEXT + what + "\n" + the hash, so a signature of one kind is no other
KEY_ID_HEX = 32


def _crypto() -> Any:
    """The `cryptography` Ed25519 and serialization modules, or a usage error saying how to get them."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise UsageError("signing and checking signatures needs the `cryptography` package: "
                         "pip install 'sla-engine[sign]'") from None
    return ed25519, serialization


def key_id(public_raw: bytes) -> str:
    """The key id of a raw Ed25519 public key."""
    return hashlib.sha256(public_raw).hexdigest()[:KEY_ID_HEX]


def message(what: str, digest: str) -> bytes:
    """The bytes signed for `what` ("receipt", "log head") whose hash is `digest`."""
    return CONTEXT + what.encode("ascii") + b"\n" + digest.encode("ascii")


def generate(path: str | Path) -> str:
    """Write a new private key to PATH (PEM, owner-only, never over an existing file)
    and its public key to PATH.pub; returns the key id."""
    ed25519, serialization = _crypto()
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = private.public_key()
    public_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    target, pub = Path(path), Path(f"{path}.pub")
    for existing in (target, pub):
        if existing.exists() or existing.is_symlink():
            raise UsageError([Problem("already exists; keygen never overwrites a key (choose another name)",
                                      file=str(existing))])
    _write_new(target, pem, 0o600)
    _write_new(pub, public_pem, 0o644)
    return key_id(_raw_public(public, serialization))


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise UsageError([Problem(f"cannot write: {exc.strerror or exc}", file=str(path))]) from None


def _raw_public(public: Any, serialization: Any) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError([Problem(f"cannot read the {what}: {exc.strerror or exc}", file=str(path))]) from None


def sign(key_path: str | Path, what: str, digest: str) -> dict[str, str]:
    """The signature block of `digest` made with the private key in KEY_PATH."""
    ed25519, serialization = _crypto()
    try:
        private = serialization.load_pem_private_key(_read(key_path, "private key"), password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError([Problem(f"not an unencrypted PEM private key ({exc})", file=str(key_path))]) from None
    if not isinstance(private, ed25519.Ed25519PrivateKey):
        raise UsageError([Problem("not an Ed25519 private key (make one with `sla keygen`)", file=str(key_path))])
    raw = _raw_public(private.public_key(), serialization)
    return {"algorithm": ALGORITHM, "key_id": key_id(raw), "public_key": base64.b64encode(raw).decode("ascii"),
            "signs": what, "value": base64.b64encode(private.sign(message(what, digest))).decode("ascii")}


def load_trusted(paths: Iterable[str | Path]) -> dict[str, bytes]:
    """The trusted public keys (PEM files, or private keys whose public half is meant), by key id."""
    ed25519, serialization = _crypto()
    out = {}
    for path in paths:
        data = _read(path, "public key")
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError):
            try:
                key = serialization.load_pem_private_key(data, password=None).public_key()
            except (ValueError, TypeError):
                raise UsageError([Problem("not a PEM public key (the .pub file `sla keygen` wrote)",
                                          file=str(path))]) from None
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise UsageError([Problem("not an Ed25519 public key", file=str(path))])
        raw = _raw_public(key, serialization)
        out[key_id(raw)] = raw
    return out


@dataclass(frozen=True)
class SignatureCheck:
    """What a signature proves. `status`: unsigned, trusted, untrusted (valid for the
    key it names, but that key was not given to --trust), unchecked (signed, and no
    --trust asked for), invalid (does not verify, or its key id lies)."""

    status: str
    key_id: str | None
    detail: str

    @property
    def trusted(self) -> bool:
        return self.status == "trusted"


def check(block: Any, what: str, digest: str, trusted: Mapping[str, bytes] | None) -> SignatureCheck:
    """Check a signature block over `digest` against the trusted keys (None: none asked for)."""
    if block is None:
        return SignatureCheck("unsigned", None, "unsigned: nothing shows who made this receipt")
    if not isinstance(block, dict) or not all(isinstance(block.get(k), str) for k in ("algorithm", "key_id", "public_key", "value")):
        return SignatureCheck("invalid", None, "signature invalid: the signature block is malformed")
    claimed = block["key_id"]
    if block["algorithm"] != ALGORITHM or block.get("signs") != what:
        return SignatureCheck("invalid", claimed, f"signature invalid: expected an {ALGORITHM} signature of the {what}")
    try:
        raw = base64.b64decode(block["public_key"], validate=True)
        value = base64.b64decode(block["value"], validate=True)
    except (binascii.Error, ValueError):
        return SignatureCheck("invalid", claimed, "signature invalid: public key or value is not base64")
    if key_id(raw) != claimed:
        return SignatureCheck("invalid", claimed, f"signature invalid: key id {claimed} is not the id of the key it carries")
    if trusted is None:
        return SignatureCheck("unchecked", claimed, f"signed by key {claimed}, not checked (give --trust PUBKEY to check it)")
    ed25519, _ = _crypto()
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(raw).verify(value, message(what, digest))
    except Exception:  # InvalidSignature, or a key that is no point on the curve
        return SignatureCheck("invalid", claimed, f"signature invalid: the {what} is not what key {claimed} signed")
    if claimed not in trusted:
        return SignatureCheck("untrusted", claimed, f"signed by key {claimed}, which is not trusted "
                                                    f"(trusted: {', '.join(sorted(trusted))})")
    return SignatureCheck("trusted", claimed, f"signed by trusted key {claimed}")
