"""Operations on installed packages: resolve a REF, enable, disable, uninstall, upgrade, verify, gc."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.errors import InstallError, PluginKitError, UsageError
from plugin_kit.hosts import HOSTS, INSOMNIA, YOI, get_host
from plugin_kit.installer import capabilities as caps
from plugin_kit.installer import yoi_manage, yoi_store
from plugin_kit.installer._fs import checkpoint
from plugin_kit.installer.audit import audit, now_iso
from plugin_kit.installer.enablement import (
    Enablement,
    find_enablement,
    load_enablements,
    settle_grants,
    update_enablements,
)
from plugin_kit.installer.installed import remove_installed, same_install
from plugin_kit.installer.lockfile import LockEntry, read_lock
from plugin_kit.installer.stores import (
    Store,
    locked_store,
    user_store,
    workspace_store,
)

__all__ = [
    "resolve_ref",
    "enable",
    "disable",
    "uninstall",
    "upgrade",
    "UpgradeResult",
    "EnableResult",
    "verify_installed",
    "VerifyReport",
    "repair_command",
    "gc",
]


def _candidates(
    ref: str, workspace: Path | None, host: str | None = None
) -> tuple[list[Store], str]:
    """The stores `ref` may name (of `host` only, when given), and its plugin id."""
    kind, sep, plugin_id = ref.partition(":")
    if sep and kind not in ("user", "project"):
        raise UsageError(
            f"{ref!r} is not a reference", rule="ref-syntax", hint="use ID, user:ID or project:ID"
        )
    if not sep:
        kind, plugin_id = "", ref
    candidates = []
    for h in [get_host(host)] if host else HOSTS.values():
        if kind in ("", "user"):
            candidates.append(user_store(h))
        if kind in ("", "project"):
            candidates.append(workspace_store(workspace or Path.cwd(), h))
    return candidates, plugin_id


def _ambiguity_hint(plugin_id: str, held: list[Store]) -> str:
    """How to name one of the stores that hold `plugin_id`: its kind, its host, or both."""
    ways = []
    if len({s.kind for s in held}) > 1:
        ways.append(f"user:{plugin_id} or project:{plugin_id}")
    if len({s.host.name for s in held}) > 1:
        ways.append(" or ".join(f"--host {name}" for name in sorted({s.host.name for s in held})))
    return "name one: " + ", with ".join(ways)


def resolve_ref(
    ref: str, workspace: Path | None, host: str | None = None
) -> tuple[Store, LockEntry]:
    """`user:ID`, `project:ID` or a bare ID held by exactly one store (both: fail closed);
    `host` ("insomnia" or "yoi") picks between the same id installed for both hosts."""
    candidates, plugin_id = _candidates(ref, workspace, host)
    held = [(s, read_lock(s).get(plugin_id)) for s in candidates]
    held = [(s, e) for s, e in held if e is not None]
    if len(held) > 1:
        where = " and ".join(f"{s.ref(plugin_id)} ({s.host.title})" for s, _ in held)
        raise UsageError(
            f"{plugin_id!r} is installed in more than one store: {where}",
            rule="ref-ambiguous",
            hint=_ambiguity_hint(plugin_id, [s for s, _ in held]),
        )
    if not held:
        names = [f"{s.kind}:{i}" for s in candidates for i in read_lock(s)]
        close = difflib.get_close_matches(
            ref, names + [n.split(":", 1)[1] for n in names], n=3, cutoff=0.5
        )
        raise InstallError(
            f"{ref} is not installed",
            rule="not-installed",
            hint=f"did you mean: {', '.join(close)}?" if close else "see `plugin list`",
        )
    return held[0][0], held[0][1]  # type: ignore[return-value]


def _surfaces(store: Store, entry: LockEntry) -> list[str]:
    from plugin_kit.fsio import read_bounded
    from plugin_kit.installer.cache import cache_path
    from plugin_kit.validators.limits import DEFAULT_LIMITS
    from plugin_kit.validators.manifest import parse_manifest

    path = cache_path(entry.content_digest) / "plugin.toml"
    try:
        m = parse_manifest(read_bounded(path, DEFAULT_LIMITS.max_manifest_size, what=str(path)))
    except (OSError, PluginKitError):
        return []
    return [
        name
        for name, present in (("tools", m.tools), ("hooks", m.hooks), ("runtime", True))
        if present
    ]


@dataclass
class EnableResult:
    ref: str
    version: str
    digest: str
    active: bool
    grants: dict[str, Any]
    not_granted: list[str]
    granted: list[str] = field(default_factory=list)  # one line per grant, as shown to the user
    runtime: str = ""

    def grant_lines(self) -> list[str]:
        return [f"  grant: {line}" for line in self.granted] or [
            "  grant: nothing (it runs with none of its requested capabilities)"
        ]

    def preview_lines(self) -> list[str]:
        """What is asked about: every grant, and every request left ungranted."""
        head = f"enable {self.ref} {self.version} ({self.runtime}):"
        return [head, *self.grant_lines(), *self.notes()]

    def summary_lines(self) -> list[str]:
        if not self.active:
            return [f"Disabled {self.ref}"]
        return [f"Enabled {self.ref} {self.version}", *self.grant_lines()]

    def notes(self) -> list[str]:
        return [f"  not granted: {line.removeprefix('+ ')}" for line in self.not_granted]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _requested(store: Store, entry: LockEntry) -> dict[str, Any]:
    """What the package's own manifest requests; refuses an inconsistent or rejected package.

    The manifest, not the lock: a workspace lock is a file in the repository and may claim more.
    """
    from plugin_kit.installer.api import _discover_store

    for pkg in _discover_store(store, []):
        if pkg.id != entry.id:
            continue
        if pkg.status in ("inconsistent", "rejected"):
            raise InstallError(
                f"{pkg.ref} is {pkg.status}; it cannot be enabled",
                rule=f"enable-{pkg.status}",
                place=pkg.path,
                hint=pkg.diagnostics[0].hint if pkg.diagnostics else None,
            )
        return pkg.requested
    raise InstallError(f"{store.ref(entry.id)} is not installed", rule="not-installed")


def enable(
    ref: str,
    workspace: Path | None,
    *,
    grant_requested: bool = False,
    grants: list[str] | None = None,
    revoke: list[str] | None = None,
    profile: str | None = None,
    confirm: Callable[[Any], None] | None = None,
    host: str | None = None,
) -> Any:
    """Enable REF with concrete grants where its host reads enablement: our plugins.toml
    (Insomnia) or a Yoi Profile (yoi_manage.py). Grants add up: `grants` join those already
    given to this install (a disable keeps them), `revoke` takes items away,
    `grant_requested` grants exactly what is requested. `confirm`, if given, sees the result
    (its `preview_lines()` list every grant, one line each) before anything is written;
    raising from it writes nothing. `host` picks the store when the same id is installed
    for both hosts."""
    store, entry = resolve_ref(ref, workspace, host)
    return _manager(store).enable(store, entry, profile=profile, grant_requested=grant_requested,
                                  grants=grants or [], revoke=revoke or [], confirm=confirm)  # fmt: skip


def _enable_insomnia(
    store: Store,
    entry: LockEntry,
    *,
    profile: str | None,
    grant_requested: bool,
    grants: list[str],
    revoke: list[str],
    confirm: Callable[[EnableResult], None] | None,
) -> EnableResult:
    if profile:
        raise UsageError(
            "--profile is for Yoi packages; an Insomnia plugin's grants are in plugins.toml",
            rule="usage",
        )
    if grant_requested and grants:
        raise UsageError("use --grant-requested or --grant, not both", rule="usage")
    return _enable_plugins_toml(store, entry, grant_requested, grants, revoke, confirm)


def _enable_plugins_toml(
    store: Store,
    entry: LockEntry,
    grant_requested: bool,
    grants: list[str],
    revoke: list[str],
    confirm: Callable[[EnableResult], None] | None,
) -> EnableResult:
    """Record an enable with concrete grants; a grant may narrow a request, never widen it."""
    full_ref = store.ref(entry.id)
    try:
        requested = _requested(store, entry)
        granted = _new_grants(store, entry, requested, grant_requested, grants, revoke)
        result = EnableResult(
            full_ref,
            entry.version,
            entry.content_digest,
            True,
            granted,
            caps.uncovered(requested, granted),
            caps.grant_lines(granted),
            entry.runtime,
        )
        if confirm is not None:
            confirm(result)
        rec = Enablement(
            id=full_ref,
            digest=entry.content_digest,
            version=entry.version,
            workspace=str(store.workspace) if store.workspace else None,
            active=True,
            surfaces=_surfaces(store, entry),
            granted_at=now_iso(),
            grants=granted,
            install_id=entry.install_id,
        )

        def change(records: list[Enablement]) -> None:
            records[:] = [r for r in records if not r.matches(full_ref, store.workspace)]
            records.append(rec)

        with locked_store(store):
            same_install(store, entry)
            checkpoint("enable:locked")
            update_enablements(change)
    except PluginKitError as err:
        audit("enable", outcome="refused", ref=full_ref, version=entry.version, rule=err.rule)
        raise
    audit(
        "enable",
        outcome="ok",
        ref=full_ref,
        version=entry.version,
        digest=entry.content_digest,
        workspace=rec.workspace,
        granted=granted,
    )
    return result


def _new_grants(
    store: Store,
    entry: LockEntry,
    requested: dict[str, Any],
    grant_requested: bool,
    grants: list[str],
    revoke: list[str],
) -> dict[str, Any]:
    """The grants after this enable: what this install holds, plus `grants`, minus `revoke`.

    After an upgrade that asks for more (`needs-grant`) the grants of the version it replaced
    are kept too, if the new version still requests all of them (a grant never widens)."""
    rec = find_enablement(load_enablements(), store.ref(entry.id), store.workspace)
    binding = rec.binding(entry) if rec is not None else None
    held: dict[str, Any] = {}
    if rec is not None and binding == "current":
        held = rec.grants
    elif rec is not None and binding == "previous" and not caps.uncovered(rec.grants, requested):
        held = rec.grants  # uncovered(grants, requested) == []: every grant is still requested
    if grant_requested:
        held = dict(requested)
    granted = caps.merge_grants(held, caps.parse_grants(grants, requested))
    return caps.revoke_grants(granted, revoke) if revoke else granted


def disable(
    ref: str, workspace: Path | None, *, profile: str | None = None, host: str | None = None
) -> Any:
    """Insomnia: mark the enable inactive, its grants kept for a later enable. Yoi: remove the
    Profile's entry for it."""
    store, entry = resolve_ref(ref, workspace, host)
    return _manager(store).disable(store, entry, profile=profile)


def _disable_insomnia(store: Store, entry: LockEntry, *, profile: str | None) -> EnableResult:
    full_ref = store.ref(entry.id)
    found: list[Enablement] = []

    def change(records: list[Enablement]) -> None:
        for r in records:
            if r.matches(full_ref, store.workspace):
                r.active = False
                found.append(r)

    update_enablements(change)  # binds to no install, so it needs no store lock
    audit("disable", outcome="ok" if found else "noop", ref=full_ref, version=entry.version)
    grants = found[0].grants if found else {}
    return EnableResult(full_ref, entry.version, entry.content_digest, False, grants, [])


def uninstall(
    ref: str, workspace: Path | None, *, profile: str | None = None, host: str | None = None
) -> dict[str, Any]:
    """Remove the store file, its lock entry and its grants; the cache stays until `cache gc`.

    The grants stop applying at the store's commit (they name an install that is gone) and
    are removed under the same lock; a re-run after a kill removes what is left. A Yoi
    package's Profile entry is removed first (yoi_manage.py)."""
    try:
        store, entry = resolve_ref(ref, workspace, host)
    except InstallError as err:
        if err.rule != "not-installed":
            raise
        return _finish_uninstall(ref, workspace, host, err)
    return _manager(store).uninstall(store, entry, profile=profile)


def _uninstall_insomnia(store: Store, entry: LockEntry, *, profile: str | None) -> dict[str, Any]:
    full_ref = store.ref(entry.id)
    remove_installed(store, entry, then=lambda: settle_grants(store, prune=[entry.id]))
    audit(
        "uninstall", outcome="ok", ref=full_ref, version=entry.version, digest=entry.content_digest
    )
    return {"ref": full_ref, "version": entry.version, "digest": entry.content_digest}


def _finish_uninstall(
    ref: str, workspace: Path | None, host: str | None, err: InstallError
) -> dict[str, Any]:
    """REF is not installed; if grants for it are left (an uninstall killed after its commit),
    remove them and report the uninstall finished, else re-raise `err`."""
    candidates, plugin_id = _candidates(ref, workspace, host)
    for store in candidates:
        done = _manager(store).finish_uninstall(store, plugin_id)
        if done is not None:
            return done
    raise err


def _finish_uninstall_insomnia(store: Store, plugin_id: str) -> dict[str, Any] | None:
    """Grants left in plugins.toml for an install that is gone: remove them."""
    rec = find_enablement(load_enablements(), store.ref(plugin_id), store.workspace)
    if rec is None:
        return None
    with locked_store(store):
        if plugin_id in read_lock(store):
            return None  # installed again meanwhile: not ours to remove
        settle_grants(store, prune=[plugin_id])
    audit("uninstall", outcome="finished", ref=rec.id, version=rec.version, digest=rec.digest)
    return {"ref": rec.id, "version": rec.version, "digest": rec.digest, "finished": True}


@dataclass
class UpgradeResult:
    ref: str
    from_version: str
    to_version: str | None
    status: str  # "up-to-date" | "planned" | "upgraded" | "needs-grant" | "skipped"
    new_capabilities: list[str] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _upgrade_one(
    store: Store,
    entry: LockEntry,
    *,
    host_api: str,
    dry_run: bool,
    accept_new_key: bool,
    progress: Any,
) -> UpgradeResult:
    from plugin_kit.installer.install import plan_candidate, run_install
    from plugin_kit.installer.resolve import NameRef, resolve_name

    ref = store.ref(entry.id)
    catalog = entry.source.get("catalog")
    if not catalog:
        return UpgradeResult(
            ref, entry.version, None, "skipped", note="not installed from a catalog"
        )
    cand = resolve_name(NameRef(catalog, entry.id, None), host_api=host_api)
    from plugin_kit.validators.versions import parse_version

    manager = _manager(store)
    if parse_version(cand.version) <= parse_version(entry.version):
        manager.settle(store, entry)
        return UpgradeResult(ref, entry.version, cand.version, "up-to-date")
    plan = plan_candidate(cand, store, f"{catalog}/{entry.id}")
    extra = manager.growth(store, entry, plan.capabilities or {})
    if dry_run:
        return UpgradeResult(
            ref,
            entry.version,
            cand.version,
            "planned",
            extra,
            "new publisher key" if plan.new_key else "",
        )
    installed = run_install(
        plan,
        accept_new_key=accept_new_key,
        allow_replace=True,
        progress=progress,
        action="upgrade",
        carry_grants=True,
    )
    if installed.grants_carried:
        audit(
            "grant_carried",
            outcome="ok",
            ref=ref,
            version=installed.version,
            digest=installed.content_digest,
            previous_digest=entry.content_digest,
        )
        note = "; ".join(["grants carried over", *installed.notes])
        return UpgradeResult(ref, entry.version, installed.version, "upgraded", note=note)
    if installed.waiting:  # Yoi: the store keeps the old package, the Profile its pin
        return UpgradeResult(ref, entry.version, installed.version, "needs-grant",
                             installed.grown or [],
                             f"{entry.version} keeps running; review and run `plugin enable {ref}`")  # fmt: skip
    return manager.upgraded(store, entry, installed)


def _settle_insomnia(store: Store, entry: LockEntry) -> None:
    """Finish an upgrade killed after its commit (its grant still `pending` in plugins.toml)."""
    rec = find_enablement(load_enablements(), store.ref(entry.id), store.workspace)
    if rec is not None and rec.pending is not None:
        with locked_store(store):
            settle_grants(store)


def _growth_insomnia(store: Store, entry: LockEntry, capabilities: dict[str, Any]) -> list[str]:
    """What a catalog entry's capabilities ask beyond the grants of an enabled install."""
    rec = find_enablement(load_enablements(), store.ref(entry.id), store.workspace)
    granted = rec is not None and rec.active and rec.binding(entry) is not None
    return caps.uncovered(capabilities, rec.grants) if granted and rec else []


def _upgraded_insomnia(store: Store, entry: LockEntry, installed: Any) -> UpgradeResult:
    """An upgrade placed without carrying grants: not enabled, carried by a concurrent
    upgrade, or asking for more (the new version waits, the old one keeps its grant)."""
    ref = store.ref(entry.id)
    # Judge by what the verified manifest requests (recorded at placing), not the catalog's copy.
    placed = read_lock(store).get(entry.id)
    rec = find_enablement(load_enablements(), ref, store.workspace)
    binding = rec.binding(placed) if rec and rec.active and placed else None
    if binding is None or rec is None or placed is None:
        return UpgradeResult(ref, entry.version, installed.version, "upgraded", note="not enabled")
    if binding == "current":  # a concurrent upgrade placed and carried it first
        return UpgradeResult(
            ref, entry.version, installed.version, "upgraded", note="grants carried over"
        )
    return UpgradeResult(
        ref,
        entry.version,
        installed.version,
        "needs-grant",
        caps.uncovered(placed.requested_capabilities, rec.grants),
        f"{entry.version} keeps running; review and run `plugin enable {ref}`",
    )


def _upgraded_yoi(store: Store, entry: LockEntry, installed: Any) -> UpgradeResult:
    """Neither carried nor waiting: no Profile enables it (yoi_store.py)."""
    return UpgradeResult(
        store.ref(entry.id), entry.version, installed.version, "upgraded", note="not enabled"
    )


@dataclass(frozen=True)
class _Manager:
    """What enable, disable, uninstall and upgrade do for one host's enablement: our
    plugins.toml (Insomnia) or a Yoi Profile (yoi_manage.py, yoi_store.py). Keyed by
    `Host.enablement`, as place.py's `_ENABLERS`."""

    enable: Callable[
        ..., Any
    ]  # (store, entry, *, profile, grant_requested, grants, revoke, confirm)
    disable: Callable[..., Any]  # (store, entry, *, profile)
    uninstall: Callable[..., dict[str, Any]]  # (store, entry, *, profile)
    finish_uninstall: Callable[[Store, str], dict[str, Any] | None]  # REF no longer installed
    settle: Callable[[Store, LockEntry], None]  # an up-to-date upgrade finishes a killed one
    growth: Callable[[Store, LockEntry, dict[str, Any]], list[str]]  # upgrade --dry-run
    upgraded: Callable[[Store, LockEntry, Any], UpgradeResult]  # placed, not carried/waiting


_MANAGERS = {
    INSOMNIA.enablement: _Manager(
        _enable_insomnia,
        _disable_insomnia,
        _uninstall_insomnia,
        _finish_uninstall_insomnia,
        _settle_insomnia,
        _growth_insomnia,
        _upgraded_insomnia,
    ),
    YOI.enablement: _Manager(
        yoi_manage.enable,
        yoi_manage.disable,
        yoi_manage.uninstall,
        lambda _store, _id: None,  # a Yoi uninstall re-run finds the package still installed
        lambda _store, _entry: None,  # yoi_store.settle runs under every store transaction
        yoi_store.planned_growth,
        _upgraded_yoi,
    ),
}


def _manager(store: Store) -> _Manager:
    return _MANAGERS[store.host.enablement]


def upgrade(
    refs: list[str],
    workspace: Path | None,
    *,
    all_: bool = False,
    dry_run: bool = False,
    accept_new_key: bool = False,
    host_api: str | None = None,
    progress: Any = None,
    host: str | None = None,
) -> list[UpgradeResult]:
    """Upgrade `refs` (or every installed package); `host` picks between the same id
    installed for both hosts, and with `all_` keeps to that host's stores."""
    from plugin_kit.installer.resolve import host_api_version

    api = host_api_version(host_api)
    targets = (
        [resolve_ref(r, workspace, host) for r in refs]
        if not all_
        else [(s, e) for s in _stores(workspace, host) for e in read_lock(s).values()]
    )
    return [
        _upgrade_one(
            s, e, host_api=api, dry_run=dry_run, accept_new_key=accept_new_key, progress=progress
        )
        for s, e in targets
    ]


@dataclass
class VerifyReport:
    checked: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "problems": self.problems}


def store_file_sha256(path: Path) -> str:
    """A store file may sit in a checkout: never follow a link, hang on a FIFO or read a device."""
    import hashlib

    from plugin_kit.fsio import open_regular

    with open_regular(path, what=f"store file {path.name}") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def repair_command(store: Store, entry: LockEntry) -> str:
    """The command that fetches, verifies and places `entry` again (`plugin install --force`),
    pinned to what plugins.lock records: the catalog entry's exact version, or the source
    file or URL checked against the archive sha256 the lock holds."""
    import shlex

    src = entry.source
    if src.get("catalog"):
        target = f"{src['catalog']}/{entry.id}@{entry.version}"
    else:
        target = str(src.get("path") or src.get("url") or src.get("requested") or entry.id)
        target = shlex.quote(target) + f" --sha256 {entry.archive_sha256}"
    where = ""
    if store.kind == "project":
        where = " --project" + (
            f" --workspace {shlex.quote(str(store.workspace))}" if store.workspace else ""
        )
    return f"plugin install --force {target}{where} --yes"


def _verify_entry(store: Store, entry: LockEntry, report: VerifyReport) -> None:
    from plugin_kit.content.digest import extracted_digest
    from plugin_kit.installer.cache import cache_path

    ref = store.ref(entry.id)
    path = store.archive_path(entry.id)
    checks = [
        ("store file", lambda: store_file_sha256(path), entry.archive_sha256),
        (
            "cache tree",
            lambda: extracted_digest(cache_path(entry.content_digest), get_host(entry.host)),
            entry.content_digest,
        ),
    ]
    for what, compute, expected in checks:
        try:
            actual = compute()
        except (OSError, PluginKitError) as exc:
            report.problems.append(
                {"ref": ref, "check": what, "problem": f"missing or unreadable: {exc}"}
            )
            continue
        if actual != expected:
            report.problems.append(
                {
                    "ref": ref,
                    "check": what,
                    "problem": "does not match plugins.lock",
                    "expected": expected,
                    "actual": actual,
                }
            )
    for problem in report.problems:
        if problem["ref"] == ref and problem["check"] in ("store file", "cache tree"):
            problem["repair"] = repair_command(store, entry)
    key_problem = _pin_problem(entry)
    if key_problem:
        report.problems.append({"ref": ref, "check": "publisher key", "problem": key_problem})
    report.checked.append({"ref": ref, "version": entry.version, "digest": entry.content_digest})


def _pin_problem(entry: LockEntry) -> str | None:
    """A signed install pins the whole key; its key id is a label that must belong to it."""
    from plugin_kit.signing.keys import load_public_key

    if entry.public_key is None:
        if entry.key_id:
            return (
                f"pins only the key id {entry.key_id}, which proves nothing; the next"
                " `plugin upgrade --accept-new-key` pins the whole key"
            )
        return None
    try:
        key = load_public_key(entry.public_key, place="plugins.lock")
    except PluginKitError as err:
        return f"the pinned key is not a public key: {err.message}"
    if entry.key_id and entry.key_id != key.key_id:
        return f"key id {entry.key_id} does not belong to the pinned key"
    return None


def _stores(workspace: Path | None, host: str | None) -> list[Store]:
    """Every store `--all` covers: all hosts', or those of `host`."""
    from plugin_kit.installer.api import stores_for

    return [s for s in stores_for(workspace) if host in (None, s.host.name)]


def verify_installed(
    refs: list[str], workspace: Path | None, *, all_: bool = False, host: str | None = None
) -> VerifyReport:
    """Re-hash store files and cache trees against the locks; also flag files nobody installed.
    `host` picks between the same id installed for both hosts (with `all_`: its stores only)."""
    from plugin_kit.installer.stores import recover_if_needed

    report = VerifyReport()
    if not all_:
        for ref in refs:
            store, entry = resolve_ref(ref, workspace, host)
            _verify_entry(store, entry, report)
        return report
    for store in _stores(workspace, host):
        recover_if_needed(store)
        try:
            lock = read_lock(store)
        except PluginKitError as err:
            report.problems.append(
                {"ref": f"{store.kind}:*", "check": "plugins.lock", "problem": err.message}
            )
            continue
        for entry in lock.values():
            _verify_entry(store, entry, report)
        for path in store.archives():
            plugin_id = store.plugin_id(path)
            if plugin_id not in lock:
                report.problems.append(
                    {
                        "ref": store.ref(plugin_id),
                        "check": "plugins.lock",
                        "problem": "a store file with no lock entry (not installed by plugin-kit)",
                    }
                )
    return report


def gc(workspace: Path | None, *, dry_run: bool = False) -> Any:
    """Keep what any known store's lock (current and previous) or any enable references."""
    from plugin_kit.installer.cache import collect_garbage
    from plugin_kit.installer.stores import all_stores, known_workspaces

    stores = all_stores(workspace)
    known = [w for w in known_workspaces() if w.is_dir()]
    stores += [workspace_store(w, h) for w in known for h in HOSTS.values()]
    records = load_enablements()
    digests = {r.digest for r in records} | {
        str(r.pending.get("digest")) for r in records if r.pending
    }
    shas: set[str] = set()
    for store in stores:
        for entry in read_lock(store).values():
            digests.add(entry.content_digest)
            shas.add(entry.archive_sha256)
            for kept in (entry.previous, entry.pending):  # a Yoi pending version waits here
                if kept:
                    digests.add(kept["content_digest"])
                    shas.add(kept["archive_sha256"])
    return collect_garbage(digests, shas, dry_run=dry_run)
