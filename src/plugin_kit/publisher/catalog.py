"""catalog/extensions.json: entries made from real releases, merged, rendered and signed.

Determinism is the contract: the same catalog and the same entries give the same bytes.
`serial`, `generated_at` and `expires_at` change only when the content changes (or on an
explicit refresh), so a re-run of publish or `catalog build` writes and commits nothing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plugin_kit.catalog.model import (
    CATALOG_NAME,
    CHECKSUM_ASSET,
    SCHEMA_URL,
    archive_asset,
    dump_catalog,
    entry_host,
    load_catalog_bytes,
)
from plugin_kit.catalog.risk import Requests, assess, declared_capabilities, requests_from
from plugin_kit.errors import PublishError
from plugin_kit.hosts import INSOMNIA, YOI

if TYPE_CHECKING:
    from plugin_kit.packer.reader import ArchiveInfo
    from plugin_kit.signing.keys import PublicKey, SecretKey

__all__ = [
    "CATALOG_NAME",
    "CHECKSUM_ASSET",
    "DEFAULT_TTL",
    "SCHEMA_URL",
    "CatalogWrite",
    "asset_url",
    "catalog_signature_comment",
    "check_catalog_version",
    "dump_catalog",
    "entry_for_release",
    "load_catalog_bytes",
    "merge_entries",
    "release_title",
    "write_signed_catalog",
]

# Long enough that a plugin repository that releases twice a year stays installable; a
# scheduled `plugin catalog build --refresh` renews it. Consumers refuse expired catalogs.
DEFAULT_TTL = timedelta(days=90)
PROTOCOLS = {"hooks": "hooks", "wasm": "wasi_preview1", "mcp": "mcp_stdio"}
# Dispatch's `protocol` for a Yoi package: a WebAssembly component run in one of the host's worlds.
YOI_PROTOCOL = "wasm_component"
# Fields that describe the catalog rather than its content: they never make it "changed".
_VOLATILE = ("serial", "generated_at", "expires_at")


def asset_url(base_url: str, tag: str, asset: str) -> str:
    """`<base>/releases/download/<tag>/<asset>`: GitHub's layout, which `dir:` targets copy."""
    from urllib.parse import quote

    return f"{base_url.rstrip('/')}/releases/download/{quote(tag)}/{quote(asset)}"


def _json_clean(value: Any) -> Any:
    # TOML can hold dates; a catalog is JSON. Round-tripping also deep-copies.
    return json.loads(json.dumps(value, default=str))


def _requirements(requests: Requests) -> dict[str, list[str]]:
    return {
        "secrets": list(requests.secrets),
        "optional_secrets": [],
        "network_domains": sorted({n.host for n in requests.network if n.host}),
        "platforms": [],
    }


def _insomnia_fields(manifest: Any) -> dict[str, Any]:
    return {
        "display_name": manifest.display_name or manifest.id,
        "protocol": PROTOCOLS.get(manifest.runtime, manifest.runtime),
        "keywords": list(manifest.keywords),
        "license": manifest.license,
        "authors": list(manifest.authors),
        "homepage": manifest.repository,
        "api": manifest.api,
    }


def _yoi_fields(manifest: Any) -> dict[str, Any]:
    # Only Yoi entries name their host: Insomnia entries stay as older catalogs wrote them.
    return {
        "host": YOI.name,
        "display_name": manifest.name or manifest.id,
        "protocol": YOI_PROTOCOL,
        "keywords": [],
        "world": manifest.world,
    }


# What each host's manifest says about itself, in the entry's descriptive fields.
_HOST_FIELDS = {INSOMNIA.name: _insomnia_fields, YOI.name: _yoi_fields}


def _host_fields(info: ArchiveInfo) -> dict[str, Any]:
    return _HOST_FIELDS[info.host.name](info.manifest)


def check_catalog_version(info: ArchiveInfo) -> None:
    """A catalog orders versions by SemVer; Yoi itself accepts any non-blank version string."""
    from plugin_kit.validators.versions import VersionRangeError

    try:
        _version_key(info.manifest.version)
    except VersionRangeError:
        raise PublishError(
            f"version {info.manifest.version!r} is not SemVer, so a catalog cannot order it",
            rule="publish.version-not-semver",
            place=str(info.path),
            hint="use a version such as 1.2.3 in plugin.toml and pack again",
        ) from None


def release_title(info: ArchiveInfo) -> str:
    """`<display name> <version>`: a release's title on GitHub."""
    return f"{_host_fields(info)['display_name']} {info.manifest.version}"


def _assets(
    info: ArchiveInfo, names: list[str], urls: Mapping[str, str], facts: Mapping[str, Any]
) -> list[dict[str, Any]]:
    out = []
    for name in sorted(names):
        item: dict[str, Any] = {"asset": name, "url": urls[name]}
        if name == info.path.name:
            item.update(size=info.size, sha256=info.sha256, digest=info.digest)
        elif name in facts:
            item.update(size=int(facts[name].size), sha256=str(facts[name].sha256))
        out.append(item)
    return out


def entry_for_release(
    info: ArchiveInfo,
    *,
    tag: str,
    urls: Mapping[str, str],
    public_key: PublicKey | str,
    key_id: str | None = None,
    repo: str | None = None,
    assets: Sequence[Any] = (),
) -> dict[str, Any]:
    """The catalog entry for one archive of a release, from what the release really holds.

    `info` is the strict reader's ArchiveInfo; `urls` maps asset names to their download
    URLs as the target returned them (it must hold the archive, `<archive>.minisig` and
    SHA256SUMS); `assets` (objects with name, size, sha256) adds size and sha256 for the
    small assets. `repo` makes the source a github_release, else a plain url source."""
    from plugin_kit.signing.keys import load_public_key

    manifest = info.manifest
    archive = info.path.name
    key = load_public_key(public_key) if isinstance(public_key, str) else public_key
    if key_id is not None and key_id != key.key_id:
        raise PublishError(
            f"key id {key_id} does not belong to public key {key.key_id}", rule="catalog.key-id"
        )
    wanted = [archive, archive + ".minisig", CHECKSUM_ASSET, CHECKSUM_ASSET + ".minisig"]
    missing = [n for n in wanted[:3] if n not in urls]
    if missing:
        raise PublishError(
            f"the release lacks {', '.join(missing)}",
            rule="catalog.asset-missing",
            place=tag,
            hint="a release holds the archive, its .minisig, SHA256SUMS and SHA256SUMS.minisig",
        )
    caps = declared_capabilities(info.host, manifest)
    requests = requests_from(info.host, caps, manifest.runtime)
    gov = assess(requests)
    signatures = {"minisign_pubkey": key.base64, "key_id": key.key_id, "signature_asset": wanted[1]}
    if wanted[3] in urls:
        signatures["checksum_signature_asset"] = wanted[3]
    source: dict[str, Any] = {"type": "github_release" if repo else "url", "tag": tag}
    if repo:
        source["repo"] = repo
    source["checksum_asset"] = CHECKSUM_ASSET
    source["assets"] = _assets(
        info, [n for n in wanted if n in urls], urls, {a.name: a for a in assets}
    )
    return {
        "name": manifest.id,
        "kind": "plugin",
        "version": manifest.version,
        "description": manifest.description,
        "protocol_version": 1,
        # The manifest travels inside the signed, hashed archive: that is the one to trust.
        "manifest_url": urls[archive],
        "tags": [manifest.runtime, gov.level + "-risk"],
        "install_hint": f"plugin install {manifest.id}",
        "auth": {"method": "manual" if requests.secrets else "none"},
        "requirements": _requirements(requests),
        **_host_fields(info),
        "runtime": manifest.runtime,
        "capabilities": caps,
        **gov.to_dict(),
        "source": source,
        "signatures": signatures,
    }


def _version_key(version: str) -> Any:
    from plugin_kit.validators.versions import parse_version

    return parse_version(version)


def _archive_sha(record: Mapping[str, Any]) -> str | None:
    asset = archive_asset(record)
    return str(asset["sha256"]) if asset and "sha256" in asset else None


def _versions_of(entry: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    if entry is None:
        return {}
    current = {k: v for k, v in entry.items() if k not in ("id", "releases")}
    out = {rel["version"]: dict(rel) for rel in entry.get("releases", [])}
    out[current["version"]] = current
    return out


def _add_version(versions: dict[str, dict[str, Any]], new: dict[str, Any]) -> None:
    hosts = {entry_host(v) for v in versions.values()}
    if hosts and entry_host(new) not in hosts:
        (other,) = hosts
        raise PublishError(
            f"{new['name']} is already in the catalog as a {other.title} plugin",
            rule="catalog.name-taken",
            place=f"{new['name']}@{new['version']}",
            hint=f"a name means one plugin in a catalog, whatever its host: give the "
            f"{entry_host(new).title} plugin another id, or publish it to another catalog",
        )
    old = versions.get(new["version"])
    if old is not None and _archive_sha(old) != _archive_sha(new):
        raise PublishError(
            f"{new['name']} {new['version']} is already in the catalog with other archive bytes",
            rule="catalog.version-changed",
            place=f"{new['name']}@{new['version']}",
            hint="a published version never changes: bump the version in plugin.toml and release again",
        )
    versions[new["version"]] = new


def _assemble(name: str, catalog_id: str, versions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The newest stable version is current (the newest pre-release if none is stable)."""
    order = sorted(versions, key=_version_key, reverse=True)
    stable = [v for v in order if not _version_key(v).prerelease]
    current_version = (stable or order)[0]
    current = versions[current_version]
    releases = []
    for v in order:
        if v != current_version:
            rel = {k: val for k, val in versions[v].items() if k not in ("id", "name", "releases")}
            releases.append(rel)
    return {**current, "id": f"{catalog_id}.{name}", "name": name, "releases": releases}


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_entries(
    catalog: Mapping[str, Any] | None,
    entries: Iterable[Mapping[str, Any]],
    *,
    catalog_id: str,
    repository: str | None = None,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
    refresh: bool = False,
) -> dict[str, Any]:
    """Merge release entries into `catalog` (None: a new one) and return the new document.

    A newer version becomes current and the previous one moves to `releases`; an older one
    joins `releases`; the same version with other archive bytes is refused. If the content
    is unchanged (and not `refresh`), the old document comes back as it was. Otherwise
    `serial` becomes max(old + 1, unix time), so it grows even across a rebuild from scratch."""
    from plugin_kit.catalog.validate import validate_catalog

    old = copy.deepcopy(dict(catalog)) if catalog is not None else None
    if old is not None:
        validate_catalog(old)  # a broken catalog is reported, never merged into or replaced
    if old is not None and old.get("catalog_id") != catalog_id:
        raise PublishError(
            f"the catalog's id is {old.get('catalog_id')!r}, not {catalog_id!r}",
            rule="catalog.id-changed",
            hint="consumers pin catalog_id; publish to the catalog under its own id",
        )
    by_name = {e["name"]: _versions_of(e) for e in (old or {}).get("entries", [])}
    for entry in entries:
        _add_version(by_name.setdefault(entry["name"], {}), _json_clean(entry))
    content = {
        # Top-level fields the schema allows but we do not manage stay as their author left them.
        **{k: v for k, v in (old or {}).items() if k not in _VOLATILE},
        "schema": SCHEMA_URL,
        "catalog_id": catalog_id,
        "repository": repository if repository is not None else (old or {}).get("repository", ""),
        "entries": [_assemble(n, catalog_id, v) for n, v in sorted(by_name.items())],
    }
    if (
        old is not None
        and not refresh
        and {k: v for k, v in old.items() if k not in _VOLATILE} == content
    ):
        return old
    when = now or datetime.now(UTC)
    serial = max(int((old or {}).get("serial", 0)) + 1, int(when.timestamp()))
    return {
        **content,
        "serial": serial,
        "generated_at": _stamp(when),
        "expires_at": _stamp(when + ttl),
    }


def catalog_signature_comment(doc: Mapping[str, Any]) -> str:
    """Names file, catalog_id and serial; the timestamp is generated_at, so the same catalog
    and key always give the same signature bytes."""
    from plugin_kit.signing.signatures import trusted_comment_for

    stamp = int(
        datetime.strptime(doc["generated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    )
    return trusted_comment_for(
        CATALOG_NAME, timestamp=stamp, catalog_id=doc["catalog_id"], serial=str(doc["serial"])
    )


@dataclass(frozen=True)
class CatalogWrite:
    path: Path
    signature_path: Path
    serial: int
    changed: bool
    entries: list[str]

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "signature": str(self.signature_path),
            "serial": self.serial,
            "changed": self.changed,
            "entries": self.entries,
        }


def _signature_ok(data: bytes, sig_path: Path, key: SecretKey) -> bool:
    from plugin_kit.errors import SigningError
    from plugin_kit.signing.signatures import verify_bytes

    try:
        verify_bytes(data, sig_path.read_text("ascii"), key.public_key)
    except (OSError, UnicodeDecodeError, SigningError):
        return False
    return True


def write_signed_catalog(path: Path, doc: Mapping[str, Any], key: SecretKey) -> CatalogWrite:
    """Validate, then write `path` and `path.minisig` atomically; files already holding these
    bytes with a valid signature are left alone (no new mtime, nothing to commit)."""
    from plugin_kit.catalog.validate import validate_catalog
    from plugin_kit.fsio import write_atomic
    from plugin_kit.signing.signatures import sign_bytes

    validate_catalog(dict(doc))
    data = dump_catalog(doc)
    sig_path = path.with_name(path.name + ".minisig")
    entries = [f"{e['name']} {e['version']}" for e in doc["entries"]]
    try:
        current = path.read_bytes() if path.is_file() else None
        if current == data and _signature_ok(data, sig_path, key):
            return CatalogWrite(path, sig_path, doc["serial"], False, entries)
        path.parent.mkdir(parents=True, exist_ok=True)
        signature = sign_bytes(data, key, trusted_comment=catalog_signature_comment(doc))
        write_atomic(path, data)
        write_atomic(sig_path, signature.encode("ascii"))
    except OSError as exc:
        raise PublishError(
            f"cannot write the catalog: {exc.strerror or exc}",
            rule="catalog.write",
            place=str(path),
        ) from exc
    return CatalogWrite(path, sig_path, doc["serial"], True, entries)
