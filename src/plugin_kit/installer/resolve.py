"""Names to catalog entries: parse `[catalog/]name[@version]`, pick the highest compatible version.

A name found in two catalogs fails closed (naming `catalog/name` for each), unless `host`
picks one; an unknown name suggests close ones. An entry's host is its `host` field
(catalog/model.py `entry_host`); whether a version can run is asked per host (`compatible`).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plugin_kit.catalog.model import entry_host, entry_versions
from plugin_kit.errors import InstallError, UsageError, VerificationError
from plugin_kit.hosts import INSOMNIA, YOI, Host
from plugin_kit.installer.catalogs import (
    CatalogSource,
    load_catalog,
    registry,
)
from plugin_kit.installer.paths import config_dir

__all__ = [
    "HOST_API_VERSION",
    "host_api_version",
    "NameRef",
    "parse_name_ref",
    "Candidate",
    "compatible",
    "resolve_name",
    "all_names",
    "suggest",
]

# The plugin API this toolchain's host speaks; config `[host] api_version` or --host-api override it.
HOST_API_VERSION = "1.0.0"
_REF = re.compile(
    r"(?:(?P<catalog>[a-z0-9][a-z0-9._-]*)/)?(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"
    r"(?:@(?P<version>[0-9A-Za-z.+-]+))?"
)


def host_api_version(flag: str | None = None) -> str:
    if flag:
        return flag
    if os.environ.get("INSOMNIA_HOST_API"):
        return os.environ["INSOMNIA_HOST_API"]
    try:
        doc = tomllib.loads((config_dir() / "config.toml").read_text("utf-8"))
        return str(doc["host"]["api_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return HOST_API_VERSION


@dataclass(frozen=True)
class NameRef:
    catalog: str | None
    name: str
    version: str | None

    def __str__(self) -> str:
        text = f"{self.catalog}/{self.name}" if self.catalog else self.name
        return f"{text}@{self.version}" if self.version else text


def parse_name_ref(text: str) -> NameRef:
    m = _REF.fullmatch(text.strip())
    if not m:
        raise UsageError(
            f"{text!r} is not a plugin name",
            rule="ref-syntax",
            hint="use NAME, NAME@VERSION or CATALOG/NAME[@VERSION]",
        )
    return NameRef(m["catalog"], m["name"], m["version"])


@dataclass
class Candidate:
    """One catalog entry at one version, with where it came from."""

    source: CatalogSource
    entry: dict[str, Any]
    versions: list[str]

    @property
    def version(self) -> str:
        return str(self.entry["version"])

    @property
    def qualified(self) -> str:
        return f"{self.source.name}/{self.entry.get('name') or self.entry['id']}"

    @property
    def host(self) -> Host:
        return entry_host(self.entry)


def _matches(entry: Any, name: str, host: Host | None = None) -> bool:
    return (
        isinstance(entry, dict)
        and name in (entry.get("name"), entry.get("id"))
        and (host is None or entry_host(entry) is host)
    )


def _sort_key(version: str) -> Any:
    from plugin_kit.validators.versions import parse_version

    return parse_version(version)


def _api_compatible(entry: dict[str, Any], host_api: str) -> bool:
    """Insomnia: the entry's host-API range admits this host's plugin API."""
    from plugin_kit.validators.versions import VersionRangeError, range_matches

    try:
        return range_matches(str(entry.get("api") or ""), host_api)
    except VersionRangeError:
        return False


def _yoi_worlds() -> tuple[str, ...]:
    from plugin_kit.validators.yoi_manifest import WORLDS

    return tuple(WORLDS)


def _world_compatible(entry: dict[str, Any], _host_api: str) -> bool:
    """Yoi: the package's component world is one the host runs (plugin.rs, b12e0785)."""
    return entry.get("world") in _yoi_worlds()


@dataclass(frozen=True)
class _Fit:
    check: Callable[[dict[str, Any], str], bool]  # (entry, host_api) -> can the host load it
    offers: Callable[[str], str]  # host_api -> what the host runs, for messages


_FITS = {
    INSOMNIA.name: _Fit(_api_compatible, lambda api: f"host API {api}"),
    YOI.name: _Fit(_world_compatible, lambda _api: "the worlds " + " and ".join(_yoi_worlds())),
}


def compatible(entry: dict[str, Any], host_api: str) -> bool:
    """Can the entry's host load this version? (`host_api` is Insomnia's plugin API version.)"""
    return _FITS[entry_host(entry).name].check(entry, host_api)


def _pick(
    versions: list[dict[str, Any]], ref: NameRef, host_api: str, place: str
) -> dict[str, Any]:
    from plugin_kit.validators.versions import VersionRangeError

    usable = []
    for v in versions:
        try:
            _sort_key(str(v.get("version")))
        except VersionRangeError:
            continue
        usable.append(v)
    if ref.version:
        exact = [v for v in usable if v["version"] == ref.version]
        if not exact:
            raise InstallError(
                f"{place} has no version {ref.version}",
                rule="version-unknown",
                hint="available: " + ", ".join(v["version"] for v in usable),
            )
        if not compatible(exact[0], host_api):
            raise InstallError(
                f"{place}@{ref.version} needs {_needs(exact[0])}, this host runs {_runs(exact[0], host_api)}",
                rule="api-incompatible",
            )
        return exact[0]
    fit = [v for v in usable if compatible(v, host_api) and not _sort_key(v["version"]).prerelease]
    if not fit:
        raise InstallError(
            f"no version of {place} works with {_runs(versions[0], host_api)}",
            rule="api-incompatible",
            hint="available: " + ", ".join(f"{v['version']} ({_needs(v)})" for v in usable),
        )
    return max(fit, key=lambda v: _sort_key(v["version"]))


def _needs(entry: dict[str, Any]) -> str:
    """What a version needs of its host, as said in messages."""
    return str(entry.get("world") or f"host API {entry.get('api')}")


def _runs(entry: dict[str, Any], host_api: str) -> str:
    """What the entry's host offers, as said in messages."""
    return _FITS[entry_host(entry).name].offers(host_api)


def all_names(sources: list[CatalogSource]) -> list[str]:
    from plugin_kit.installer.catalogs import search_index

    return sorted({row["name"] or row["id"] for row in search_index(sources)})


def suggest(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    return f"did you mean: {', '.join(close)}?" if close else "search with `plugin search`"


def resolve_name(ref: NameRef, *, host_api: str, host: Host | None = None) -> Candidate:
    """The single catalog entry `ref` names (of `host`, when given), at the highest version
    its host can load."""
    sources = registry()
    if ref.catalog:
        if ref.catalog not in sources:
            raise UsageError(
                f"no catalog named {ref.catalog!r}",
                rule="catalog-unknown",
                hint="see `plugin catalog ls`",
            )
        sources = {ref.catalog: sources[ref.catalog]}
    if not sources:
        raise UsageError(
            "no catalogs are registered",
            rule="no-catalogs",
            hint="add one with `plugin catalog add URL`",
        )
    hits = []
    for src in sources.values():
        loaded = load_catalog(src)
        hits.extend((src, e) for e in loaded.doc.get("entries", []) if _matches(e, ref.name, host))
    if not hits:
        of = f" {host.title}" if host else ""
        raise InstallError(
            f"no{of} plugin named {ref.name!r} in {', '.join(sorted(sources))}",
            rule="name-unknown",
            hint=suggest(ref.name, all_names(list(sources.values()))),
        )
    if len(hits) > 1:
        names = ", ".join(sorted(f"{s.name}/{e.get('name') or e['id']}" for s, e in hits))
        raise UsageError(
            f"{ref.name!r} is in more than one catalog: {names}",
            rule="name-ambiguous",
            hint="name the catalog: plugin install CATALOG/NAME",
        )
    src, entry = hits[0]
    if src.to_dict()["expired"]:  # `refresh --allow-expired` keeps it for search, never install
        raise VerificationError(
            f"catalog {src.name!r} expired at {src.expires_at}",
            rule="catalog-expired",
            place=src.name,
            hint=f"run `plugin catalog refresh {src.name}` once the publisher has re-signed it",
        )
    versions = entry_versions(entry)
    chosen = _pick(versions, ref, host_api, f"{src.name}/{ref.name}")
    return Candidate(src, chosen, [str(v.get("version")) for v in versions])
