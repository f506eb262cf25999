"""Catalog model: entries from real releases, deterministic bytes, serial rules, releases kept."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from catalog.releases import make_release

from plugin_kit.catalog.validate import validate_catalog
from plugin_kit.errors import PublishError
from plugin_kit.publisher.catalog import dump_catalog, merge_entries, write_signed_catalog
from plugin_kit.publisher.catalog_build import release_entries
from plugin_kit.signing.caps import MAX_CATALOG_BYTES
from plugin_kit.signing.signatures import verify_bytes

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WEATHER_CAPS = (
    'network = [{ host = "api.weather.gov", path_prefix = "/" }]\nsecrets = ["WEATHER_*"]'
)


@pytest.fixture
def entries(tmp_path: Path, publisher_key):
    """entries(id, version, caps="") -> [entry] built from a real signed release folder."""

    def make(plugin_id: str, version: str, caps: str = "") -> list[dict]:
        folder = make_release(tmp_path / "rel" / plugin_id, publisher_key, plugin_id, version, caps)
        return release_entries(
            [folder], [publisher_key.public_key], base_url="https://plugins.example.org"
        )

    return make


def test_entry_has_design_fields_and_validates(entries, publisher_key) -> None:
    doc = merge_entries(
        None, entries("weather-tools", "0.3.1", WEATHER_CAPS), catalog_id="acme", now=T0
    )
    validate_catalog(doc)
    (entry,) = doc["entries"]
    assert entry["id"] == "acme.weather-tools" and entry["name"] == "weather-tools"
    assert entry["runtime"] == "hooks" and entry["api"] == ">=1.0.0, <2.0.0"
    assert entry["capabilities"]["secrets"] == ["WEATHER_*"]
    assert entry["risk"] == "medium" and "\n" not in entry["capability_summary"]
    assert "api.weather.gov" in entry["capability_summary"]
    assert entry["signatures"] == {
        "minisign_pubkey": publisher_key.public_key.base64,
        "key_id": publisher_key.key_id,
        "signature_asset": "weather-tools-0.3.1.insomnia-plugin.minisig",
        "checksum_signature_asset": "SHA256SUMS.minisig",
    }
    src = entry["source"]
    assert (src["type"], src["tag"], src["checksum_asset"]) == ("url", "v0.3.1", "SHA256SUMS")
    archive = next(a for a in src["assets"] if a["asset"].endswith(".insomnia-plugin"))
    assert (
        archive["url"]
        == "https://plugins.example.org/releases/download/v0.3.1/weather-tools-0.3.1.insomnia-plugin"
    )
    assert archive["digest"].startswith("sha256:") and len(archive["sha256"]) == 64
    assert (doc["generated_at"], doc["expires_at"]) == (
        "2026-01-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
    )


def test_independent_validator_accepts_it(entries, tmp_path: Path) -> None:
    """check-jsonschema (not our code) validates a generated catalog against the shipped schema."""
    doc = merge_entries(
        None, entries("weather-tools", "0.3.1", WEATHER_CAPS), catalog_id="acme", now=T0
    )
    (tmp_path / "extensions.json").write_bytes(dump_catalog(doc))
    schema = (
        Path(__import__("plugin_kit.validators", fromlist=["x"]).__file__).parent
        / "schemas/catalog.schema.json"
    )
    exe = Path(sys.executable).with_name("check-jsonschema")
    done = subprocess.run(
        [str(exe), "--schemafile", str(schema), str(tmp_path / "extensions.json")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    doc["entries"][0]["source"]["assets"][0]["sha256"] = "XYZ"
    (tmp_path / "extensions.json").write_bytes(dump_catalog(doc))
    done = subprocess.run(
        [str(exe), "--schemafile", str(schema), str(tmp_path / "extensions.json")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1


def test_bytes_are_sorted_indented_and_end_with_one_newline(entries) -> None:
    data = dump_catalog(
        merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    )
    assert data.endswith(b"}\n") and not data.endswith(b"\n\n")
    assert b'\n  "catalog_id"' in data
    keys = list(json.loads(data))
    assert keys == sorted(keys)


def test_same_inputs_give_same_bytes_and_merging_twice_changes_nothing(entries) -> None:
    new = entries("alpha-one", "1.0.0") + entries("beta-two", "2.0.0")
    first = merge_entries(None, new, catalog_id="acme", now=T0)
    assert dump_catalog(
        merge_entries(None, list(reversed(new)), catalog_id="acme", now=T0)
    ) == dump_catalog(first)
    again = merge_entries(first, new, catalog_id="acme", now=T0 + timedelta(days=3))
    assert dump_catalog(again) == dump_catalog(first)  # serial, generated_at, expires_at kept


def test_new_version_raises_serial_and_keeps_the_old_one_under_releases(entries) -> None:
    v1 = merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    v2 = merge_entries(
        v1, entries("alpha-one", "1.1.0"), catalog_id="acme", now=T0 + timedelta(hours=1)
    )
    assert v2["serial"] > v1["serial"]
    assert v2["generated_at"] == "2026-01-01T01:00:00Z"
    (entry,) = v2["entries"]
    assert entry["version"] == "1.1.0"
    assert [r["version"] for r in entry["releases"]] == ["1.0.0"]
    old = entry["releases"][0]
    assert old["source"]["tag"] == "v1.0.0" and old["signatures"]["key_id"]
    # An older version published later joins `releases` without displacing the current one.
    v3 = merge_entries(
        v2, entries("alpha-one", "0.9.0"), catalog_id="acme", now=T0 + timedelta(hours=2)
    )
    assert v3["entries"][0]["version"] == "1.1.0"
    assert [r["version"] for r in v3["entries"][0]["releases"]] == ["1.0.0", "0.9.0"]
    validate_catalog(v3)


def test_serial_grows_even_when_the_clock_is_behind(entries) -> None:
    v1 = merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    past = datetime(2001, 1, 1, tzinfo=UTC)
    v2 = merge_entries(
        v1, entries("beta-two", "1.0.0"), catalog_id="acme", now=past + timedelta(days=1)
    )
    assert v2["serial"] == v1["serial"] + 1


def test_prerelease_does_not_become_current_over_a_stable_version(entries) -> None:
    doc = merge_entries(
        None,
        entries("alpha-one", "1.0.0") + entries("alpha-one", "2.0.0-rc.1"),
        catalog_id="acme",
        now=T0,
    )
    assert doc["entries"][0]["version"] == "1.0.0"
    assert [r["version"] for r in doc["entries"][0]["releases"]] == ["2.0.0-rc.1"]


def test_same_version_with_other_bytes_is_refused(entries) -> None:
    doc = merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    changed = copy.deepcopy(entries("alpha-one", "1.0.0", "process = true"))
    with pytest.raises(PublishError) as info:
        merge_entries(doc, changed, catalog_id="acme", now=T0)
    assert info.value.rule == "catalog.version-changed"


def test_catalog_id_cannot_change(entries) -> None:
    doc = merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    with pytest.raises(PublishError) as info:
        merge_entries(doc, [], catalog_id="other", now=T0)
    assert info.value.rule == "catalog.id-changed"


def test_refresh_renews_expiry_with_a_new_serial(entries) -> None:
    doc = merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    later = T0 + timedelta(days=60)
    renewed = merge_entries(doc, [], catalog_id="acme", now=later, refresh=True)
    assert renewed["serial"] > doc["serial"] and renewed["expires_at"] == "2026-05-31T00:00:00Z"
    assert renewed["entries"] == doc["entries"]


def test_signed_write_is_idempotent_and_verifies(entries, catalog_key, tmp_path: Path) -> None:
    doc = merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    path = tmp_path / "site" / "extensions.json"
    first = write_signed_catalog(path, doc, catalog_key)
    assert first.changed
    data, sig = path.read_bytes(), first.signature_path.read_text()
    verified = verify_bytes(data, sig, catalog_key.public_key)
    assert (
        verified.fields["serial"] == str(doc["serial"]) and verified.fields["catalog_id"] == "acme"
    )
    stamp = (path.stat().st_mtime_ns, first.signature_path.stat().st_mtime_ns)
    second = write_signed_catalog(path, doc, catalog_key)
    assert not second.changed
    assert (path.stat().st_mtime_ns, second.signature_path.stat().st_mtime_ns) == stamp
    # A lost or broken signature is rewritten, and it is the same signature (deterministic).
    second.signature_path.write_text("junk")
    assert write_signed_catalog(path, doc, catalog_key).changed
    assert second.signature_path.read_text() == sig


def test_a_broken_existing_catalog_is_reported_not_merged(entries) -> None:
    from plugin_kit.errors import ValidationError

    doc = merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    doc["entries"][0]["version"] = "one"
    with pytest.raises(ValidationError) as info:
        merge_entries(doc, entries("beta-two", "1.0.0"), catalog_id="acme", now=T0)
    assert any(p.field == "entries[0].version" for p in info.value.problems)


def test_top_level_fields_the_schema_allows_are_kept_and_change_nothing(entries) -> None:
    # A catalog repository's maintainer may add top-level fields; a publish must not drop them.
    base = merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    edited = {**base, "maintainer": "plugins@acme.example"}
    validate_catalog(edited)
    again = merge_entries(edited, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    assert dump_catalog(again) == dump_catalog(edited)  # same serial, nothing to commit
    newer = merge_entries(
        edited, entries("beta-two", "2.0.0"), catalog_id="acme", now=T0 + timedelta(days=1)
    )
    assert newer["maintainer"] == "plugins@acme.example" and newer["serial"] > base["serial"]


def test_plugin_verify_reads_a_catalog_as_large_as_installs_accept(
    entries, catalog_key, plugin, tmp_path: Path
) -> None:
    """One cap for both sides (signing/caps.py): `plugin verify` refused a catalog over 4 MiB
    that `plugin catalog add` and install accept up to 32 MiB."""
    doc = merge_entries(None, entries("alpha-one", "1.0.0"), catalog_id="acme", now=T0)
    one = json.dumps(doc["entries"][0])
    doc["entries"] = [json.loads(one.replace("alpha-one", f"alpha-{i:05d}")) for i in range(2500)]
    path = tmp_path / "site" / "extensions.json"
    write_signed_catalog(path, doc, catalog_key)
    assert 4 << 20 < path.stat().st_size < MAX_CATALOG_BYTES
    code, out, err = plugin(
        "verify", str(path), "--pubkey", catalog_key.public_key.base64, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["catalog"]["entries"] == 2500
