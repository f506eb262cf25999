"""`plugin install`: resolve, plan, download, verify, then cache and place.

Nothing in a store changes until every check has passed; a failure leaves only a .part
file in the downloads folder, which the next run deletes.
"""

from __future__ import annotations

import re
import shutil
import urllib.parse
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plugin_kit.catalog.model import archive_asset
from plugin_kit.catalog.risk import Risk, assess, declared_capabilities, requests_from
from plugin_kit.content.digest import sha256_file
from plugin_kit.errors import (
    InstallError,
    NeedsUserError,
    PluginKitError,
    UsageError,
    VerificationError,
)
from plugin_kit.fsio import read_bounded
from plugin_kit.hosts import INSOMNIA, YOI, Host, get_host, host_for_archive, host_for_name
from plugin_kit.installer.audit import audit
from plugin_kit.installer.cache import StagedTree, clean_downloads, download_slot, staged_tree
from plugin_kit.installer.fetch import (
    Downloaded,
    Progress,
    check_url,
    download,
    fetch_bytes,
    redact_url,
    sibling_url,
    suffixed_url,
)
from plugin_kit.installer.lockfile import LockEntry, read_lock
from plugin_kit.installer.place import InstalledPackage, place_archive
from plugin_kit.installer.resolve import Candidate, host_api_version, parse_name_ref, resolve_name
from plugin_kit.installer.stores import Store
from plugin_kit.installer.verify import (
    check_consent,
    check_manifest,
    check_sha256,
    check_signature,
    check_sums,
    read_strict,
)
from plugin_kit.signing.caps import MAX_SIGNATURE_BYTES, MAX_SUMS_BYTES

if TYPE_CHECKING:
    from plugin_kit.signing.keys import PublicKey

__all__ = [
    "InstallPlan",
    "PLACERS",
    "Placer",
    "check_store_host",
    "placer",
    "plan_install",
    "plan_candidate",
    "resolve_target",
    "run_install",
    "Target",
    "target_kind",
]

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


@dataclass
class InstallPlan:
    """What will happen, shown before anything is downloaded (and the --dry-run result)."""

    target: str
    kind: str  # "catalog" | "file" | "url"
    id: str | None
    version: str | None
    ref: str | None
    store: str
    workspace: str | None
    source: dict[str, Any]
    url: str | None
    size: int | None
    sha256: str | None
    digest: str | None
    signer_key_id: str | None  # a label only; the key is signer_public_key
    signer_public_key: str | None
    new_key: bool  # the key differs from the one plugins.lock pins, or cannot be compared
    key_change: str | None  # None | "changed" | "unpinned" (the lock pins only a key id)
    pinned_key: str | None  # what plugins.lock pins for this id (None: nothing pinned)
    runtime: str | None
    risk: str | None
    capabilities: dict[str, Any] | None
    capability_summary: str | None
    already_installed: bool = False
    replaces: str | None = None
    note: str = "will be installed disabled; grant capabilities with `plugin enable`"
    host: str | None = None  # the package's host (hosts.HOSTS key); None: a URL not read yet
    _store: Store | None = field(default=None, repr=False)
    _candidate: Candidate | None = field(default=None, repr=False)
    _pubkey: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The plan as shown (stderr, --json): URLs without credentials or query tokens."""
        shown = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        if self.kind != "file":
            shown["source"] = _shareable_source(self.source)
            shown["target"], shown["url"] = (_shareable_url(shown[k]) for k in ("target", "url"))
        return shown


def _shareable_url(value: Any) -> Any:
    return redact_url(value) if isinstance(value, str) and "://" in value else value


def _shareable_source(source: dict[str, Any]) -> dict[str, Any]:
    """A source record fit to show or commit (a workspace lock is): no URL tokens."""
    shared = dict(source)
    for key in ("url", "requested"):
        if key in shared:
            shared[key] = _shareable_url(shared[key])
    return shared


def target_kind(target: str) -> str:
    """ "url" for anything with a scheme, "file" for an archive path, else a catalog name."""
    if "://" in target:
        return "url"
    if (
        host_for_name(target) is not None
        or target.startswith((".", "/", "~"))
        or Path(target).is_file()
    ):
        return "file"
    return "catalog"


def _archive_asset(entry: dict[str, Any], place: str) -> dict[str, Any]:
    asset = archive_asset(entry)
    if asset is None:
        raise VerificationError(
            "the entry lists no plugin archive asset", rule="entry-incomplete", place=place
        )
    for key in ("url", "sha256", "size", "digest"):
        if asset.get(key) in (None, ""):
            raise VerificationError(
                f"the entry's archive asset has no {key}", rule="entry-incomplete", place=place
            )
    return asset


def _asset_url(entry: dict[str, Any], name: str, archive_url: str) -> str:
    for asset in (entry.get("source") or {}).get("assets", []):
        if isinstance(asset, dict) and asset.get("asset") == name and asset.get("url"):
            return str(asset["url"])
    return sibling_url(archive_url, name)


def _publisher_key(entry: dict[str, Any]) -> str:
    sig = entry.get("signatures") or {}
    key = sig.get("minisign_pubkey") or sig.get("public_key")
    if not isinstance(key, str):
        raise VerificationError(
            "the entry names no publisher key; unsigned packages are refused",
            rule="entry-unsigned",
            place=str(entry.get("name") or entry.get("id")),
        )
    return key


def _entry_plugin_id(entry: dict[str, Any]) -> str:
    return str(entry.get("name") or entry.get("id"))


def _key_change(old: LockEntry | None, key: PublicKey | None) -> tuple[str | None, str | None]:
    """(change, what is pinned). The whole public key is compared, never the key id alone:
    a key id is 8 bytes the key's maker chooses. A lock entry with an id and no key (edited by
    hand or in a repository) cannot be compared: "unpinned", which needs the user too."""
    if old is None or key is None:
        return None, None
    if old.public_key:
        return ("changed" if old.public_key != key.base64 else None), old.public_key
    if old.key_id:
        return "unpinned", f"key id {old.key_id} only"
    return None, None  # installed by --sha256 alone: nothing was pinned


Placer = Callable[..., InstalledPackage]
"""(archive: Path, store: Store, *, source: dict, expected_digest: str, signature: dict,
staged: StagedTree, replace: bool, carry_grants: bool, force: bool) -> InstalledPackage:
`place_archive`'s signature. Called only after every check passed, with the install's one
reading pass of the verified archive (`staged.info` says what was read, `staged.tree` holds it)."""

# How each host's packages are placed into its stores. A host without one is refused after
# every check ran and before anything is placed (host-unsupported).
PLACERS: dict[str, Placer] = {INSOMNIA.name: place_archive, YOI.name: place_archive}


def placer(host: Host) -> Placer:
    try:
        return PLACERS[host.name]
    except KeyError:
        raise InstallError(
            f"placing {host.title} packages is not supported yet",
            rule="host-unsupported",
            hint="every check passed and nothing was placed; "
            f"this version of plugin install places only: {', '.join(PLACERS)}",
        ) from None


def check_store_host(host: Host, store: Store, place: str | None) -> None:
    """A store holds one host's packages: another host's package is refused, never placed
    under a name its host would not look for."""
    if host is store.host:
        return
    raise InstallError(
        f"a {host.title} package cannot go into the {store.host.title} {store.kind} store",
        rule="host-unsupported",
        place=place or str(store.root),
        hint=f"install it into a {host.title} store; nothing was placed",
    )


def _entry_risk(entry: dict[str, Any], host: Host, place: str) -> tuple[dict[str, Any], Risk]:
    """The entry's capabilities and the risk our rule gives them; an entry whose own `risk`
    says otherwise is refused before anything is downloaded."""
    requested = entry.get("capabilities")
    requested = requested if isinstance(requested, dict) else {}
    risk = assess(requests_from(host, requested, str(entry.get("runtime") or "")))
    if entry.get("risk") != risk.level:
        raise VerificationError(
            f"the entry says risk {entry.get('risk')!r}, but what it requests is {risk.level} risk"
            f" ({risk.summary})",
            rule="consent-mismatch",
            place=place,
            hint="the catalog entry misstates what the plugin asks for; nothing was downloaded",
        )
    return requested, risk


def plan_candidate(cand: Candidate, store: Store, target: str) -> InstallPlan:
    """The plan for one catalog entry (install and upgrade share it)."""
    from plugin_kit.signing.keys import load_public_key

    entry = cand.entry
    place = f"{cand.qualified}@{cand.version}"
    asset = _archive_asset(entry, place)
    check_url(str(asset["url"]), within=cand.source.url)  # refused before the plan is shown
    pubkey = _publisher_key(entry)
    key = load_public_key(pubkey, place=f"{place} publisher key")
    requested, risk = _entry_risk(entry, cand.host, place)
    plugin_id = _entry_plugin_id(entry)
    check_store_host(cand.host, store, store.ref(plugin_id))
    src = entry.get("source") or {}
    old = read_lock(store).get(plugin_id)
    change, pinned = _key_change(old, key)
    return InstallPlan(
        target=target,
        kind="catalog",
        id=plugin_id,
        version=cand.version,
        ref=store.ref(plugin_id),
        store=store.kind,
        workspace=str(store.workspace) if store.workspace else None,
        source={
            "type": src.get("type", "url"),
            "catalog": cand.source.name,
            "catalog_id": cand.source.catalog_id,
            "catalog_serial": cand.source.last_serial,
            "repo": src.get("repo"),
            "tag": src.get("tag"),
            "asset": asset["asset"],
            "url": asset["url"],
            "requested": target,
        },
        url=str(asset["url"]),
        size=int(asset["size"]),
        sha256=str(asset["sha256"]).lower(),
        digest=str(asset["digest"]),
        signer_key_id=key.key_id,
        signer_public_key=key.base64,
        new_key=change is not None,
        key_change=change,
        pinned_key=pinned,
        runtime=str(entry.get("runtime") or ""),
        risk=risk.level,
        capabilities=requested,
        capability_summary=risk.summary,
        host=cand.host.name,
        already_installed=bool(old and old.archive_sha256 == str(asset["sha256"]).lower()),
        replaces=old.version
        if old and old.archive_sha256 != str(asset["sha256"]).lower()
        else None,
        _store=store,
        _candidate=cand,
        _pubkey=pubkey,
    )


def _plan_local(
    target: str, kind: str, store: Store, pubkey: str | None, sha256: str | None
) -> InstallPlan:
    if not pubkey and not sha256:
        raise UsageError(
            "a local file or URL needs --pubkey or --sha256",
            rule="unverified-source",
            hint="pass the publisher's key (--pubkey RW...) or the archive's --sha256",
        )
    if sha256 is not None and not _SHA256_HEX.fullmatch(sha256):
        raise UsageError(
            "--sha256 must be 64 hex digits",
            rule="sha256-format",
            place="--sha256",
            hint="pass the archive's sha256 as printed by `plugin pack` or `sha256sum`",
        )
    key = None
    if pubkey:
        from plugin_kit.signing.keys import load_public_key

        key = load_public_key(pubkey, place="--pubkey")
    plan = InstallPlan(
        target=target,
        kind=kind,
        id=None,
        version=None,
        ref=None,
        store=store.kind,
        workspace=str(store.workspace) if store.workspace else None,
        source={},
        url=None,
        size=None,
        sha256=sha256.lower() if sha256 else None,
        digest=None,
        signer_key_id=key.key_id if key else None,
        signer_public_key=key.base64 if key else None,
        new_key=False,
        key_change=None,
        pinned_key=None,
        runtime=None,
        risk=None,
        capabilities=None,
        capability_summary=None,
        _store=store,
        _pubkey=pubkey,
    )
    if kind == "file":
        path = Path(target).resolve()
        if not path.is_file():
            raise UsageError(f"no such file: {target}", rule="file-missing")
        plan.source = {"type": "file", "path": str(path), "requested": target}
        plan.size = path.stat().st_size
        info = read_strict(path, target)  # local bytes: show the manifest in the plan
        _fill_from_archive(plan, info, store)
    else:
        plan.url = target
        plan.source = {"type": "url", "url": target, "requested": target}
        named = host_for_name(_url_file_name(target))
        if named is not None:
            check_store_host(named, store, target)
        plan.host = named.name if named else None  # the bytes decide once downloaded
    return plan


def _url_file_name(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def _fill_from_archive(plan: InstallPlan, info: Any, store: Store) -> None:
    """What the package itself says: id, version, requests and risk, and the key pin."""
    from plugin_kit.catalog.risk import requests_of

    m = info.manifest
    host = info.host
    check_store_host(host, store, store.ref(m.id))
    old = read_lock(store).get(m.id)
    risk = assess(requests_of(host, m))
    plan.id, plan.version, plan.ref, plan.digest = m.id, m.version, store.ref(m.id), info.digest
    plan.host = host.name
    plan.capabilities, plan.runtime = declared_capabilities(host, m), m.runtime
    plan.risk, plan.capability_summary = risk.level, risk.summary
    plan.already_installed = bool(old and old.archive_sha256 == info.sha256)
    plan.replaces = old.version if old and not plan.already_installed else None
    key = None
    if plan._pubkey:
        from plugin_kit.signing.keys import load_public_key

        key = load_public_key(plan._pubkey, place="--pubkey")
    plan.key_change, plan.pinned_key = _key_change(old, key)
    plan.new_key = plan.key_change is not None


def plan_install(
    target: str,
    store: Store,
    *,
    host_api: str | None = None,
    pubkey: str | None = None,
    sha256: str | None = None,
    host: str | None = None,
    candidate: Candidate | None = None,
) -> InstallPlan:
    """Resolve `target` (NAME[@VERSION], FILE or URL) into a plan; downloads nothing.

    `host` (a hosts.HOSTS name) picks among catalog entries of several hosts. The plan's
    `host` is the package's; a package of another host than `store.host` is refused
    (host-unsupported) here when known, else after the download, before placing.
    `candidate`: the catalog entry `resolve_target` already found for `target` (the catalogs
    are then not loaded and verified a second time)."""
    kind = target_kind(target)
    if kind != "catalog":
        return _plan_local(target, kind, store, pubkey, sha256)
    if pubkey or sha256:
        raise UsageError(
            "--pubkey and --sha256 are for a local file or URL; catalog entries are pinned",
            rule="usage",
        )
    cand = candidate or resolve_name(
        parse_name_ref(target),
        host_api=host_api_version(host_api),
        host=get_host(host) if host else None,
    )
    return plan_candidate(cand, store, target)


@dataclass(frozen=True)
class Target:
    """What `target` names before any download: its host (None: a URL that does not say) and,
    for a catalog name, the entry it resolved to."""

    host: Host | None
    candidate: Candidate | None = None


def resolve_target(target: str, *, host_api: str | None = None, host: str | None = None) -> Target:
    """The host of what `target` names, before any download: a catalog entry's `host`, a
    file's bytes, a URL's file suffix (None when the URL does not say). For choosing the
    store to pass to `plan_install`, with the entry found (`candidate=`)."""
    kind = target_kind(target)
    if kind == "file":
        return Target(host_for_archive(Path(target), host))
    if kind == "url":
        return Target(get_host(host) if host else host_for_name(_url_file_name(target)))
    ref = parse_name_ref(target)
    chosen = get_host(host) if host else None
    cand = resolve_name(ref, host_api=host_api_version(host_api), host=chosen)
    return Target(cand.host, cand)


def _fetch_text(url: str, cap: int, within: str | None = None) -> bytes:
    return fetch_bytes(url, max_bytes=cap, within=within)


def _obtain(plan: InstallPlan, part: Path, progress: Progress | None) -> Downloaded:
    """The archive in `part` (cache.download_slot): downloaded, or a local file copied."""
    if plan.kind == "file":
        shutil.copyfile(
            plan.source["path"], part
        )  # verify the copy, so a later edit cannot slip in
        return Downloaded(part, part.stat().st_size, sha256_file(part))
    within = plan._candidate.source.url if plan._candidate else None
    return download(str(plan.url), part, expected_size=plan.size, progress=progress, within=within)


def _verify_catalog_download(plan: InstallPlan, got: Downloaded) -> dict[str, Any]:
    """The checks before the archive is read: its sha256 and size, SHA256SUMS and the archive's
    signature, all with the publisher key; the signature record to keep."""
    from plugin_kit.signing.keys import load_public_key

    cand = plan._candidate
    assert cand is not None and plan.url and plan.sha256
    place = _place_name(plan)
    asset = plan.source["asset"]
    within = cand.source.url
    check_sha256(got.sha256, got.size, expected=plan.sha256, expected_size=plan.size, place=place)
    key = load_public_key(str(plan._pubkey), place=f"{place} publisher key")
    checksum_asset = (cand.entry.get("source") or {}).get("checksum_asset") or "SHA256SUMS"
    sums_url = _asset_url(cand.entry, checksum_asset, plan.url)
    sums = _fetch_text(sums_url, MAX_SUMS_BYTES, within)
    sums_sig = _fetch_text(
        _asset_url(cand.entry, checksum_asset + ".minisig", plan.url), MAX_SIGNATURE_BYTES, within
    )
    verified_sums = check_sums(
        sums, sums_sig.decode("ascii", "replace"), key, asset=asset, sha256=got.sha256, place=place
    )
    sig_name = (cand.entry.get("signatures") or {}).get("signature_asset") or asset + ".minisig"
    sig_text = _fetch_text(
        _asset_url(cand.entry, sig_name, plan.url), MAX_SIGNATURE_BYTES, within
    ).decode("ascii", "replace")
    verified = check_signature(got.path, sig_text, key, asset=asset)
    return {
        "algorithm": "minisign-ed25519-prehashed",
        "key_id": key.key_id,
        "public_key": key.base64,
        "signed_files": [checksum_asset, asset],
        "trusted_comment": verified.trusted_comment,
        "sums_trusted_comment": verified_sums.trusted_comment,
    }


def _verify_local(plan: InstallPlan, got: Downloaded) -> dict[str, Any]:
    """--sha256 and the signature beside the file or URL (--pubkey), before the archive is
    read; the signature record to keep."""
    place = _place_name(plan)
    if plan.sha256:
        check_sha256(got.sha256, got.size, expected=plan.sha256, expected_size=None, place=place)
    signature: dict[str, Any] = {}
    if plan._pubkey:
        from plugin_kit.signing.keys import load_public_key

        key = load_public_key(plan._pubkey, place="--pubkey")
        if plan.kind == "file":
            sig_path = Path(plan.source["path"] + ".minisig")
            try:
                sig_text = read_bounded(sig_path, MAX_SIGNATURE_BYTES, what=sig_path.name).decode(
                    "ascii", "replace"
                )
            except OSError as exc:
                raise VerificationError(
                    f"no signature next to the file: {sig_path.name}",
                    rule="signature-missing",
                    place=str(sig_path),
                    hint="pass --sha256 instead",
                ) from exc
            asset = Path(plan.source["path"]).name
        else:
            sig_url = suffixed_url(str(plan.url), ".minisig")
            sig_text = _fetch_text(sig_url, MAX_SIGNATURE_BYTES).decode("ascii", "replace")
            asset = _url_file_name(str(plan.url))
        verified = check_signature(got.path, sig_text, key, asset=asset)
        signature = {
            "algorithm": "minisign-ed25519-prehashed",
            "key_id": key.key_id,
            "public_key": key.base64,
            "signed_files": [asset],
            "trusted_comment": verified.trusted_comment,
        }
    return signature


def _place_name(plan: InstallPlan) -> str:
    cand = plan._candidate
    return f"{cand.qualified}@{cand.version}" if cand else str(_shareable_url(plan.target))


def _read_planned(plan: InstallPlan, got: Downloaded, dest: Path) -> Any:
    """The install's one reading pass: the strict reader as the plan's host (an entry's
    `host`, a file's, a URL name's; the bytes' own when the plan does not know it) extracting
    into `dest` as it checks; then the bytes it read must be the verified ones, and id,
    version and digest the plan's."""
    place = _place_name(plan)
    info = read_strict(got.path, place, host=plan.host, into=dest)
    if info.sha256 != got.sha256:
        raise VerificationError(
            "the archive changed after it was verified",
            rule="archive-sha256",
            place=place,
            hint=f"verified {got.sha256}, read {info.sha256}",
        )
    check_manifest(info, plugin_id=plan.id, version=plan.version, digest=plan.digest, place=place)
    return info


def _check_key(plan: InstallPlan, accept_new_key: bool) -> None:
    if not plan.new_key or accept_new_key:
        return
    if plan.key_change == "unpinned":
        raise NeedsUserError(
            f"plugins.lock pins only the {plan.pinned_key} for {plan.id}, so the publisher key"
            f" {plan.signer_public_key} cannot be compared with it",
            rule="publisher-key-unpinned",
            place=plan.ref,
            hint="check the key with the publisher, then pass --accept-new-key to pin the whole key",
        )
    raise NeedsUserError(
        f"the publisher key of {plan.id} changed: plugins.lock pins {plan.pinned_key},"
        f" this version is signed by {plan.signer_public_key}"
        + (" (with the same key id: a key id is only a label)" if _same_id(plan) else ""),
        rule="publisher-key-changed",
        place=plan.ref,
        hint="check with the publisher, then pass --accept-new-key",
    )


def _same_id(plan: InstallPlan) -> bool:
    from plugin_kit.errors import SigningError
    from plugin_kit.signing.keys import load_public_key

    try:
        return load_public_key(str(plan.pinned_key)).key_id == plan.signer_key_id
    except SigningError:
        return False


def _shown(plan: InstallPlan) -> tuple[dict[str, Any], str, str] | None:
    """What the plan showed the user about requests, if it showed anything (a URL's plan cannot)."""
    if plan.capabilities is None or plan.risk is None:
        return None
    return dict(plan.capabilities), str(plan.runtime or ""), plan.risk


def run_install(
    plan: InstallPlan,
    *,
    accept_new_key: bool = False,
    allow_replace: bool = False,
    progress: Progress | None = None,
    action: str = "install",
    carry_grants: bool = False,
    confirm: Callable[[InstallPlan], None] | None = None,
    force: bool = False,
) -> InstalledPackage:
    """Download, verify and place what `plan` describes; every outcome is audited.

    The package must ask for exactly what the plan showed (capabilities, runtime, risk), else
    nothing is placed (consent-mismatch). `confirm`, if given, is called after every check
    passed and before anything is placed, with the plan filled from the verified manifest
    (a URL's plan knows its requests only then); raising from it stops the install. The
    checks against the plan's view of the store are repeated under the store lock when
    placing, so a concurrent install of another version is refused, not replaced.
    `force` (`plugin install --force`) fetches, verifies and places the installed version
    again: the repair for a damaged store file or cache tree; grants are kept."""
    store = plan._store
    assert store is not None
    fields = {
        "ref": plan.ref,
        "version": plan.version,
        "catalog": plan.source.get("catalog"),
        "key_id": plan.signer_key_id,
        "public_key": plan.signer_public_key,
        "source": plan.source.get("type"),
    }
    # The download's part, then the staged tree (renamed into the cache when placed): what is
    # left of them is removed, and their locks released, when the install ends.
    staging = ExitStack()
    try:
        _check_key(plan, accept_new_key)
        if plan.replaces and not allow_replace:
            raise UsageError(
                f"{plan.ref} {plan.replaces} is installed",
                rule="already-installed",
                hint=f"use `plugin upgrade {plan.ref}` to move to {plan.version}",
            )
        clean_downloads()
        got = _obtain(plan, staging.enter_context(download_slot()), progress)
        shown = _shown(plan)
        verify = _verify_catalog_download if plan.kind == "catalog" else _verify_local
        signature = verify(plan, got)
        staged: StagedTree = staging.enter_context(
            staged_tree(lambda dest: _read_planned(plan, got, dest))
        )
        info = staged.info
        if plan.kind != "catalog":
            if plan.host is None:  # a URL that did not say: its bytes name the host's store
                plan._store = store = store.for_host(info.host)
            _fill_from_archive(plan, info, store)
            fields.update(ref=plan.ref, version=plan.version)
            _check_key(plan, accept_new_key)
            if plan.replaces and not allow_replace:
                raise UsageError(
                    f"{plan.ref} {plan.replaces} is installed",
                    rule="already-installed",
                    hint=f"use `plugin upgrade {plan.ref}`, or uninstall it first",
                )
        if shown is not None:
            check_consent(info, *shown, place=str(plan.ref or plan.target))
        check_store_host(info.host, store, plan.ref)
        place = placer(info.host)  # refused before the user is asked to confirm
        if confirm is not None:
            confirm(plan)
        source = {k: v for k, v in plan.source.items() if v is not None}
        if plan.kind != "file":
            source = _shareable_source(source)
        if plan.kind == "url" and signature.get("key_id"):
            source["sha256"] = info.sha256
        installed = place(
            got.path,
            store,
            source=source,
            expected_digest=info.digest,
            signature=signature,
            staged=staged,
            replace=allow_replace,
            carry_grants=carry_grants,
            force=force,
        )
    except PluginKitError as err:
        audit(
            action,
            outcome="refused" if err.exit_code in (3, 4) else "failed",
            rule=err.rule,
            reason=err.message,
            **fields,
        )
        raise
    except OSError as exc:
        audit(action, outcome="failed", reason=exc.strerror, **fields)
        raise InstallError(
            f"install failed: {exc.strerror}",
            rule="install-io",
            place=getattr(exc, "filename", None),
        ) from exc
    finally:
        staging.close()
    audit(
        action,
        outcome="ok",
        digest=installed.content_digest,
        previous=installed.previous_version,
        **{**fields, "ref": installed.ref, "version": installed.version},
    )
    return installed
