"""Enablement and grants, in the user's own `plugins.toml` (never in a repository).

Records are keyed by reference, workspace path (for project plugins) and content digest,
so a checked-out repository cannot enable its own plugins and a changed package needs a
new enable.

A grant is bound to the install it was given for: a record names the lock entry's
`install_id` (a random token made each time a package is placed) and applies only while
that install is the store's current or previous one. So the store's journal commit is
also the grant's commit point:
- an uninstall's commit leaves no install the record could apply to; the record is
  inert at once and removed under the same store lock (or by a re-run, or by the next
  install of that id);
- an upgrade that carries a grant first writes the carry as `pending` on the record; the
  pending target applies exactly when the store's current install is the one it names,
  so it takes effect at the journal's commit, and is made final (or dropped, when the
  commit never happened) by the next transaction on that store.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from plugin_kit.errors import InstallError
from plugin_kit.installer import capabilities as caps
from plugin_kit.installer._fs import atomic_write, checkpoint, file_lock, remove_write_temps
from plugin_kit.installer._toml import dumps
from plugin_kit.installer.lockfile import LockEntry, read_lock
from plugin_kit.installer.paths import config_dir
from plugin_kit.installer.stores import Store

__all__ = [
    "Enablement",
    "load_enablements",
    "update_enablements",
    "find_enablement",
    "carry_grant",
    "settle_grants",
]

Binding = Literal["current", "previous"]


@dataclass
class Enablement:
    """One `[[plugins.enabled]]` record; `active = false` is a disable that keeps the grants."""

    id: str  # "user:<id>" or "project:<id>"
    digest: str
    version: str
    workspace: str | None = None
    active: bool = True
    surfaces: list[str] = field(default_factory=list)
    granted_at: str = ""
    grants: dict[str, Any] = field(default_factory=dict)
    install_id: str = ""  # the plugins.lock install the grants were given for
    pending: dict[str, Any] | None = None  # an upgrade's carry: install_id, digest, version

    def matches(self, ref: str, workspace: Path | None) -> bool:
        return self.id == ref and self.workspace == (str(workspace) if workspace else None)

    def for_entry(self, entry: LockEntry) -> Enablement:
        """The record as it stands once `entry` is the store's: a pending carry naming that
        install is in effect, any other pending carry never happened."""
        target = self.pending or {}
        if (target.get("install_id"), target.get("digest")) == (
            entry.install_id,
            entry.content_digest,
        ):
            return replace(
                self,
                install_id=entry.install_id,
                digest=entry.content_digest,
                version=entry.version,
                pending=None,
            )
        return replace(self, pending=None)

    def binding(self, entry: LockEntry) -> Binding | None:
        """Which of `entry`'s installs the grants apply to: its own, the one it replaced, or none."""
        rec = self.for_entry(entry)
        bound = (rec.install_id, rec.digest)
        if bound == (entry.install_id, entry.content_digest):
            return "current"
        prev = entry.previous or {}
        if prev and bound == (prev.get("install_id", ""), prev.get("content_digest")):
            return "previous"
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _path() -> Path:
    return config_dir() / "plugins.toml"


def load_enablements() -> list[Enablement]:
    try:
        doc = tomllib.loads(_path().read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise InstallError(
            f"plugins.toml is not readable: {exc}",
            rule="enablement-config",
            place=str(_path()),
            hint="fix or remove the file; nothing is enabled meanwhile",
        ) from exc
    known = Enablement.__dataclass_fields__
    return [
        Enablement(**{k: v for k, v in rec.items() if k in known})
        for rec in (doc.get("plugins") or {}).get("enabled", [])
    ]


def find_enablement(
    records: list[Enablement], ref: str, workspace: Path | None
) -> Enablement | None:
    return next((r for r in records if r.matches(ref, workspace)), None)


def update_enablements(change: Callable[[list[Enablement]], None]) -> list[Enablement]:
    """Read-modify-write plugins.toml under its lock; `change(records)` edits the list in place.

    A store's lock, when needed, is taken before this one (never after). What a killed
    write left (`.plugins.toml.*.tmp`) is removed here, under the lock.
    """
    with file_lock(config_dir() / ".plugins.toml.lock", what="enablement"):
        remove_write_temps(_path())
        records = load_enablements()
        before = copy.deepcopy(records)
        change(records)
        if records != before:
            _write(records)
        return records


def _write(records: list[Enablement]) -> None:
    doc = {"plugins": {"enabled": [r.to_dict() for r in records]}}
    atomic_write(
        _path(),
        dumps(
            doc,
            header="plugins.toml: enabled plugins and their grants. "
            "Change it with `plugin enable` / `plugin disable`.",
        ).encode(),
        mode=0o600,
    )


def _of_store(rec: Enablement, store: Store) -> str | None:
    """The plugin id of a record that belongs to `store`, else None."""
    kind, _, plugin_id = rec.id.partition(":")
    workspace = str(store.workspace) if store.workspace else None
    return plugin_id if kind == store.kind and rec.workspace == workspace else None


def carry_grant(store: Store, old: LockEntry, new: LockEntry) -> bool:
    """Before an upgrade's commit: mark the grant of `old` (or of the version it still runs)
    to move to `new` if it covers everything `new` requests. Caller holds the store lock."""
    ref = store.ref(new.id)
    carried: list[Enablement] = []

    def change(records: list[Enablement]) -> None:
        rec = find_enablement(records, ref, store.workspace)
        if rec is None or not rec.active or rec.binding(old) is None:
            return
        if caps.uncovered(new.requested_capabilities, rec.grants):
            return  # asks for more: the new version waits for `plugin enable`
        rec.pending = {
            "install_id": new.install_id,
            "digest": new.content_digest,
            "version": new.version,
        }
        carried.append(rec)

    update_enablements(change)
    if carried:
        checkpoint("grants:pending")
    return bool(carried)


def settle_grants(store: Store, prune: Iterable[str] = ()) -> None:
    """Make pending carries final or drop them, and remove the records of the ids in `prune`
    that apply to no install of the store any more. Caller holds the store lock, so no
    transaction of this store is in flight: what is pending belongs to a finished or dead one."""
    entries = read_lock(store)
    pruned = set(prune)

    def change(records: list[Enablement]) -> None:
        kept = []
        for rec in records:
            plugin_id = _of_store(rec, store)
            entry = entries.get(plugin_id) if plugin_id is not None else None
            if plugin_id is not None and rec.pending is not None:
                rec = rec.for_entry(entry) if entry else replace(rec, pending=None)
            if plugin_id in pruned and (entry is None or rec.binding(entry) is None):
                continue
            kept.append(rec)
        records[:] = kept

    update_enablements(change)
    checkpoint("grants:settled")
