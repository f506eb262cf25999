"""place_archive: put an archive into the cache and a store, atomically. No signature checks here."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from plugin_kit.errors import UsageError, VerificationError
from plugin_kit.installer.audit import now_iso
from plugin_kit.installer.cache import ensure_cached, keep_archive
from plugin_kit.installer.enablement import carry_grant, settle_grants
from plugin_kit.installer.lockfile import LockEntry, read_lock, render_lock
from plugin_kit.installer.stores import Store, store_transaction

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def place_archive(
    archive: Path,
    store: Store,
    *,
    source: dict[str, Any],
    expected_digest: str | None = None,
    signature: dict[str, Any] | None = None,
    info: Any = None,
    replace: bool = True,
    carry_grants: bool = False,
) -> InstalledPackage:
    """Extract `archive` into the digest-keyed cache and make it the store's copy of its id.

    Callers that need signature checks run them first (`install` does; `plugin dev` places
    local builds). `info` is the reader's ArchiveInfo when the caller has already read it.
    Under the store lock: with `replace=False` a different installed version is refused
    (two installs at once cannot replace each other); with `carry_grants` an enabled old
    version's grant moves to the new one in the same commit if it covers its requests.
    Grants that apply to no install of this id any more are removed.
    """
    from plugin_kit.packer.reader import read_archive

    info = info or read_archive(archive)
    if expected_digest and info.digest != expected_digest:
        raise VerificationError(
            "the archive's content digest is not the expected one",
            rule="digest-mismatch",
            place=str(archive),
            hint=f"expected {expected_digest}, archive has {info.digest}",
        )
    tree = ensure_cached(archive, info.digest, info.host)
    keep_archive(archive, info.sha256)
    manifest = info.manifest
    carried = False
    with store_transaction(store) as txn:
        settle_grants(store)  # finish or roll back what a killed run left
        entries = read_lock(store)
        old = entries.get(manifest.id)
        unchanged = (
            old is not None
            and old.archive_sha256 == info.sha256
            and store.archive_path(manifest.id).is_file()
        )
        if not unchanged:
            if old is not None and not replace:
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
            new = entries[manifest.id] = LockEntry(
                id=manifest.id,
                version=manifest.version,
                runtime=manifest.runtime,
                api=manifest.api,
                archive_sha256=info.sha256,
                content_digest=info.digest,
                size=info.size,
                installed_at=now_iso(),
                source=dict(source),
                signature=dict(signature or {}),
                requested_capabilities=dict(manifest.capabilities),
                previous=previous,
                install_id=install_id,
            )
            txn.put_file(store.archive_path(manifest.id).name, archive)
            txn.put_bytes(store.lock_path.name, render_lock(entries))
            carried = bool(carry_grants and old and carry_grant(store, old, new))
            txn.commit()
            settle_grants(store, prune=[manifest.id])
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
    )
