"""plugins.lock: what each store holds, where it came from and how it was verified (TOML)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from typing import Any

from plugin_kit import __version__
from plugin_kit.errors import InstallError
from plugin_kit.fsio import read_bounded
from plugin_kit.installer._toml import dumps
from plugin_kit.installer.stores import Store

__all__ = ["LockEntry", "read_lock", "render_lock", "LOCK_VERSION", "MAX_LOCK_BYTES"]

LOCK_VERSION = 1
MAX_LOCK_BYTES = 4 << 20  # about 4,000 entries; a workspace lock is a file in a repository


@dataclass
class LockEntry:
    """One installed package. `previous` keeps the version it replaced (it may still be enabled).

    `install_id` is a random token made each time a package is placed: grants in plugins.toml
    name it, so a grant never outlives the install it was given for (an uninstall followed by
    an install of the same bytes makes a new install, which starts with no grants).

    `host` names the host whose package it is (its digest and reader; older locks: insomnia).
    `pending` (Yoi) is a verified newer version that waits in the cache for a grant: Yoi runs
    only the package its store holds, so the store keeps the old one until `plugin enable`.
    """

    id: str
    version: str
    runtime: str
    api: str
    archive_sha256: str
    content_digest: str
    size: int
    installed_at: str
    source: dict[str, Any] = field(default_factory=dict)
    signature: dict[str, Any] = field(default_factory=dict)
    requested_capabilities: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] | None = None
    install_id: str = ""
    host: str = "insomnia"
    pending: dict[str, Any] | None = None

    @property
    def key_id(self) -> str | None:
        return self.signature.get("key_id")

    @property
    def public_key(self) -> str | None:
        """The pinned publisher key (`RW...`). An entry with only `key_id` (hand-edited, or a
        workspace lock someone changed) pins nothing: a key id is a label, never compared alone."""
        value = self.signature.get("public_key")
        return value if isinstance(value, str) and value else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> LockEntry:
        """Types are checked: a workspace lock is a file in a repository, so hostile input."""
        known = {f for f in cls.__dataclass_fields__}
        entry = cls(**{k: v for k, v in doc.items() if k in known})
        for name in _STR_FIELDS:
            if not isinstance(getattr(entry, name), str):
                raise TypeError(f"{name} of {entry.id!r} is not a string")
        if not isinstance(entry.size, int) or isinstance(entry.size, bool):
            raise TypeError(f"size of {entry.id!r} is not an integer")
        # It names a file in the cache (cache.kept_archive): never a path of the lock's choosing.
        if not _SHA256.fullmatch(entry.archive_sha256):
            raise TypeError(f"archive_sha256 of {entry.id!r} is not 64 hex digits")
        for name in ("source", "signature", "requested_capabilities"):
            if not isinstance(getattr(entry, name), dict):
                raise TypeError(f"{name} of {entry.id!r} is not a table")
        prev = entry.previous
        if prev is not None and not (
            isinstance(prev, dict)
            and all(isinstance(prev.get(k), str) for k in _PREVIOUS_KEYS)
            and _SHA256.fullmatch(prev["archive_sha256"])
            and isinstance(prev.get("install_id", ""), str)
        ):
            raise TypeError(f"previous of {entry.id!r} needs {', '.join(_PREVIOUS_KEYS)}")
        if entry.pending is not None:
            if not isinstance(entry.pending, dict) or entry.pending.get("pending") is not None:
                raise TypeError(f"pending of {entry.id!r} is not one lock entry")
            if cls.from_dict(entry.pending).id != entry.id:
                raise TypeError(f"pending of {entry.id!r} is another plugin")
        return entry

    def waiting(self) -> LockEntry | None:
        """The verified newer version waiting for a grant (Yoi), if any."""
        return LockEntry.from_dict(self.pending) if self.pending else None


_STR_FIELDS = (
    "id",
    "version",
    "runtime",
    "api",
    "archive_sha256",
    "content_digest",
    "installed_at",
    "install_id",
    "host",
)
_PREVIOUS_KEYS = ("version", "content_digest", "archive_sha256")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def read_lock(store: Store) -> dict[str, LockEntry]:
    """Entries by id; a missing lock is an empty store. An unreadable one is an error, not empty."""
    try:
        data = read_bounded(store.lock_path, MAX_LOCK_BYTES, what="plugins.lock")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InstallError(
            f"cannot read plugins.lock: {exc.strerror}", rule="lock-io", place=str(store.lock_path)
        ) from exc
    try:
        doc = tomllib.loads(data.decode("utf-8"))
        if doc.get("lock_version") != LOCK_VERSION:
            raise ValueError(f"unknown lock_version {doc.get('lock_version')!r}")
        return {e["id"]: LockEntry.from_dict(e) for e in doc.get("plugin", [])}
    except (
        ValueError,
        KeyError,
        TypeError,
    ) as exc:  # TOMLDecodeError and UnicodeError are ValueErrors
        raise InstallError(
            f"plugins.lock is not valid: {exc}",
            rule="lock-corrupt",
            place=str(store.lock_path),
            hint="run `plugin verify --all`; reinstall the store's plugins if it persists",
        ) from exc


def render_lock(entries: dict[str, LockEntry]) -> bytes:
    """Entries sorted by id with a stable key order, so the workspace lock diffs cleanly."""
    doc = {
        "lock_version": LOCK_VERSION,
        "generated_by": f"insomnia-plugin-kit {__version__}",
        "plugin": [entries[k].to_dict() for k in sorted(entries)],
    }
    return dumps(
        doc, header="plugins.lock: written by insomnia-plugin-kit; do not edit by hand."
    ).encode()
