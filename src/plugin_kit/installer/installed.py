"""An installed package under its store's lock: still the same install, and its removal.

Below manage.py and yoi_manage.py (both call these), so that manage.py can keep one table of
per-host operations without an import cycle."""

from __future__ import annotations

from collections.abc import Callable

from plugin_kit.errors import InstallError
from plugin_kit.installer.lockfile import LockEntry, read_lock, render_lock
from plugin_kit.installer.stores import Store, store_transaction

__all__ = ["same_install", "remove_installed"]


def same_install(store: Store, entry: LockEntry) -> LockEntry:
    """Under the store lock: the install a grant is about to name is still the store's (and,
    for Yoi, so is the version waiting for a grant)."""
    now = read_lock(store).get(entry.id)
    if now is None or (now.install_id, now.content_digest, now.pending) != (
        entry.install_id,
        entry.content_digest,
        entry.pending,
    ):
        raise InstallError(
            f"{store.ref(entry.id)} changed while this command ran",
            rule="store-changed",
            place=str(store.lock_path),
            hint="run the command again",
        )
    return now


def remove_installed(store: Store, entry: LockEntry, then: Callable[[], object] = tuple) -> None:
    """Delete the store file and the lock entry in one transaction; `then` runs under the same
    lock right after the commit (dropping what applied to that install)."""
    with store_transaction(store) as txn:
        entries = read_lock(store)
        if entries.pop(entry.id, None) is None:
            raise InstallError(f"{store.ref(entry.id)} is not installed", rule="not-installed")
        txn.delete(store.archive_path(entry.id).name)
        txn.put_bytes(store.lock_path.name, render_lock(entries))
        txn.commit()
        then()
