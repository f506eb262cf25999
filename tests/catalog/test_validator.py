"""Hostile and broken catalogs: every problem found, each with its field path."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from catalog.releases import make_release

from plugin_kit.catalog.validate import catalog_problems, validate_catalog
from plugin_kit.errors import ValidationError
from plugin_kit.publisher.catalog import merge_entries
from plugin_kit.publisher.catalog_build import release_entries


@pytest.fixture
def doc(tmp_path, publisher_key) -> dict:
    folder = make_release(tmp_path / "rel", publisher_key, "alpha-one", "1.0.0")
    entries = release_entries([folder], [publisher_key.public_key], base_url="https://x.example")
    return merge_entries(None, entries, catalog_id="acme", now=datetime(2026, 1, 1, tzinfo=UTC))


def _set(doc: dict, path: str, value) -> dict:
    bad = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node = bad
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is KeyError:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return bad


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("serial", 0, "serial"),
        ("serial", "7", "serial"),
        ("catalog_id", "Acme", "catalog_id"),
        ("catalog_id", "a..b", "catalog_id"),
        ("expires_at", KeyError, ""),
        ("generated_at", "yesterday", "generated_at"),
        ("entries.0.source.assets.0.asset", "../SHA256SUMS", "entries[0].source.assets[0].asset"),
        ("entries.0.source.assets.0.url", "javascript:alert(1)", "entries[0].source.assets[0].url"),
        ("entries.0.source.assets.2.sha256", "A" * 64, "entries[0].source.assets[2].sha256"),
        ("entries.0.source.type", "ftp", "entries[0].source.type"),
        ("entries.0.source.checksum_asset", "SUMS.txt", "entries[0].source.checksum_asset"),
        ("entries.0.capability_summary", "line one\nline two", "entries[0].capability_summary"),
        ("entries.0.risk", "none", "entries[0].risk"),
        ("entries.0.signatures.key_id", "abc", "entries[0].signatures.key_id"),
        ("entries.0.version", "1.0", "entries[0].version"),
        ("entries.0.kind", "channel", "entries[0].kind"),
        ("entries.0.releases", KeyError, "entries[0]"),
    ],
)
def test_schema_violations_name_their_field(doc: dict, path: str, value, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_catalog(_set(doc, path, value))
    assert info.value.rule == "catalog-schema"
    assert any(p.field == field for p in info.value.problems), [
        p.field for p in info.value.problems
    ]


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("entries.0.id", "acme.other", "catalog-entry-id"),
        ("entries.0.signatures.key_id", "0123456789ABCDEF", "catalog-key-id"),
        ("entries.0.signatures.signature_asset", "SHA256SUMS.minisig", "catalog-signature-asset"),
        (
            "entries.0.source.assets.2.asset",
            "alpha-one-9.9.9.insomnia-plugin",
            "catalog-archive-missing",
        ),
        ("expires_at", "2025-01-01T00:00:00Z", "catalog-expiry"),
    ],
)
def test_semantic_violations_are_caught(doc: dict, path: str, value, rule: str) -> None:
    rules = {p.rule for p in catalog_problems(_set(doc, path, value))}
    assert rule in rules


def test_duplicate_entries_and_missing_assets_are_all_reported(doc: dict) -> None:
    bad = copy.deepcopy(doc)
    bad["entries"].append(copy.deepcopy(bad["entries"][0]))
    del bad["entries"][1]["source"]["assets"][0]  # SHA256SUMS no longer listed
    problems = catalog_problems(bad)
    rules = {p.rule for p in problems}
    assert {"catalog-entry-duplicate", "catalog-asset-missing"} <= rules
    assert all(p.file == "extensions.json" and p.field for p in problems)


def test_non_object_documents_are_refused() -> None:
    for junk in ([], "catalog", None, {"entries": "x"}):
        assert catalog_problems(junk)
