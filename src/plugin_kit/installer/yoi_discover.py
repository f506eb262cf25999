"""`discover()` and `resolve_enabled()` for the Yoi stores: the host's own status words.

The packages come from the Yoi stores as the host finds them (user store
`${XDG_DATA_HOME:-~/.local/share}/yoi/plugins`, workspace `.yoi/plugins`; plugin.rs
`plugin_stores`), read by our strict reader; their statuses from the selected Profile as the
host resolves it (yoi_resolve.py: active, disabled, missing, rejected, partial). Our lock adds
what the host cannot know: a file nobody installed, a file that differs from its lock entry,
and a verified newer version waiting for a grant. Files a workspace carries that Yoi no longer
reads are reported on the packages they try to enable. Nothing runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plugin_kit.errors import PluginKitError
from plugin_kit.hosts import YOI
from plugin_kit.installer.api import Diagnostic, DiscoveredPackage, EnabledPlugin, _discover_store
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.stores import Store, store_transaction, user_store, workspace_store
from plugin_kit.installer.yoi_profiles import read_profile_artifact
from plugin_kit.installer.yoi_resolve import LOADED, YoiEnablement, resolve_enabled
from plugin_kit.installer.yoi_status import YoiStorePackage, enabled_entries
from plugin_kit.installer.yoi_store import grown_requests, settle

__all__ = ["yoi_stores", "discover_yoi", "enabled_yoi"]


def yoi_stores(workspace: Path | None) -> list[Store]:
    return [user_store(YOI), *([workspace_store(workspace, YOI)] if workspace else [])]


def _settle(store: Store) -> None:
    """Finish a swap a killed `enable` left (the Profile already pins the pending version)."""
    try:
        if not any(e.pending for e in read_lock(store).values()):
            return
        with store_transaction(store) as txn:
            settle(store, txn)
    except PluginKitError:
        return  # reported below as the lock or store problem it is


def _read_stores(
    workspace: Path | None,
) -> tuple[list[DiscoveredPackage], list[YoiStorePackage], dict[str, str]]:
    pkgs: list[DiscoveredPackage] = []
    found: list[YoiStorePackage] = []
    refused: dict[str, str] = {}
    for store in yoi_stores(workspace):
        _settle(store)
        infos: dict[str, Any] = {}
        store_pkgs = _discover_store(store, [], infos)
        # What Yoi reads: every package the reader accepts, under its manifest id.
        found += [YoiStorePackage(store.kind, i.manifest, i.digest, i.path) for i in infos.values()]
        for pkg in store_pkgs:
            if pkg.status == "rejected" and pkg.ref not in infos:
                refused[pkg.ref] = pkg.diagnostics[-1].message
        _note_pending(store, store_pkgs)
        pkgs += store_pkgs
    return pkgs, found, refused


def _note_pending(store: Store, pkgs: list[DiscoveredPackage]) -> None:
    try:
        lock = read_lock(store)
    except PluginKitError:
        return
    for pkg in pkgs:
        entry = lock.get(pkg.id)
        waiting = entry.waiting() if entry else None
        if entry is None or waiting is None:
            continue
        pkg.missing_grants = grown_requests(entry, waiting)
        pkg.diagnostics.append(Diagnostic(
            pkg.id, pkg.ref, pkg.runtime or "unknown", "enable", "needs-grant",
            f"version {waiting.version} is verified and waits in the cache; Yoi keeps running"
            f" {entry.version} (it asks for more: {', '.join(pkg.missing_grants) or 'see plugin show'})",
            f"review and run `plugin enable {pkg.ref}`",
        ))  # fmt: skip


def _profile_grants(enablement: YoiEnablement) -> dict[str, Any]:
    if enablement.profile.creation:
        return {}
    try:
        doc = read_profile_artifact(enablement.profile.artifact)
    except PluginKitError:
        return {}
    return {str(e.get("id")): e.get("grants") or {} for e in enabled_entries(doc)}


def _apply(
    pkgs: list[DiscoveredPackage],
    found: list[YoiStorePackage],
    enablement: YoiEnablement,
    workspace: Path | None,
) -> None:
    by_ref = {p.ref: p for p in pkgs}
    paths = {f.reference: str(f.path) for f in found}
    grants = _profile_grants(enablement)
    for st in enablement.plugins:
        pkg = by_ref.get(st.reference)
        if pkg is None:  # enabled but in no store, or in a file named for another id
            kind, _, plugin_id = st.reference.partition(":")
            pkg = DiscoveredPackage(st.reference, plugin_id, kind,
                                    str(workspace) if workspace and kind == "project" else None,
                                    paths.get(st.reference, ""), st.status, version=st.version,
                                    digest=st.digest, host=YOI.name)  # fmt: skip
            pkgs.append(pkg)
            by_ref[pkg.ref] = pkg
        pkg.status = st.status
        pkg.grants = grants.get(st.reference) if st.configured else None
        if st.status in LOADED and enablement.feature_enabled:
            pkg.running_version, pkg.running_digest = st.version, st.digest
        for why in st.reasons:
            pkg.diagnostics.append(Diagnostic(pkg.id, pkg.ref, pkg.runtime or "unknown",
                                              "resolve", f"yoi-{st.status}", why))  # fmt: skip
    for note in enablement.workspace_notes:
        for ref in note.enables:
            if ref in by_ref:
                pkg = by_ref[ref]
                pkg.diagnostics.append(Diagnostic(pkg.id, pkg.ref, pkg.runtime or "unknown",
                                                  "enable", "workspace-enablement-ignored",
                                                  note.message))  # fmt: skip


def _enablement(
    workspace: Path | None, profile: str | None, env: Mapping[str, str] | None = None
) -> tuple[list[DiscoveredPackage], YoiEnablement]:
    pkgs, found, refused = _read_stores(workspace)
    enablement = resolve_enabled(
        found, workspace=workspace, profile=profile, refused=refused, env=env
    )
    _apply(pkgs, found, enablement, workspace)
    return sorted(pkgs, key=lambda p: p.ref), enablement


def discover_yoi(
    workspace: Path | None, *, profile: str | None = None
) -> tuple[list[DiscoveredPackage], YoiEnablement | None]:
    """The Yoi packages with the host's statuses, and the enablement they were resolved with
    (None when the Profile could not be read: each package then says why)."""
    try:
        return _enablement(workspace, profile)
    except PluginKitError as err:
        pkgs, _found, _refused = _read_stores(workspace)
        for pkg in pkgs:
            pkg.diagnostics.append(Diagnostic(pkg.id, pkg.ref, pkg.runtime or "unknown",
                                              "resolve", err.rule, err.message, err.hint))  # fmt: skip
        return pkgs, None


def enabled_yoi(workspace: Path | None, *, profile: str | None = None) -> list[EnabledPlugin]:
    """What Yoi's worker would load: active or partial packages, only with the feature switch on."""
    from plugin_kit.installer.cache import cache_path

    pkgs, enablement = discover_yoi(workspace, profile=profile)
    out = []
    for pkg in pkgs:
        if enablement is None or pkg.running_digest is None or pkg.running_version is None:
            continue
        st = next(p for p in enablement.plugins if p.reference == pkg.ref)
        out.append(EnabledPlugin(pkg.ref, pkg.id, pkg.running_version, pkg.runtime or "unknown",
                                 pkg.running_digest, str(cache_path(pkg.running_digest)),
                                 dict(pkg.grants or {}), list(st.enabled_surfaces),
                                 pkg.workspace))  # fmt: skip
    return out
