"""Yoi entries in the catalog: the schema and rules for `host: "yoi"`, catalogs holding both
hosts, Yoi's risk mapping (catalog/risk.py), and older catalogs (no `host`) still valid."""

from __future__ import annotations

import copy
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from catalog.releases import YOI_REQUESTS, make_release, make_yoi_release
from helpers.yoi_host import host_digest

from plugin_kit.catalog.model import archive_asset, entry_host, entry_versions
from plugin_kit.catalog.risk import assess, requests_from
from plugin_kit.catalog.validate import catalog_problems, validate_catalog
from plugin_kit.errors import PublishError, ValidationError
from plugin_kit.hosts import INSOMNIA, YOI
from plugin_kit.publisher.catalog import merge_entries
from plugin_kit.publisher.catalog_build import build_catalog, release_entries

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _entries(folders: list[Path], key) -> list[dict]:
    return release_entries(folders, [key.public_key], base_url="https://x.example")


@pytest.fixture
def yoi_release(tmp_path: Path, publisher_key) -> Path:
    return make_yoi_release(tmp_path / "rel", publisher_key, "example.Echo", "1.0.0", YOI_REQUESTS)


@pytest.fixture
def mixed(tmp_path: Path, publisher_key, yoi_release: Path) -> dict:
    ours = make_release(tmp_path / "rel", publisher_key, "alpha-one", "2.0.0")
    entries = _entries([ours, yoi_release], publisher_key)
    return merge_entries(None, entries, catalog_id="acme", now=NOW)


def _yoi(doc: dict) -> dict:
    return next(e for e in doc["entries"] if e.get("host") == "yoi")


def test_a_yoi_entry_says_its_host_and_what_the_manifest_requests(mixed, yoi_release) -> None:
    validate_catalog(mixed)
    entry = _yoi(mixed)
    archive = yoi_release / "example.Echo-1.0.0.yoi-plugin"
    with zipfile.ZipFile(archive) as z:  # the host's digest, computed by the test's own reader
        files = {n: z.read(n) for n in z.namelist()}
    assert entry_host(entry) is YOI
    assert (entry["id"], entry["name"], entry["protocol"]) == (
        "acme.example.Echo",
        "example.Echo",
        "wasm_component",
    )
    assert (entry["runtime"], entry["world"]) == ("tool", "yoi:plugin/tool@1.0.0")
    assert entry["capabilities"] == {
        "permissions": ["surfaces.tool", "tool.echo", "host_api.request"],
        "request": [
            {
                "scheme": "https",
                "host": "api.example.com",
                "methods": ["GET"],
                "path_prefixes": ["/v1/"],
            }
        ],
        "websocket": [],
    }
    assert entry["risk"] == "medium" and entry["tags"] == ["tool", "medium-risk"]
    assert entry["capability_summary"] == "network: GET https://api.example.com/v1/ · process: no"
    assert entry["requirements"]["network_domains"] == ["api.example.com"]
    asset = archive_asset(entry)
    assert asset["asset"] == archive.name and asset["digest"] == host_digest(files)
    assert entry["signatures"]["signature_asset"] == archive.name + ".minisig"
    assert "api" not in entry  # Yoi has no host-API range; the world says what it needs


def test_insomnia_entries_are_written_as_before_without_host(mixed) -> None:
    ours = next(e for e in mixed["entries"] if e["name"] == "alpha-one")
    assert "host" not in ours and entry_host(ours) is INSOMNIA
    assert archive_asset(ours)["asset"] == "alpha-one-2.0.0.insomnia-plugin"


def test_an_older_catalog_without_host_fields_stays_valid(tmp_path, publisher_key) -> None:
    folder = make_release(tmp_path / "rel", publisher_key, "alpha-one", "1.0.0")
    doc = merge_entries(None, _entries([folder], publisher_key), catalog_id="acme", now=NOW)
    assert all("host" not in e for e in doc["entries"])
    validate_catalog(doc)
    explicit = copy.deepcopy(doc)
    explicit["entries"][0]["host"] = "insomnia"  # the default may also be written out
    validate_catalog(explicit)


def _problems(doc: dict) -> list[tuple[str, str]]:
    return [(p.rule, p.field) for p in catalog_problems(doc)]


@pytest.mark.parametrize(
    ("change", "rule", "field"),
    [
        # the host's id rule: no leading or trailing dot, no other characters, up to 128
        (lambda e: e.update(name=".example.Echo"), "catalog-schema", "name"),
        (lambda e: e.update(name="example Echo"), "catalog-schema", "name"),
        (lambda e: e.update(name="e" * 129), "catalog-schema", "name"),
        (lambda e: e.update(runtime="wasm"), "catalog-schema", "runtime"),
        (lambda e: e.update(world="yoi:plugin/tool@2.0.0"), "catalog-schema", "world"),
        (lambda e: e.pop("world"), "catalog-schema", ""),
        (lambda e: e.update(runtime="instance"), "catalog-schema", ""),  # not its world's name
        (lambda e: e.update(protocol="wasi_preview1"), "catalog-schema", "protocol"),
        (lambda e: e["capabilities"].update(network=[]), "catalog-schema", "capabilities"),
        (lambda e: e["capabilities"].pop("websocket"), "catalog-schema", "capabilities"),
        (lambda e: e["capabilities"]["request"][0].update(port=70000), "catalog-schema",
         "capabilities.request[0].port"),
        (lambda e: e["capabilities"]["request"][0].update(via="proxy"), "catalog-schema",
         "capabilities.request[0]"),
        (lambda e: e["capabilities"]["permissions"].append("host_api.fs\x1b[2J"), "catalog-schema",
         "capabilities.permissions[3]"),
        (lambda e: e.update(host="dispatch"), "catalog-schema", "host"),
        # the archive is the Yoi one, never an .insomnia-plugin, and the id is <catalog_id>.<name>
        (lambda e: e["source"]["assets"][2].update(asset="example.Echo-1.0.0.insomnia-plugin"),
         "catalog-archive-missing", "source.assets"),
        (lambda e: e.update(id="acme.example.echo"), "catalog-entry-id", "id"),
    ],
)  # fmt: skip
def test_yoi_entry_rules(mixed, change, rule: str, field: str) -> None:
    bad = copy.deepcopy(mixed)
    index = bad["entries"].index(_yoi(bad))
    change(bad["entries"][index])
    where = f"entries[{index}]" + (f".{field}" if field and not field.startswith("[") else "")
    found = _problems(bad)
    assert any(r == rule and f.startswith(where) for r, f in found), found
    with pytest.raises(ValidationError):
        validate_catalog(bad)


def test_an_insomnia_entry_cannot_take_yoi_fields(mixed) -> None:
    bad = copy.deepcopy(mixed)
    ours = next(e for e in bad["entries"] if e["name"] == "alpha-one")
    ours["runtime"] = "tool"
    ours["releases"] = [{**{k: v for k, v in ours.items() if k != "releases"}, "host": "yoi"}]
    fields = [f for _, f in _problems(bad)]
    assert any(f.endswith(".runtime") for f in fields)
    assert any(".releases[0]" in f for f in fields)


def test_a_name_is_one_entry_across_hosts(tmp_path, publisher_key, mixed) -> None:
    clash = make_yoi_release(tmp_path / "clash", publisher_key, "alpha-one", "3.0.0")
    with pytest.raises(PublishError) as err:
        merge_entries(mixed, _entries([clash], publisher_key), catalog_id="acme", now=NOW)
    assert err.value.rule == "catalog.name-taken" and "Insomnia" in err.value.message
    # A hand-made catalog that lists the name twice, once per host, is refused too.
    twice = copy.deepcopy(mixed)
    entry = _entries([clash], publisher_key)[0]
    twice["entries"].append({**entry, "id": "acme.alpha-one", "releases": []})
    found = catalog_problems(twice)
    assert [p.rule for p in found] == ["catalog-entry-duplicate"]
    assert "once for Insomnia" in found[0].message


def test_versions_of_a_yoi_plugin_keep_their_host(tmp_path, publisher_key, mixed) -> None:
    newer = make_yoi_release(tmp_path / "v2", publisher_key, "example.Echo", "1.1.0")
    doc = merge_entries(mixed, _entries([newer], publisher_key), catalog_id="acme", now=NOW)
    validate_catalog(doc)
    entry = _yoi(doc)
    assert entry["version"] == "1.1.0" and entry["risk"] == "low"
    assert [entry_host(v).name for v in entry_versions(entry)] == ["yoi", "yoi"]
    assert archive_asset(entry_versions(entry)[1])["asset"] == "example.Echo-1.0.0.yoi-plugin"


def test_catalog_build_over_a_folder_with_both_hosts_archives(tmp_path, publisher_key, catalog_key):
    folder = make_release(tmp_path / "rel", publisher_key, "alpha-one", "1.0.0")
    make_yoi_release(tmp_path / "rel", publisher_key, "example.Echo", "1.0.0", YOI_REQUESTS)
    assert len(list(folder.glob("*.minisig"))) == 3  # both archives and one SHA256SUMS
    result = build_catalog(
        tmp_path / "site", [folder], catalog_key, catalog_id="acme",
        publisher_keys=[publisher_key.public_key],
    )  # fmt: skip
    doc = json.loads(result.path.read_bytes())
    validate_catalog(doc)
    assert [(e["name"], e.get("host", "insomnia")) for e in doc["entries"]] == [
        ("alpha-one", "insomnia"),
        ("example.Echo", "yoi"),
    ]
    again = build_catalog(
        tmp_path / "site", [folder], catalog_key, catalog_id="acme",
        publisher_keys=[publisher_key.public_key],
    )  # fmt: skip
    assert not again.changed


def _yoi_risk(caps: dict) -> tuple[str, str]:
    full = {"permissions": [], "request": [], "websocket": [], **caps}
    risk = assess(requests_from(YOI, full, "tool"))
    return risk.level, risk.summary


_HTTPS = {
    "scheme": "https",
    "host": "api.example.com",
    "methods": ["GET"],
    "path_prefixes": ["/v1/"],
}


@pytest.mark.parametrize(
    ("caps", "level"),
    [
        ({}, "low"),
        ({"permissions": ["surfaces.tool", "tool.echo", "tool_namespace.echo_", "surfaces.wasm"]}, "low"),
        ({"permissions": ["surfaces.service", "service.feed", "surfaces.ingress", "ingress.hook"]}, "low"),
        # a host API without targets reaches nothing (the validator refuses such a manifest anyway)
        ({"permissions": ["host_api.request", "host_api.websocket"]}, "low"),
        ({"request": [_HTTPS]}, "medium"),
        ({"websocket": [{"scheme": "wss", "host": "s.example", "path_prefixes": ["/live/"]}]}, "medium"),
        # `is_broad`: any scheme, any host, or no path prefix
        ({"request": [{**_HTTPS, "path_prefixes": []}]}, "high"),
        ({"request": [{**_HTTPS, "scheme": "*"}]}, "high"),
        ({"request": [{**_HTTPS, "host": "*"}]}, "high"),
        ({"websocket": [{"scheme": "wss", "host": "s.example"}]}, "high"),
        ({"request": [{**_HTTPS, "host": "*.example.com"}]}, "high"),
        # fs: read, list and write below roots the operator grants; the manifest cannot ask less
        ({"permissions": ["host_api.fs"]}, "high"),
        ({"permissions": ["external_write"]}, "high"),
        # what this toolchain cannot judge is assumed the worst
        ({"permissions": ["host_api.gpu"]}, "high"),
        ({"permissions": ["camera.front"]}, "high"),
        ({"permissions": "host_api.request"}, "high"),
        ({"request": {"host": "api.example.com"}}, "high"),
        ({"camera": []}, "high"),
    ],
)  # fmt: skip
def test_yoi_risk_levels(caps: dict, level: str) -> None:
    assert _yoi_risk(caps)[0] == level


def test_yoi_summary_names_targets_ports_and_writes() -> None:
    level, summary = _yoi_risk(
        {
            "permissions": ["host_api.fs", "external_write"],
            "request": [{**_HTTPS, "methods": ["get", "POST"], "port": 8443}],
            "websocket": [{"scheme": "wss", "host": "s.example\nforged"}],
        }
    )
    assert level == "high" and "\n" not in summary
    for needle in ("GET,POST https://api.example.com:8443/v1/", "wss://s.example",
                   "[broad]", "fs write: roots the operator grants", "external writes: YES"):  # fmt: skip
        assert needle in summary, summary


def test_catalog_build_refuses_a_yoi_version_a_catalog_cannot_order(
    tmp_path, publisher_key, catalog_key
):
    folder = make_yoi_release(tmp_path / "rel", publisher_key, "example.Echo", "1.0")
    with pytest.raises(PublishError) as err:
        build_catalog(tmp_path / "site", [folder], catalog_key, catalog_id="acme",
                      publisher_keys=[publisher_key.public_key])  # fmt: skip
    assert err.value.rule == "publish.version-not-semver"
    assert not (tmp_path / "site").exists()
