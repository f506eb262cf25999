"""extensions.json as both sides read it: the signed bytes, loading, an entry's versions and asset.

The publisher writes catalogs and the installer reads them; `signing.check` verifies one
without knowing either. The JSON Schema and the rules a schema cannot say are in
catalog/validate.py; what an entry's `capabilities` and `risk` mean is in catalog/risk.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from plugin_kit.errors import ValidationError
from plugin_kit.hosts import HOSTS, INSOMNIA, Host

__all__ = [
    "CATALOG_NAME",
    "CHECKSUM_ASSET",
    "SCHEMA_URL",
    "archive_asset",
    "catalog_summary",
    "dump_catalog",
    "entry_host",
    "entry_versions",
    "load_catalog_bytes",
]

SCHEMA_URL = "https://insomnia-plugin-kit.github.io/schemas/plugin-catalog.v1.json"
CATALOG_NAME = "extensions.json"
CHECKSUM_ASSET = "SHA256SUMS"


def dump_catalog(doc: Mapping[str, Any]) -> bytes:
    """Sorted keys, 2-space indent, UTF-8, one trailing newline: the bytes that get signed."""
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def load_catalog_bytes(data: bytes, *, place: str = CATALOG_NAME) -> dict[str, Any]:
    """Parse and validate a catalog; a broken one is an error, never silently replaced."""
    from plugin_kit.catalog.validate import validate_catalog

    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ValidationError(
            f"the catalog is not JSON ({exc})", rule="catalog.not-json", place=place
        ) from exc
    if not isinstance(doc, dict):
        raise ValidationError(
            "the catalog is not a JSON object", rule="catalog.not-json", place=place
        )
    validate_catalog(doc)
    return doc


def catalog_summary(data: bytes, place: str = CATALOG_NAME) -> dict[str, object]:
    """Id, serial, dates and entry count of a valid catalog (what `plugin verify` prints)."""
    doc = load_catalog_bytes(data, place=place)
    keys = ("catalog_id", "serial", "generated_at", "expires_at")
    return {**{k: doc[k] for k in keys}, "entries": len(doc["entries"])}


def entry_versions(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The entry's current version and its older `releases`, each a full entry."""
    base = {k: v for k, v in entry.items() if k != "releases"}
    out = [base]
    for rel in entry.get("releases") or []:
        if (
            isinstance(rel, dict)
            and rel.get("version")
            and rel.get("version") != base.get("version")
        ):
            out.append({**base, **rel})
    return out


def entry_host(entry: Mapping[str, Any]) -> Host:
    """The host an entry (or release) is for: its `host` field; absent means Insomnia, so
    catalogs written before Yoi entries existed keep their meaning. An unknown name (only
    in a catalog the schema has not checked) is Insomnia too, whose rules then refuse it."""
    return HOSTS.get(str(entry.get("host") or INSOMNIA.name), INSOMNIA)


def archive_asset(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """The asset of an entry (or release) that is a plugin archive of the entry's host, if any."""
    suffix = entry_host(entry).suffix
    source = entry.get("source")
    assets = source.get("assets") if isinstance(source, dict) else None
    for asset in assets if isinstance(assets, list) else []:
        if isinstance(asset, dict) and str(asset.get("asset", "")).endswith(suffix):
            return asset
    return None
