"""For the host: `discover(workspace)` and `resolve_enabled(workspace)`.

Discovery reads stores, locks and manifests only: it never runs a build, loads a module or
starts a process. Yoi stores and the Yoi Profile are covered too (yoi_discover.py), with the
host's own status words. A package nobody installed (dropped into a store by hand) is listed as
disabled; a store file that differs from its lock entry is inconsistent; one the strict
reader refuses is rejected. Only packages enabled in the user's plugins.toml are resolved.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.errors import PluginKitError
from plugin_kit.hosts import get_host
from plugin_kit.installer.capabilities import uncovered
from plugin_kit.installer.enablement import Enablement, find_enablement, load_enablements
from plugin_kit.installer.lockfile import LockEntry, read_lock
from plugin_kit.installer.place import enabler
from plugin_kit.installer.stores import (
    Store,
    all_stores,
    recover_if_needed,
    user_store,
    workspace_store,
)

__all__ = [
    "Diagnostic",
    "DiscoveredPackage",
    "EnabledPlugin",
    "discover",
    "resolve_enabled",
    "stores_for",
]

STATUSES = ("enabled", "disabled", "needs-grant", "inconsistent", "rejected")


@dataclass
class Diagnostic:
    """What went wrong, where: plugin id, source, runtime kind and phase; never a secret value."""

    plugin: str
    source: str
    runtime: str
    phase: str
    rule: str
    message: str
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DiscoveredPackage:
    ref: str
    id: str
    store: str
    workspace: str | None
    path: str
    status: str
    version: str | None = None
    runtime: str | None = None
    digest: str | None = None
    archive_sha256: str | None = None
    cache_path: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    requested: dict[str, Any] = field(default_factory=dict)
    grants: dict[str, Any] | None = None
    running_version: str | None = None
    running_digest: str | None = None
    missing_grants: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    host: str = "insomnia"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "diagnostics": [d.to_dict() for d in self.diagnostics]}


@dataclass
class EnabledPlugin:
    """What the host loads: the read-only cache tree at `cache_path`, with these grants."""

    ref: str
    id: str
    version: str
    runtime: str
    digest: str
    cache_path: str
    grants: dict[str, Any]
    surfaces: list[str]
    workspace: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stores_for(workspace: Path | None) -> list[Store]:
    """Every host's user store and, with a workspace, its workspace stores."""
    return all_stores(workspace)


def _diag(
    pkg: DiscoveredPackage, phase: str, rule: str, message: str, hint: str | None = None
) -> None:
    pkg.diagnostics.append(
        Diagnostic(pkg.id, pkg.ref, pkg.runtime or "unknown", phase, rule, message, hint)
    )


def _read(pkg: DiscoveredPackage, path: Path, infos: dict[str, Any] | None = None) -> Any:
    """The strict reader over the store file; any refusal marks the package rejected. What it
    read goes into `infos` (by reference) also when the file is named for another id: Yoi
    takes a package's identity from its manifest, not from the file name."""
    from plugin_kit.packer.reader import read_archive

    try:
        info = read_archive(path)
    except PluginKitError as err:
        pkg.status = "rejected"
        _diag(pkg, "read", err.rule, err.message, err.hint)
        return None
    if infos is not None:
        infos[pkg.ref] = info
    if info.manifest.id != pkg.id:
        pkg.status = "rejected"
        _diag(
            pkg, "read", "id-mismatch", f"the file is named {pkg.id} but holds {info.manifest.id}"
        )
        return None
    pkg.version, pkg.runtime, pkg.digest = info.manifest.version, info.manifest.runtime, info.digest
    pkg.archive_sha256, pkg.requested = (
        info.sha256,
        enabler(get_host(pkg.host)).facts(info.manifest)[1],
    )
    return info


def _check_lock(pkg: DiscoveredPackage, entry: LockEntry | None) -> bool:
    from plugin_kit.installer.cache import cache_path

    if entry is None:
        _diag(
            pkg,
            "install",
            "not-installed",
            "no plugins.lock entry: this file was not installed by plugin-kit",
            f"install it with `plugin install FILE --sha256 ...`{' --project' if pkg.store == 'project' else ''}",
        )
        return False
    pkg.source = dict(entry.source)
    if entry.archive_sha256 != pkg.archive_sha256 or entry.content_digest != pkg.digest:
        pkg.status = "inconsistent"
        _diag(
            pkg,
            "verify",
            "lock-mismatch",
            "the store file differs from its plugins.lock entry",
            "run `plugin verify --all`, then reinstall it",
        )
        return False
    tree = cache_path(entry.content_digest)
    if not (tree / "plugin.toml").is_file():
        pkg.status = "inconsistent"
        _diag(
            pkg,
            "verify",
            "cache-missing",
            "the cache has no extracted tree for this digest",
            f"reinstall it: plugin install {pkg.path} --sha256 {entry.archive_sha256}",
        )
        return False
    pkg.cache_path = str(tree)
    return True


def _apply_enablement(pkg: DiscoveredPackage, entry: LockEntry, rec: Enablement | None) -> None:
    if rec is None or not rec.active:
        return
    binding = rec.binding(entry)
    if binding is None:  # given for an install that is gone (uninstalled, or replaced twice)
        _diag(
            pkg,
            "enable",
            "grant-stale",
            "its grant was given for another install of this plugin and does not apply",
            f"review and run `plugin enable {pkg.ref}`",
        )
        return
    rec = rec.for_entry(entry)
    pkg.grants = rec.grants
    if binding == "current":
        pkg.status, pkg.running_version, pkg.running_digest = "enabled", pkg.version, pkg.digest
        return
    # Upgraded since enable: the new package waits for a grant; the old one keeps running.
    pkg.status = "needs-grant"
    pkg.missing_grants = uncovered(pkg.requested, rec.grants)
    pkg.running_version, pkg.running_digest = rec.version, rec.digest
    _diag(
        pkg,
        "enable",
        "needs-grant",
        f"version {pkg.version} is not enabled yet",
        f"review and run `plugin enable {pkg.ref}`",
    )


def _discover_store(
    store: Store, records: list[Enablement], infos: dict[str, Any] | None = None
) -> list[DiscoveredPackage]:
    """The packages of one store with what our lock says of them. Insomnia statuses are
    settled here; a Yoi store's come from the host's resolution (yoi_discover.py), which
    takes the reader's results from `infos` (ref -> ArchiveInfo)."""
    recover_if_needed(store)
    try:
        lock = read_lock(store)
    except PluginKitError as err:
        lock, lock_error = {}, err
    else:
        lock_error = None
    out = []
    paths = {store.plugin_id(p): p for p in store.archives()}
    for plugin_id in sorted(set(paths) | set(lock)):
        path = paths.get(plugin_id, store.archive_path(plugin_id))
        pkg = DiscoveredPackage(
            store.ref(plugin_id),
            plugin_id,
            store.kind,
            str(store.workspace) if store.workspace else None,
            str(path),
            "disabled",
            host=store.host.name,
        )
        if lock_error is not None:
            _diag(pkg, "install", lock_error.rule, lock_error.message, lock_error.hint)
        entry = lock.get(plugin_id)
        if not path.is_file():
            pkg.status = "inconsistent"
            pkg.version = entry.version if entry else None
            _diag(
                pkg,
                "verify",
                "store-file-missing",
                "plugins.lock lists it but the store has no file",
                f"run `plugin uninstall {pkg.ref}` or reinstall it",
            )
        elif _read(pkg, path, infos) is not None:
            if _check_lock(pkg, entry) and entry is not None and infos is None:
                _apply_enablement(pkg, entry, find_enablement(records, pkg.ref, store.workspace))
        out.append(pkg)
    return out


def _insomnia_stores(workspace: Path | None) -> list[Store]:
    return [user_store(), *([workspace_store(workspace)] if workspace is not None else [])]


def _no_yoi(workspace: Path | None) -> bool:
    """Nothing of Yoi's to read: no Yoi store folder (the user's, `workspace`'s) and no Yoi
    config folder. Yoi then finds no package and enables none (its Profile would be created
    on first enable), so its discovery, ~15 modules, is not imported."""
    from plugin_kit.hosts import YOI
    from plugin_kit.installer.paths import yoi_config_dir

    stores = [user_store(YOI), *([workspace_store(workspace, YOI)] if workspace else [])]
    return not any(s.root.exists() for s in stores) and not yoi_config_dir().exists()


def discover(workspace: Path | None = None) -> list[DiscoveredPackage]:
    """Every package in the user stores and (if given) the workspace stores, with a status
    each: Insomnia's from our plugins.toml, Yoi's the host's own words (yoi_discover.py)."""
    records = load_enablements()
    ours = [pkg for s in _insomnia_stores(workspace) for pkg in _discover_store(s, records)]
    if _no_yoi(workspace):
        return ours
    from plugin_kit.installer.yoi_discover import discover_yoi

    return ours + discover_yoi(workspace)[0]


def resolve_enabled(workspace: Path | None = None) -> list[EnabledPlugin]:
    """The plugins the host may load now: enabled, consistent, with their cache tree and grants.

    After an upgrade that asks for more, the previous (still granted) version is returned.
    Yoi packages: those the selected Profile enables with status active or partial, when its
    plugins feature switch is on (yoi_discover.enabled_yoi).
    """
    from plugin_kit.installer.cache import cache_path

    out = []
    records = load_enablements()
    for pkg in (p for s in _insomnia_stores(workspace) for p in _discover_store(s, records)):
        ws = Path(pkg.workspace) if pkg.workspace else None
        rec = find_enablement(records, pkg.ref, ws)
        if rec is None or pkg.running_digest is None or pkg.running_version is None:
            continue
        tree = cache_path(pkg.running_digest)
        if not (tree / "plugin.toml").is_file():
            continue
        runtime = pkg.runtime or "unknown"
        out.append(
            EnabledPlugin(
                pkg.ref,
                pkg.id,
                pkg.running_version,
                runtime,
                pkg.running_digest,
                str(tree),
                rec.grants,
                rec.surfaces,
                pkg.workspace,
            )
        )
    if _no_yoi(workspace):
        return out
    from plugin_kit.installer.yoi_discover import enabled_yoi

    return out + enabled_yoi(workspace)
