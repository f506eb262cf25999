"""A Yoi store's packages as our lock records them, and how an upgrade meets the Profile's pin.

Yoi runs only the package its store holds, checked against the digest the Profile pins, and
never falls back to an older one (crates/manifest/src/plugin.rs `resolve_enabled_plugins`:
a digest or version mismatch is a diagnostic, the package is not loaded). So:

- an upgrade whose requests (permissions, request/websocket targets, surfaces) did not grow
  re-pins the Profile entry with the same grants and swaps the store file;
- an upgrade whose requests grew, of a package the Profile enables, leaves the old package in
  the store and the old pin in place (Yoi keeps running it) and records the verified new
  version in the lock entry's `pending` (its archive waits in the cache); `plugin enable`
  then pins it and swaps the store file.

Order of the two writes: the Profile first, then the store's transaction. A crash between
them leaves the Profile pinning a digest the store does not hold yet, which Yoi refuses
(fail closed: nothing unpinned runs); `settle` (run by every command that reads the store)
finishes the swap when the Profile already pins the pending digest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from plugin_kit.errors import InstallError, PluginKitError
from plugin_kit.installer.audit import now_iso
from plugin_kit.installer.lockfile import LockEntry, read_lock, render_lock
from plugin_kit.installer.stores import Store, StoreTransaction
from plugin_kit.installer.yoi_grants import GrantSet, parse_grant, requested_grants
from plugin_kit.installer.yoi_profiles import locate_profile, read_profile_artifact
from plugin_kit.installer.yoi_status import YoiStorePackage, declared_surfaces, enabled_entries

__all__ = [
    "lock_facts",
    "grown_requests",
    "planned_growth",
    "profile_entry",
    "store_package",
    "repin",
    "swap_in",
    "settle",
]


def lock_facts(manifest: Any) -> tuple[str, dict[str, Any]]:
    """(api, requested) for the lock: Yoi has no API range; its requests are the grant tables
    the manifest asks for (yoi_grants.requested_grants) and its declared surfaces."""
    tables = {k: v for k, v in requested_grants(manifest).to_tables().items() if v}
    return "", {**tables, "surfaces": list(declared_surfaces(manifest))}


def _request_items(requested: Mapping[str, Any]) -> tuple[set[Any], set[str]]:
    try:
        grants = GrantSet.from_tables(requested)
    except (AttributeError, TypeError, ValueError):  # a lock edited by hand: treat all as new
        return set(), set()
    return set(grants.items()), {str(s) for s in requested.get("surfaces", ())}


def grown_requests(old: LockEntry, new: LockEntry) -> list[str]:
    """What `new` requests that `old` did not, one label each (empty: the requests did not grow)."""
    return _grown(old.requested_capabilities, new.requested_capabilities)


def planned_growth(store: Store, entry: LockEntry, capabilities: Mapping[str, Any]) -> list[str]:
    """For `upgrade --dry-run`: what a catalog entry's `capabilities` (catalog/risk.py's Yoi
    form: permission labels and targets) request beyond `entry`, if the Profile enables it."""
    if profile_entry(store, entry.id) is None:
        return []
    try:
        perms = [parse_grant(f"permission={label}").to_table()
                 for label in capabilities.get("permissions", ())]  # fmt: skip
    except (PluginKitError, AttributeError, TypeError):
        return ["(the entry's permissions cannot be read)"]
    tables = {"permissions": perms, "request": capabilities.get("request") or [],
              "websocket": capabilities.get("websocket") or []}  # fmt: skip
    return _grown(entry.requested_capabilities, {**tables, "surfaces": []})


def _grown(old_requested: Mapping[str, Any], new_requested: Mapping[str, Any]) -> list[str]:
    old_items, old_surfaces = _request_items(old_requested)
    new_items, new_surfaces = _request_items(new_requested)
    grown = [f"{g.KIND} {g.label}" for g in new_items - old_items]
    grown += [f"surface {s}" for s in sorted(new_surfaces - old_surfaces)]
    return sorted(grown)


def profile_entry(
    store: Store, plugin_id: str, *, strict: bool = False
) -> Mapping[str, Any] | None:
    """The default Profile's `[[plugins.enabled]]` entry for this package, if it has one.
    `strict` (an upgrade deciding what to do): a Profile that cannot be read stops it, rather
    than counting as "not enabled" and swapping a package whose pin would then not match."""
    try:
        target = locate_profile(None)
        if target.creation or not target.artifact.exists():
            return None
        doc = read_profile_artifact(target.artifact)
    except PluginKitError:
        if strict:
            raise
        return None
    ref = store.ref(plugin_id)
    return next((e for e in enabled_entries(doc) if e.get("id") == ref), None)


def store_package(store: Store, entry: LockEntry) -> YoiStorePackage:
    """The package `entry` describes, read again by the strict reader from the cache's copy
    of its archive (the store file for the installed one, the kept archive for a pending one)."""
    from plugin_kit.installer.cache import kept_archive
    from plugin_kit.packer.reader import read_archive

    path = store.archive_path(entry.id)
    if not _holds(store, entry):
        path = kept_archive(entry.archive_sha256)
    try:
        info = read_archive(path)
    except (OSError, PluginKitError) as exc:
        raise InstallError(
            f"{store.ref(entry.id)} {entry.version}: its package cannot be read ({exc})",
            rule="enable-unreadable",
            place=str(path),
            hint=f"run `plugin verify {store.ref(entry.id)}`, then reinstall it",
        ) from exc
    if (info.sha256, info.digest, info.manifest.id) != (
        entry.archive_sha256,
        entry.content_digest,
        entry.id,
    ):
        raise InstallError(
            f"{path.name} differs from its plugins.lock entry",
            rule="lock-mismatch",
            place=str(path),
            hint=f"run `plugin verify {store.ref(entry.id)}`, then reinstall it",
        )
    return YoiStorePackage(store.kind, info.manifest, info.digest, path)


def _holds(store: Store, entry: LockEntry) -> bool:
    from plugin_kit.installer.manage import store_file_sha256

    try:
        return store_file_sha256(store.archive_path(entry.id)) == entry.archive_sha256
    except (OSError, PluginKitError):
        return False


def repin(store: Store, entry: LockEntry) -> bool:
    """Pin the Profile entry of this package to `entry` with the grants it has; False when
    the Profile does not enable it. Callers hold the store lock."""
    from plugin_kit.installer.yoi_enable import apply_enable, plan_enable

    if profile_entry(store, entry.id) is None:
        return False
    apply_enable(plan_enable(store_package(store, entry)))
    return True


def swap_in(
    store: Store, txn: StoreTransaction, entries: dict[str, LockEntry], plugin_id: str
) -> LockEntry:
    """Stage the pending version of `entries[plugin_id]` as the store's file; `entries` is
    updated (the caller stages the lock once)."""
    from plugin_kit.installer.cache import kept_archive

    current = entries[plugin_id]
    new = current.waiting()
    assert new is not None
    entries[plugin_id] = replace(
        new,
        pending=None,
        installed_at=now_iso(),
        install_id=os.urandom(16).hex(),
        previous={
            "version": current.version,
            "content_digest": current.content_digest,
            "archive_sha256": current.archive_sha256,
            "install_id": current.install_id,
        },
    )
    txn.put_file(store.archive_path(plugin_id).name, kept_archive(new.archive_sha256))
    return entries[plugin_id]


def settle(store: Store, txn: StoreTransaction) -> list[str]:
    """Finish swaps a killed `enable` or `upgrade` left: a pending version the Profile already
    pins. Caller holds the store lock (inside `store_transaction`). Returns the ids finished."""
    entries = read_lock(store)
    done = []
    for plugin_id, entry in entries.items():
        waiting = entry.waiting()
        pinned = profile_entry(store, plugin_id) if waiting else None
        if waiting and pinned and pinned.get("digest") == waiting.content_digest:
            done.append(plugin_id)
    for plugin_id in done:
        swap_in(store, txn, entries, plugin_id)
    if done:
        txn.put_bytes(store.lock_path.name, render_lock(entries))
    return done
