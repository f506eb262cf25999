"""catalog/extensions.json: the shipped JSON Schema, then the rules a schema cannot say.

It sits in the catalog layer, above signing, because some rules parse the publisher keys an
entry names; the schema itself ships with the validators (validators/schemas/).

Every problem is collected (with its field path, e.g. `entries[2].source.assets[0].sha256`)
and raised once as a ValidationError, so a catalog author sees the whole list at once.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from plugin_kit.catalog.model import entry_host
from plugin_kit.errors import ValidationError
from plugin_kit.hosts import Host
from plugin_kit.links import docs_url
from plugin_kit.validators.problems import Problem, field_path, schema_message
from plugin_kit.validators.schemacheck import schema_errors

__all__ = ["catalog_problems", "catalog_schema", "validate_catalog"]

_PLACE = "extensions.json"


@lru_cache(maxsize=1)
def _schema_text() -> str:
    from importlib.resources import files

    return files("plugin_kit.validators").joinpath("schemas/catalog.schema.json").read_text("utf-8")


def catalog_schema() -> dict[str, Any]:
    return json.loads(_schema_text())


def _problem(rule: str, message: str, field: str, phase: str = "semantic") -> Problem:
    return Problem(
        rule, message, file=_PLACE, field=field, phase=phase, hint=f"See {docs_url('catalog.md')}."
    )


def _schema_problems(doc: Any) -> list[Problem]:
    from plugin_kit.validators.compiled import catalog_schema as compiled

    return [
        _problem("catalog-schema", schema_message(e), field_path(e.absolute_path), "schema")
        for e in schema_errors(doc, compiled.validate, catalog_schema)
    ]


def _release_problems(rel: dict[str, Any], host: Host, name: str, where: str) -> list[Problem]:
    """The archive (the host's `<name>-<version><suffix>`), its signature and SHA256SUMS are
    listed, and the archive is fully described."""
    out = []
    assets = {a["asset"]: a for a in rel["source"]["assets"]}
    archive = host.archive_name(name, rel["version"])
    if len(assets) != len(rel["source"]["assets"]):
        out.append(
            _problem(
                "catalog-asset-duplicate", "an asset is listed twice", f"{where}.source.assets"
            )
        )
    found = assets.get(archive)
    if found is None:
        out.append(
            _problem(
                "catalog-archive-missing", f"no asset named {archive}", f"{where}.source.assets"
            )
        )
    elif not {"size", "sha256", "digest"} <= set(found):
        out.append(
            _problem(
                "catalog-archive-incomplete",
                f"{archive} needs size, sha256 and digest",
                f"{where}.source.assets",
            )
        )
    sigs = rel["signatures"]
    needed = [
        rel["source"]["checksum_asset"],
        sigs["signature_asset"],
        sigs.get("checksum_signature_asset"),
    ]
    for asset in filter(None, needed):
        if asset not in assets:
            out.append(
                _problem(
                    "catalog-asset-missing",
                    f"{asset} is named but not listed",
                    f"{where}.source.assets",
                )
            )
    if sigs["signature_asset"] != archive + ".minisig":
        out.append(
            _problem(
                "catalog-signature-asset",
                f"expected {archive}.minisig",
                f"{where}.signatures.signature_asset",
            )
        )
    out += _key_problems(sigs, f"{where}.signatures")
    return out


def _key_problems(sigs: dict[str, Any], where: str) -> list[Problem]:
    from plugin_kit.errors import SigningError
    from plugin_kit.signing.keys import load_public_key

    try:
        key = load_public_key(sigs["minisign_pubkey"])
    except SigningError as err:
        return [_problem("catalog-bad-pubkey", err.message, f"{where}.minisign_pubkey")]
    if key.key_id != sigs["key_id"]:
        return [
            _problem("catalog-key-id", f"the public key's id is {key.key_id}", f"{where}.key_id")
        ]
    return []


def _entry_problems(entry: dict[str, Any], catalog_id: str, where: str) -> list[Problem]:
    out = []
    if entry["id"] != f"{catalog_id}.{entry['name']}":
        out.append(
            _problem("catalog-entry-id", f"expected {catalog_id}.{entry['name']}", f"{where}.id")
        )
    host = entry_host(entry)  # the schema let releases carry only their entry's host
    out += _release_problems(entry, host, entry["name"], where)
    seen = {entry["version"]}
    for i, rel in enumerate(entry["releases"]):
        if rel["version"] in seen:
            out.append(
                _problem(
                    "catalog-release-duplicate",
                    f"version {rel['version']} is listed twice",
                    f"{where}.releases[{i}].version",
                )
            )
        seen.add(rel["version"])
        out += _release_problems(rel, host, entry["name"], f"{where}.releases[{i}]")
    return out


def _semantic_problems(doc: dict[str, Any]) -> list[Problem]:
    out = []
    if doc["expires_at"] <= doc["generated_at"]:
        out.append(
            _problem("catalog-expiry", "expires_at must be after generated_at", "expires_at")
        )
    names: dict[str, Host] = {}  # one name, one entry, whatever the hosts
    for i, entry in enumerate(doc["entries"]):
        if entry["name"] in names:
            other = names[entry["name"]]
            also = "" if other is entry_host(entry) else f" (once for {other.title})"
            out.append(
                _problem(
                    "catalog-entry-duplicate",
                    f"{entry['name']} is listed twice{also}",
                    f"entries[{i}].name",
                )
            )
        names.setdefault(entry["name"], entry_host(entry))
        out += _entry_problems(entry, doc["catalog_id"], f"entries[{i}]")
    return out


def catalog_problems(doc: Any) -> list[Problem]:
    """Schema problems first; the semantic rules run only on a document the schema accepts."""
    problems = _schema_problems(doc)
    return problems or _semantic_problems(doc)


def validate_catalog(doc: dict[str, Any]) -> None:
    """Raise ValidationError (with `.problems`) unless `doc` is a valid catalog."""
    problems = catalog_problems(doc)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValidationError(
            f"{first.field or 'catalog'}: {first.message}{more}",
            rule=first.rule,
            place=_PLACE,
            hint=f"See {docs_url('catalog.md')} for the catalog format.",
            problems=problems,
        )
