"""A Yoi store's packages as our lock records them, and how an upgrade meets the Profile's pin.

Yoi runs only the package its store holds, checked against the digest the Profile pins, and
never falls back to an older one (crates/manifest/src/plugin.rs `resolve_enabled_plugins`:
a digest or version mismatch is a diagnostic, the package is not loaded). So:

- an upgrade whose requests (permissions, request/websocket targets, surfaces) did not grow
  re-pins every Profile entry that pins the old version (`enabling_profiles`: each user
  Profile the registry names) with its grants and surface list, and swaps the store file;
- an upgrade whose requests grew, of a package a Profile enables, leaves the old package in
  the store and the old pins in place (Yoi keeps running it) and records the verified new
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
from typing import TYPE_CHECKING, Any

from plugin_kit.errors import InstallError, PluginKitError
from plugin_kit.installer.audit import now_iso
from plugin_kit.installer.lockfile import LockEntry, read_lock, render_lock
from plugin_kit.installer.paths import user_profiles_path
from plugin_kit.installer.stores import Store, StoreTransaction
from plugin_kit.installer.yoi_grants import GrantSet, parse_grant, requested_grants
from plugin_kit.installer.yoi_profiles import read_profile_artifact, read_registry
from plugin_kit.installer.yoi_status import YoiStorePackage, declared_surfaces, enabled_entries

if TYPE_CHECKING:
    from plugin_kit.installer.yoi_enable import EnablePlan

__all__ = [
    "lock_facts",
    "grown_requests",
    "planned_growth",
    "enabling_profiles",
    "store_package",
    "plan_repin",
    "apply_repin",
    "known_surfaces",
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
    if not enabling_profiles(store, entry.id):
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


def enabling_profiles(
    store: Store, plugin_id: str, *, strict: bool = False
) -> list[tuple[str, Mapping[str, Any]]]:
    """Every user Profile the registry names whose `[[plugins.enabled]]` holds this package:
    (selector `user:NAME`, its entry). Built-in Profiles hold no enablement, and a Profile
    only ever passed as `yoi --profile path:FILE` is not known here. `strict` (an upgrade
    deciding what to do): a Profile that cannot be read stops it, rather than counting as
    "not enabled" and swapping a package whose pin would then not match."""
    ref = store.ref(plugin_id)
    try:
        reg = read_registry(user_profiles_path())
    except PluginKitError:
        if strict:
            raise
        return []
    out, seen = [], set()
    for item in reg.entries:
        path = item.path
        if path is None or not path.exists() or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            doc = read_profile_artifact(path)
        except PluginKitError:
            if strict:
                raise
            continue
        entry = next((e for e in enabled_entries(doc) if e.get("id") == ref), None)
        if entry is not None:
            out.append((item.qualified, entry))
    return out


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


def plan_repin(store: Store, old: LockEntry, new: LockEntry) -> list[EnablePlan]:
    """Plans pinning every Profile entry of this package that pins `old` (or no digest) to
    `new`, with the grants and the surface narrowing each has (yoi_enable.plan_enable); an
    entry pinning some other digest is the user's and is left alone. Nothing is written: a
    narrowing the new version cannot keep (`yoi-surfaces-gone`) stops here."""
    from plugin_kit.installer.yoi_enable import plan_enable

    package = store_package(store, new)
    return [
        plan_enable(package, profile=selector, known_surfaces=known_surfaces(old, new))
        for selector, entry in enabling_profiles(store, new.id, strict=True)
        if entry.get("digest") in (None, old.content_digest, new.content_digest)
    ]


def apply_repin(plans: list[EnablePlan]) -> list[str]:
    """Write the plans (callers hold the store lock); returns what to report: each Profile
    re-pinned, and each surface narrowing kept."""
    from plugin_kit.installer.yoi_enable import apply_enable

    notes = []
    for plan in plans:
        apply_enable(plan)
        notes.append(f"re-pinned in Profile {plan.profile.reference}")
        notes += [f"{plan.profile.reference}: {n}" for n in plan.notes if "surfaces" in n]
    return notes


def known_surfaces(*entries: LockEntry) -> dict[str, tuple[str, ...]]:
    """Content digest -> the surfaces that version declares, as its lock entry recorded them
    (lock_facts), for telling a Profile's full `surfaces` list from one narrowed by hand."""
    return {
        e.content_digest: tuple(str(s) for s in e.requested_capabilities.get("surfaces", ()))
        for e in entries
    }


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
        pins = [e.get("digest") for _, e in enabling_profiles(store, plugin_id)] if waiting else []
        if waiting and waiting.content_digest in pins:
            if not grown_requests(entry, waiting):  # an upgrade's re-pin: finish the others
                apply_repin(plan_repin(store, entry, waiting))
            done.append(plugin_id)
    for plugin_id in done:
        swap_in(store, txn, entries, plugin_id)
    if done:
        txn.put_bytes(store.lock_path.name, render_lock(entries))
    return done
