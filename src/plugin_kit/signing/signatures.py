"""Prehashed minisign signatures: make them, check them, and read their trusted comments.

Signing never decides who is trusted: the caller passes the key it pins, and gets back the
key id and trusted comment so it can check that the signature names the file it expects.
"""

from __future__ import annotations

import binascii
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import minisign

from plugin_kit.fsio import write_atomic
from plugin_kit.signing.caps import MAX_SIGNATURE_BYTES
from plugin_kit.signing.errors import SignatureInvalid, SigningError
from plugin_kit.signing.keys import PublicKey, SecretKey, _key_id

__all__ = [
    "VerifiedSignature",
    "check_names_file",
    "parse_trusted_comment",
    "sign_bytes",
    "sign_file",
    "trusted_comment_for",
    "verify_bytes",
    "verify_file",
    "write_signature",
]


@dataclass(frozen=True)
class VerifiedSignature:
    key_id: str
    trusted_comment: str
    prehashed: bool

    @property
    def fields(self) -> dict[str, str]:
        return parse_trusted_comment(self.trusted_comment)

    def to_dict(self) -> dict[str, object]:
        return {
            "key_id": self.key_id,
            "trusted_comment": self.trusted_comment,
            "prehashed": self.prehashed,
        }


def _check_value(name: str, value: str) -> None:
    if not value or any(c in "\t\r\n" or not " " <= c < "\x7f" for c in value):
        raise SigningError(
            f"trusted comment field {name!r} must be printable ASCII without tabs",
            rule="signing.bad-comment",
            place=f"{name}={value!r}",
        )


def trusted_comment_for(file_name: str, *, timestamp: int | None = None, **fields: str) -> str:
    """`timestamp:<unix>\\tfile:<name>[\\t<key>:<value>...]\\thashed`: the CLI's default, plus fields.

    Naming the file (and id and version) stops a valid signature being moved onto another file
    signed by the same key. Pass `timestamp` for reproducible signature bytes."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    parts = [f"timestamp:{stamp}", f"file:{file_name}"]
    for key, value in fields.items():
        _check_value(key, value)
        parts.append(f"{key}:{value}")
    _check_value("file", file_name)
    return "\t".join([*parts, "hashed"])


def parse_trusted_comment(text: str) -> dict[str, str]:
    """Tab-separated `key:value` items; a bare word (like `hashed`) maps to ""."""
    out: dict[str, str] = {}
    for item in text.split("\t"):
        key, _, value = item.partition(":")
        out.setdefault(key, value)
    return out


def _sign(data: bytes | BinaryIO, key: SecretKey, trusted_comment: str) -> str:
    try:
        sig = key._key.sign(data, prehash=True, trusted_comment=trusted_comment)
    except minisign.Error as exc:
        raise SigningError(
            f"cannot sign: {exc}",
            rule="signing.bad-comment",
            hint="a trusted comment is printable ASCII (tabs allowed), at most 8175 characters",
        ) from exc
    return bytes(sig).decode("ascii") + "\n"


def sign_bytes(data: bytes, key: SecretKey, *, trusted_comment: str | None = None) -> str:
    """The `.minisig` text (prehashed, as `minisign -S` makes by default) for `data`."""
    comment = (
        trusted_comment if trusted_comment is not None else f"timestamp:{int(time.time())}\thashed"
    )
    return _sign(data, key, comment)


def sign_file(path: Path, key: SecretKey, *, trusted_comment: str | None = None) -> str:
    """The `.minisig` text for a file, streamed; default comment names the file like the CLI."""
    comment = trusted_comment if trusted_comment is not None else trusted_comment_for(path.name)
    try:
        with path.open("rb") as fh:
            return _sign(fh, key, comment)
    except OSError as exc:
        raise SigningError(
            f"cannot read the file to sign: {exc.strerror}",
            rule="signing.unreadable",
            place=str(path),
        ) from exc


def write_signature(path: Path, key: SecretKey, *, trusted_comment: str | None = None) -> Path:
    """Sign `path` and write `path.minisig` atomically (replacing an older signature)."""
    text = sign_file(path, key, trusted_comment=trusted_comment)
    out = path.with_name(path.name + ".minisig")
    try:
        write_atomic(out, text.encode("ascii"))
    except OSError as exc:
        raise SigningError(
            f"cannot write the signature: {exc.strerror}", rule="signing.write", place=str(out)
        ) from exc
    return out


def _parse(signature: str, place: str) -> minisign.Signature:
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise SignatureInvalid(
            "signature file is too large", rule="signing.bad-signature-format", place=place
        )
    try:
        return minisign.Signature.from_bytes(signature.encode("ascii"))
    except (minisign.Error, binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise SignatureInvalid(
            f"not a minisign signature ({exc})",
            rule="signing.bad-signature-format",
            place=place,
            hint="a .minisig file has four lines, as written by `plugin sign` or `minisign -S`",
        ) from exc


def _verify(
    data: bytes | BinaryIO, signature: str, key: PublicKey, place: str, allow_legacy: bool
) -> VerifiedSignature:
    sig = _parse(signature, place)
    signed_by = _key_id(sig._key_id)
    if signed_by != key.key_id:
        raise SignatureInvalid(
            f"signed by key {signed_by}, not by the expected key {key.key_id}",
            rule="signing.wrong-key",
            place=place,
            hint="check that you pinned the publisher's public key; a key change needs a deliberate re-trust",
        )
    if not sig.is_prehashed() and not allow_legacy:
        raise SignatureInvalid(
            "legacy (non-prehashed) signature",
            rule="signing.legacy-signature",
            place=place,
            hint="re-sign with `plugin sign` or `minisign -S` (both prehash by default)",
        )
    try:
        key._key.verify(data, sig)
    except minisign.VerifyError as exc:
        raise SignatureInvalid(
            "signature does not match the data or its trusted comment",
            rule="signing.bad-signature",
            place=place,
            hint="the file or its .minisig was changed after signing, or another key that carries"
            " the same key id signed it; fetch both again from the publisher",
        ) from exc
    return VerifiedSignature(signed_by, sig.trusted_comment, sig.is_prehashed())


def check_names_file(verified: VerifiedSignature, name: str, *, place: str) -> None:
    """Refuse a signature whose trusted comment names another file: a valid signature moved,
    with its file, onto this name (an old release renamed as a new one). No `file:`, no check."""
    named = verified.fields.get("file")
    if named is not None and named != name:
        raise SignatureInvalid(
            f"the signature was made for {named!r}, not {name!r}",
            rule="signing.wrong-file",
            place=place,
            hint="a signature was moved from another file; if you renamed the download, give it its published name",
        )


def verify_bytes(
    data: bytes,
    signature: str,
    key: PublicKey,
    *,
    allow_legacy: bool = False,
    place: str = "signature",
) -> VerifiedSignature:
    """Check `signature` (a .minisig text) over `data` with `key`; raise SignatureInvalid if not."""
    return _verify(data, signature, key, place, allow_legacy)


def verify_file(
    path: Path, signature: str, key: PublicKey, *, allow_legacy: bool = False
) -> VerifiedSignature:
    """Like verify_bytes, streaming the file; legacy signatures need `allow_legacy=True`."""
    try:
        with path.open("rb") as fh:
            return _verify(fh, signature, key, str(path), allow_legacy)
    except OSError as exc:
        raise SigningError(
            f"cannot read the file to verify: {exc.strerror}",
            rule="signing.unreadable",
            place=str(path),
        ) from exc
