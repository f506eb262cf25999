"""place_archive: put an archive into the cache and a store, atomically. No signature checks here."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from plugin_kit.errors import InstallError, UsageError, VerificationError
from plugin_kit.hosts import INSOMNIA, YOI, Host
from plugin_kit.installer.audit import now_iso
from plugin_kit.installer.cache import StagedTree, ensure_cached, keep_archive, staged_tree
from plugin_kit.installer.enablement import carry_grant, settle_grants
from plugin_kit.installer.lockfile import LockEntry, read_lock, render_lock
from plugin_kit.installer.stores import Store, StoreTransaction, store_transaction

__all__ = ["InstalledPackage", "place_archive"]


@dataclass
class InstalledPackage:
    ref: str
    id: str
    version: str
    runtime: str
    archive_sha256: str
    content_digest: str
    size: int
    store: str
    store_path: str
    cache_path: str
    previous_version: str | None = None
    unchanged: bool = False
    grants_carried: bool = False
    host: str = INSOMNIA.name
    waiting: bool = False  # (Yoi) verified and cached, the store keeps the old one: needs a grant
    grown: list[str] | None = None  # what it requests beyond the version it upgrades
    notes: list[str] = dataclasses.field(default_factory=list)  # (Yoi) what a re-pin did

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Enabler:
    """How a host's enablement meets a placement (keyed by `Host.enablement`)."""

    facts: Callable[[Any], tuple[str, dict[str, Any]]]  # manifest -> (api, requested)
    settle: Callable[[Store, StoreTransaction], object]  # finish what a killed run left
    # Before the commit of an upgrade from `old` to `new` (entries: the lock being written):
    # "carried" (grants moved), "wait" (keep the old package, the new one needs a grant) or
    # "" (nothing enabled to carry); with what to report (what grew, what was re-pinned).
    carry: Callable[
        [Store, StoreTransaction, dict[str, LockEntry], LockEntry, LockEntry],
        tuple[str, list[str]],
    ]
    prune: Callable[[Store, str], None]  # after the commit: drop grants of no install


def _insomnia_carry(
    store: Store,
    _txn: StoreTransaction,
    _entries: dict[str, LockEntry],
    old: LockEntry,
    new: LockEntry,
) -> tuple[str, list[str]]:
    return ("carried" if carry_grant(store, old, new) else ""), []


# The Yoi side is imported when a Yoi store is placed into (its grants, Profiles and manifest
# shapes are ~20 modules an Insomnia install or list never needs).
def _yoi_facts(manifest: Any) -> tuple[str, dict[str, Any]]:
    from plugin_kit.installer import yoi_store

    return yoi_store.lock_facts(manifest)


def _yoi_settle(store: Store, txn: StoreTransaction) -> object:
    from plugin_kit.installer import yoi_store

    return yoi_store.settle(store, txn)


def _yoi_carry(
    store: Store,
    txn: StoreTransaction,
    entries: dict[str, LockEntry],
    old: LockEntry,
    new: LockEntry,
) -> tuple[str, list[str]]:
    """Grown requests wait; otherwise the new version is committed as `pending` first, then
    every Profile that enables it re-pinned, so that a kill before the swap is finished by
    `yoi_store.settle`. A Profile whose hand-narrowed surfaces the new version declares
    none of cannot be re-pinned: the new version waits for the user, as grown requests do."""
    from plugin_kit.installer import yoi_store

    if not yoi_store.enabling_profiles(store, old.id, strict=True):
        return "", []
    if grown := yoi_store.grown_requests(old, new):
        return "wait", grown
    try:
        plans = yoi_store.plan_repin(store, old, new)
    except InstallError as err:
        if err.rule != "yoi-surfaces-gone":
            raise
        return "wait", [f"{err.message} ({err.place})"]
    pending = dataclasses.replace(old, pending=dataclasses.replace(new, previous=None).to_dict())
    txn.put_bytes(store.lock_path.name, render_lock({**entries, old.id: pending}))
    txn.commit()
    return "carried", yoi_store.apply_repin(plans)


_ENABLERS = {
    INSOMNIA.enablement: _Enabler(
        lambda m: (m.api, dict(m.capabilities)),
        lambda store, _txn: settle_grants(store),
        _insomnia_carry,
        lambda store, plugin_id: settle_grants(store, prune=[plugin_id]),
    ),
    YOI.enablement: _Enabler(_yoi_facts, _yoi_settle, _yoi_carry, lambda _store, _id: None),
}


def enabler(host: Host) -> _Enabler:
    return _ENABLERS[host.enablement]


def place_archive(
    archive: Path,
    store: Store,
    *,
    source: dict[str, Any],
    expected_digest: str | None = None,
    signature: dict[str, Any] | None = None,
    staged: StagedTree | None = None,
    replace: bool = True,
    carry_grants: bool = False,
    force: bool = False,
) -> InstalledPackage:
    """Extract `archive` into the digest-keyed cache and make it the store's copy of its id.

    Callers that need signature checks run them first (`install` does; `plugin dev` places
    local builds). `staged` is the caller's one reading pass of `archive` (`staged_tree`:
    the strict reader extracting into a hidden folder of the cache), renamed into the cache
    here; without it the archive is read here the same way, once.
    Under the store lock: with `replace=False` a different installed version is refused
    (two installs at once cannot replace each other); with `carry_grants` an enabled old
    version's grant moves to the new one in the same commit if it covers its requests (a Yoi
    Profile entry is re-pinned; one whose requests grew keeps the old package in the store
    and the new one waits in the lock's `pending`, see yoi_store.py). With `force` the same
    archive is placed again (a repair: the store file is rewritten; the cache tree was
    re-hashed and rebuilt by ensure_cached); it stays the same install, so its grants still
    apply. Grants that apply to no install of this id any more are removed.
    """
    with ExitStack() as stack:
        if staged is None:
            staged = stack.enter_context(staged_tree(_extractor(archive)))
        return _place(
            archive,
            store,
            staged,
            source=source,
            expected_digest=expected_digest,
            signature=signature,
            replace=replace,
            carry_grants=carry_grants,
            force=force,
        )


def _extractor(archive: Path) -> Callable[[Path], Any]:
    from plugin_kit.packer.reader import extract_archive

    return lambda dest: extract_archive(archive, dest, read_only=True, durable=True)


def _place(
    archive: Path,
    store: Store,
    staged: StagedTree,
    *,
    source: dict[str, Any],
    expected_digest: str | None,
    signature: dict[str, Any] | None,
    replace: bool,
    carry_grants: bool,
    force: bool,
) -> InstalledPackage:
    info = staged.info
    if info.host != store.host:
        raise UsageError(
            f"a {info.host.title} package cannot go into a {store.host.title} store",
            rule="store-host",
            place=str(archive),
        )
    if expected_digest and info.digest != expected_digest:
        raise VerificationError(
            "the archive's content digest is not the expected one",
            rule="digest-mismatch",
            place=str(archive),
            hint=f"expected {expected_digest}, archive has {info.digest}",
        )
    tree = ensure_cached(archive, info.digest, info.host, staged.tree)
    keep_archive(archive, info.sha256)
    manifest = info.manifest
    hooks = enabler(store.host)
    api, requested = hooks.facts(manifest)
    carried = waiting = False
    grown: list[str] | None = None
    notes: list[str] = []
    with store_transaction(store) as txn:
        hooks.settle(store, txn)  # finish or roll back what a killed run left
        txn.commit()
        entries = read_lock(store)
        old = entries.get(manifest.id)
        unchanged = (
            not force
            and old is not None
            and old.archive_sha256 == info.sha256
            and store.archive_path(manifest.id).is_file()
        )
        if not unchanged:
            if old is not None and not replace and old.archive_sha256 != info.sha256:
                raise UsageError(
                    f"{store.ref(manifest.id)} {old.version} is installed",
                    rule="already-installed",
                    place=str(store.archive_path(manifest.id)),
                    hint=f"use `plugin upgrade {store.ref(manifest.id)}`, or uninstall it first",
                )
            previous, install_id = old.previous if old else None, os.urandom(16).hex()
            if old and old.content_digest == info.digest:
                install_id = old.install_id  # the same content re-placed: the same install
            elif old:
                previous = {
                    "version": old.version,
                    "content_digest": old.content_digest,
                    "archive_sha256": old.archive_sha256,
                    "install_id": old.install_id,
                }
            new = LockEntry(
                id=manifest.id,
                version=manifest.version,
                runtime=manifest.runtime,
                api=api,
                archive_sha256=info.sha256,
                content_digest=info.digest,
                size=info.size,
                installed_at=now_iso(),
                source=dict(source),
                signature=dict(signature or {}),
                requested_capabilities=requested,
                previous=previous,
                install_id=install_id,
                host=store.host.name,
            )
            outcome, notes = (
                hooks.carry(store, txn, entries, old, new) if carry_grants and old else ("", [])
            )
            if outcome == "wait" and old is not None:  # the store and the pin stay; it waits
                grown = notes
                entries[manifest.id] = dataclasses.replace(
                    old, pending=dataclasses.replace(new, previous=None).to_dict()
                )
            else:
                entries[manifest.id] = new
                txn.put_file(store.archive_path(manifest.id).name, archive)
            txn.put_bytes(store.lock_path.name, render_lock(entries))
            carried, waiting = outcome == "carried", outcome == "wait"
            txn.commit()
            hooks.prune(store, manifest.id)
    return InstalledPackage(
        ref=store.ref(manifest.id),
        id=manifest.id,
        version=manifest.version,
        runtime=manifest.runtime,
        archive_sha256=info.sha256,
        content_digest=info.digest,
        size=info.size,
        store=store.kind,
        store_path=str(store.archive_path(manifest.id)),
        cache_path=str(tree),
        previous_version=old.version if old and not unchanged else None,
        unchanged=unchanged,
        grants_carried=carried,
        host=store.host.name,
        waiting=waiting,
        grown=grown,
        notes=notes if carried else [],
    )
