"""minisign key pairs: read public and secret keys from text or files, generate and write a pair.

Files are the minisign 0.11 formats, so keys made here load in the `minisign` CLI and back.
Secret material never reaches a message, a repr or a log: errors name the file, not its text.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from pathlib import Path

import minisign

from plugin_kit.fsio import read_limited, write_new
from plugin_kit.signing.errors import KeyFileError

__all__ = [
    "CLI_MEMLIMIT",
    "CLI_OPSLIMIT",
    "KeyPairPaths",
    "PublicKey",
    "SecretKey",
    "generate_keypair",
    "key_paths",
    "load_public_key",
    "load_public_key_file",
    "load_secret_key",
    "load_secret_key_file",
]

# The scrypt limits `minisign -G` uses, so our encrypted keys cost an attacker what the CLI's do.
# Decrypting needs 1 GiB of RAM for about 3 s; tests pass smaller limits.
CLI_OPSLIMIT = 33_554_432
CLI_MEMLIMIT = 1_073_741_824

# A key file is two short lines; anything much larger is not a key.
_MAX_KEY_TEXT = 4096


def _key_id(raw: bytes) -> str:
    """The CLI shows the 8 key-id bytes as a little-endian u64 in upper-case hex."""
    return raw[::-1].hex().upper()


@dataclass(frozen=True)
class PublicKey:
    """A minisign public key: `base64` is the `RW...` line that people pin and compare.

    Equality is the whole key. `key_id` is a label only: its 8 bytes are chosen by whoever
    makes the key, so two different keys can carry the same id."""

    base64: str
    key_id: str = field(compare=False)
    _key: minisign.PublicKey = field(repr=False, compare=False)

    @classmethod
    def _wrap(cls, key: minisign.PublicKey) -> PublicKey:
        return cls(key.to_base64().decode(), _key_id(key._keynum_pk.key_id), key)

    def file_text(self) -> str:
        """The `.pub` file the CLI writes, byte for byte: its comment prints the id unpadded."""
        return f"untrusted comment: minisign public key {int(self.key_id, 16):X}\n{self.base64}\n"

    def to_dict(self) -> dict[str, str]:
        return {"key_id": self.key_id, "public_key": self.base64}


class SecretKey:
    """A decrypted minisign secret key, ready to sign. Its repr shows the key id only."""

    __slots__ = ("_key", "public_key")

    def __init__(self, key: minisign.SecretKey) -> None:
        self._key = key
        self.public_key = PublicKey._wrap(key.get_public_key())

    @property
    def key_id(self) -> str:
        return self.public_key.key_id

    def __repr__(self) -> str:
        return f"SecretKey(key_id={self.key_id!r})"

    __str__ = __repr__

    def __reduce__(self) -> object:
        raise TypeError("secret keys cannot be pickled")


@dataclass(frozen=True)
class KeyPairPaths:
    secret_key: Path
    public_key: Path
    key_id: str
    public_key_base64: str
    encrypted: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "secret_key": str(self.secret_key),
            "public_key": str(self.public_key),
            "key_id": self.key_id,
            "public_key_base64": self.public_key_base64,
            "encrypted": self.encrypted,
        }


def _lines(text: str, *, place: str, what: str) -> list[str]:
    if len(text) > _MAX_KEY_TEXT:
        raise KeyFileError(
            f"this is not a minisign {what}: too long", rule="signing.bad-key", place=place
        )
    return [line for line in text.strip().splitlines() if line.strip()]


def load_public_key(text: str, *, place: str = "public key") -> PublicKey:
    """Accept the bare `RW...` line or a `.pub` file's text (comment line + key line)."""
    lines = _lines(text, place=place, what="public key")
    if any("secret key" in line for line in lines[:1]):
        raise KeyFileError(
            "this is a secret key, not a public key",
            rule="signing.bad-public-key",
            place=place,
            hint="pass the .pub file or its RW... line; keep the .key file private",
        )
    if len(lines) == 2 and lines[0].startswith("untrusted comment:"):
        lines = lines[1:]
    try:
        if len(lines) != 1:
            raise minisign.ParseError("expected one key line")
        key = PublicKey._wrap(minisign.PublicKey.from_base64(lines[0].strip()))
        if key.base64 != lines[0].strip():
            # Only the canonical encoding: a pinned key must compare equal as text too.
            raise minisign.ParseError("non-canonical base64")
        return key
    except (minisign.Error, binascii.Error, ValueError) as exc:
        raise KeyFileError(
            f"not a minisign public key ({exc})",
            rule="signing.bad-public-key",
            place=place,
            hint="a public key is the RW... line of a .pub file made by `plugin keygen` or `minisign -G`",
        ) from exc


def load_secret_key(text: str, password: str | None, *, place: str = "secret key") -> SecretKey:
    """Parse a `.key` file's text (or its base64 line) and decrypt it with `password` if needed."""
    lines = _lines(text, place=place, what="secret key")
    if len(lines) == 2 and lines[0].startswith("untrusted comment:"):
        lines = lines[1:]
    try:
        if len(lines) != 1:
            raise minisign.ParseError("expected one key line")
        key = minisign.SecretKey.from_base64(lines[0].strip())
        encrypted = key.is_encrypted()
    except (minisign.Error, binascii.Error, ValueError) as exc:
        raise KeyFileError(
            f"not a minisign secret key ({exc})",
            rule="signing.bad-secret-key",
            place=place,
            hint="a secret key is the .key file made by `plugin keygen` or `minisign -G`",
        ) from exc
    if encrypted:
        _decrypt(key, password, place)
    return SecretKey(key)


def _decrypt(key: minisign.SecretKey, password: str | None, place: str) -> None:
    if not password:
        raise KeyFileError(
            "the secret key is encrypted and no password was given",
            rule="signing.key-password-required",
            place=place,
            hint="set MINISIGN_PASSWORD, or make a passwordless CI key with `plugin keygen --no-password`",
        )
    try:
        key.decrypt(password)
    except minisign.Error as exc:
        raise KeyFileError(
            "wrong password for this secret key",
            rule="signing.key-wrong-password",
            place=place,
            hint="check MINISIGN_PASSWORD (or the password you typed) for this key",
        ) from exc
    except MemoryError as exc:
        raise KeyFileError(
            "not enough memory to decrypt this key (scrypt needs up to 1 GiB)",
            rule="signing.key-memory",
            place=place,
            hint="use a machine with more RAM, or a passwordless key kept in a CI secret",
        ) from exc


def _read_text(path: Path) -> str:
    try:
        data = read_limited(path, _MAX_KEY_TEXT)
    except OSError as exc:
        raise KeyFileError(
            f"cannot read key file: {exc.strerror}", rule="signing.key-unreadable", place=str(path)
        ) from exc
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise KeyFileError(
            "a minisign key file is ASCII text", rule="signing.bad-key", place=str(path)
        ) from exc


def load_public_key_file(path: Path) -> PublicKey:
    return load_public_key(_read_text(path), place=str(path))


def load_secret_key_file(path: Path, password: str | None) -> SecretKey:
    return load_secret_key(_read_text(path), password, place=str(path))


def key_paths(base: Path) -> tuple[Path, Path]:
    """`BASE.key` and `BASE.pub`, the pair `plugin keygen -o BASE` writes."""
    return base.with_name(base.name + ".key"), base.with_name(base.name + ".pub")


def generate_keypair(
    base: Path,
    password: str | None,
    *,
    opslimit: int = CLI_OPSLIMIT,
    memlimit: int = CLI_MEMLIMIT,
) -> KeyPairPaths:
    """Write `BASE.key` (0600; scrypt-encrypted when `password` is given) and `BASE.pub`.

    Never overwrites: if either file exists nothing is written."""
    secret_path, public_path = key_paths(base)
    for path in (secret_path, public_path):
        if path.exists() or path.is_symlink():
            raise KeyFileError(
                "refusing to overwrite an existing key file",
                rule="signing.key-exists",
                place=str(path),
                hint="choose another -o BASE, or move the old pair away first",
            )
    if password == "":
        raise KeyFileError(
            "empty password",
            rule="signing.key-empty-password",
            hint="use --no-password for a passwordless key",
        )
    pair = minisign.KeyPair.generate()
    public = PublicKey._wrap(pair.public_key)
    with pair.secret_key as secret:
        if password is not None:
            secret.encrypt(password, opslimit=opslimit, memlimit=memlimit)
        secret_text = bytes(secret) + b"\n"
    _write_pair(secret_path, secret_text, public_path, public.file_text().encode())
    return KeyPairPaths(
        secret_path, public_path, public.key_id, public.base64, password is not None
    )


def _write_pair(secret_path: Path, secret: bytes, public_path: Path, public: bytes) -> None:
    try:
        write_new(secret_path, secret, mode=0o600)
    except OSError as exc:
        raise KeyFileError(
            f"cannot write the secret key: {exc.strerror or exc}",
            rule="signing.key-write",
            place=str(secret_path),
        ) from exc
    try:
        write_new(public_path, public, mode=0o644)
    except OSError as exc:
        # Leave no half pair: a lone .key would make the next keygen refuse for no visible reason.
        secret_path.unlink(missing_ok=True)
        raise KeyFileError(
            f"cannot write the public key: {exc.strerror or exc}",
            rule="signing.key-write",
            place=str(public_path),
        ) from exc
