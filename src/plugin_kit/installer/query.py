"""`search` and `show`: offline, from the verified catalog cache."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from plugin_kit.catalog.model import archive_asset, entry_host, entry_versions
from plugin_kit.catalog.risk import assess, requests_from
from plugin_kit.errors import InstallError, UsageError
from plugin_kit.hosts import INSOMNIA, get_host
from plugin_kit.installer.catalogs import (
    CatalogSource,
    load_catalog,
    no_catalogs,
    registry,
    search_index,
)
from plugin_kit.installer.resolve import compatible, host_api_version, parse_name_ref, suggest

__all__ = ["search", "show", "SearchHit", "ShowResult"]


@dataclass
class SearchHit:
    catalog: str
    id: str
    name: str
    version: str
    runtime: str
    display_name: str
    description: str
    host: str  # the entry's host (hosts.HOSTS key)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sources(catalog: str | None) -> list[CatalogSource]:
    sources = registry()
    if catalog is not None:
        if catalog not in sources:
            raise UsageError(
                f"no catalog named {catalog!r}",
                rule="catalog-unknown",
                hint="see `plugin catalog ls`",
            )
        return [sources[catalog]]
    if not sources:
        raise no_catalogs()
    return list(sources.values())


def search(
    query: str = "",
    *,
    runtime: str | None = None,
    catalog: str | None = None,
    host: str | None = None,
) -> list[SearchHit]:
    """Case-insensitive substring match over id, name, display name, description and keywords;
    `runtime` and `host` (a hosts.HOSTS name) narrow it."""
    needle = query.lower().strip()
    wanted = get_host(host).name if host else None
    hits = []
    for row in search_index(_sources(catalog), needle):
        # An index written before rows carried a host lists Insomnia entries only.
        row_host = str(row.get("host") or INSOMNIA.name)
        if runtime and row.get("runtime") != runtime:
            continue
        if wanted and row_host != wanted:
            continue
        if needle and needle not in row.get("text", ""):
            continue
        hits.append(
            SearchHit(
                row["catalog"],
                row["id"],
                row["name"] or row["id"],
                row["version"],
                row["runtime"],
                row["display_name"],
                row["description"],
                row_host,
            )
        )
    hits.sort(key=lambda h: (h.name != needle, h.name, h.catalog))
    return hits


@dataclass
class ShowResult:
    catalog: str
    catalog_id: str
    id: str
    name: str
    host: str  # the entry's host (hosts.HOSTS key)
    display_name: str
    description: str
    version: str
    runtime: str
    api: str  # Insomnia: the host-API range ("" for Yoi)
    world: str  # Yoi: the component world ("" for Insomnia)
    size: int | None
    sha256: str | None
    digest: str | None
    signer_key_id: str | None  # a label; the key is signer_public_key
    signer_public_key: str | None
    risk: str  # by our rule, from the entry's capabilities and runtime
    claimed_risk: str | None  # what the entry says; install refuses the entry if they differ
    capabilities: dict[str, Any]
    capability_summary: str
    source: dict[str, Any]
    versions: list[dict[str, Any]] = field(default_factory=list)
    catalog_expired: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def show(text: str, *, host_api: str | None = None, host: str | None = None) -> ShowResult:
    """Everything about one entry (at @VERSION, else the newest) without touching the network;
    `host` (a hosts.HOSTS name) picks among entries of several hosts."""
    from plugin_kit.validators.versions import VersionRangeError, parse_version

    ref = parse_name_ref(text)
    api = host_api_version(host_api)
    wanted = get_host(host) if host else None
    hits = []
    sources = _sources(ref.catalog)
    for src in sources:
        doc = load_catalog(src).doc
        hits.extend(
            (src, e)
            for e in doc.get("entries", [])
            if isinstance(e, dict)
            and ref.name in (e.get("name"), e.get("id"))
            and (wanted is None or entry_host(e) is wanted)
        )
    if not hits:
        names = sorted({r["name"] or r["id"] for r in search_index(sources)})
        of = f" {wanted.title}" if wanted else ""
        raise InstallError(
            f"no{of} plugin named {ref.name!r}", rule="name-unknown", hint=suggest(ref.name, names)
        )
    if len(hits) > 1:
        raise UsageError(
            f"{ref.name!r} is in more than one catalog: "
            + ", ".join(sorted(f"{s.name}/{e.get('name') or e['id']}" for s, e in hits)),
            rule="name-ambiguous",
            hint="name the catalog: CATALOG/NAME",
        )
    src, entry = hits[0]
    versions = entry_versions(entry)
    chosen = (
        next((v for v in versions if v.get("version") == ref.version), None)
        if ref.version
        else versions[0]
    )
    if chosen is None:
        raise InstallError(
            f"{src.name}/{ref.name} has no version {ref.version}",
            rule="version-unknown",
            hint="available: " + ", ".join(str(v.get("version")) for v in versions),
        )

    def order(v: dict[str, Any]) -> Any:
        try:
            return parse_version(str(v.get("version")))
        except VersionRangeError:
            return parse_version("0.0.0")

    asset = archive_asset(chosen) or {}
    found = entry_host(chosen)
    requested = chosen.get("capabilities")
    requested = requested if isinstance(requested, dict) else {}
    risk = assess(requests_from(found, requested, str(chosen.get("runtime") or "")))
    signatures = chosen.get("signatures") or {}
    return ShowResult(
        catalog=src.name,
        catalog_id=src.catalog_id,
        id=str(chosen.get("id")),
        name=str(chosen.get("name")),
        host=found.name,
        display_name=str(chosen.get("display_name") or ""),
        description=str(chosen.get("description") or ""),
        version=str(chosen.get("version")),
        runtime=str(chosen.get("runtime") or ""),
        api=str(chosen.get("api") or ""),
        world=str(chosen.get("world") or ""),
        size=asset.get("size"),
        sha256=asset.get("sha256"),
        digest=asset.get("digest"),
        signer_key_id=signatures.get("key_id"),
        signer_public_key=signatures.get("minisign_pubkey"),
        risk=risk.level,
        claimed_risk=chosen.get("risk"),
        capabilities=requested,
        capability_summary=risk.summary,
        source={k: v for k, v in (chosen.get("source") or {}).items() if k != "assets"},
        versions=[
            {"version": v.get("version"), "api": v.get("api"), "compatible": compatible(v, api)}
            for v in sorted(versions, key=order, reverse=True)
        ],
        catalog_expired=src.to_dict()["expired"],
    )
