"""`plugin catalog add|ls|rm|refresh|trust`: pinning, freshness and the atomic cache swap."""

from __future__ import annotations

import json

import pytest

from plugin_kit.installer.audit import read_audit
from plugin_kit.installer.catalogs import derive_name, registry


@pytest.fixture
def added(publisher, make_archive, plugin):
    publisher.release(make_archive("weather-tools", "1.0.0"))
    r = plugin(
        "catalog",
        "add",
        publisher.url,
        "--name",
        "acme",
        "--pubkey",
        publisher.catalog_key.public,
        "--json",
    )
    assert r.code == 0, r.err
    return publisher


def test_add_pins_id_key_and_serial(added, plugin) -> None:
    src = registry()["acme"]
    assert (src.catalog_id, src.key_id, src.pin_source) == (
        "acme",
        added.catalog_key.key_id,
        "flag",
    )
    assert src.last_serial == added.doc["serial"]
    listed = plugin("catalog", "ls", "--json").json()["catalogs"]
    assert [c["name"] for c in listed] == ["acme"] and listed[0]["expired"] is False
    assert read_audit()[-1]["action"] == "catalog_add"


def test_ls_shows_each_catalogs_key_serial_and_expiry(added, plugin) -> None:
    # `plugin catalog ls --help`: "with their pinned key, serial and expiry".
    (row,) = plugin("catalog", "ls").out.splitlines()
    assert f"key {added.catalog_key.public}" in row and f"serial {added.doc['serial']}" in row
    assert f"expires {added.doc['expires_at']}" in row


def test_add_without_key_needs_the_user_and_yes_trusts_the_published_key(
    publisher, make_archive, plugin
) -> None:
    publisher.release(make_archive())
    unknown = plugin("catalog", "add", publisher.url)
    assert unknown.code == 3 and "catalog-no-key" in unknown.err
    publisher.catalog_path.with_name("extensions.json.pub").write_text(
        publisher.catalog_key.public + "\n"
    )
    refused = plugin("catalog", "add", publisher.url)
    assert refused.code == 4 and "consent" in refused.err and registry() == {}
    ok = plugin("catalog", "add", publisher.url, "--yes", "--json")
    assert ok.code == 0, ok.err
    assert ok.json()["pin_source"] == "tofu" and ok.json()["key_id"] == publisher.catalog_key.key_id


def test_add_with_the_wrong_key_is_a_verification_failure(
    publisher, make_archive, plugin, keys
) -> None:
    publisher.release(make_archive())
    r = plugin("catalog", "add", publisher.url, "--pubkey", keys["other"].public)
    assert r.code == 3 and "signing.wrong-key" in r.err and registry() == {}


@pytest.mark.parametrize(
    "url", ["http://example.org/c.json", "ftp://x/c.json", "file://host/c.json"]
)
def test_urls_other_than_https_loopback_http_and_file_are_refused(url: str, plugin) -> None:
    r = plugin("catalog", "add", url, "--pubkey", "RWQ")
    assert r.code == 2 and "url-scheme" in r.err


@pytest.mark.parametrize(
    "url",
    ["https://\udcff/c.json", "https://日本.example/c.json", "https://127.0.0.1:1/é.json",
     "http://127.0.0.1:1/c.json?q=é", "https://" + "ü" * 70 + ".example/c.json"],
)  # fmt: skip
def test_http_urls_that_are_not_ascii_are_refused_naming_the_rule(url: str, plugin) -> None:
    # http.client sends only ASCII: these once raised UnicodeEncodeError out of the fetch (a
    # catalog's asset URL or a redirect's Location as well as the user's)
    r = plugin("catalog", "add", url, "--pubkey", "RWQ", "--json")
    assert r.code == 2 and r.json()["error"]["rule"] == "url-not-ascii", r.out
    human = plugin("catalog", "add", url, "--pubkey", "RWQ")
    assert human.code == 2 and "url-not-ascii" in human.err


def test_a_file_url_may_name_a_non_ascii_path(tmp_path) -> None:
    from plugin_kit.installer.fetch import check_url

    assert check_url((tmp_path / "é.json").as_uri()).scheme == "file"
    assert check_url("file:///srv/日本/c.json").path == "/srv/日本/c.json"


def test_refresh_accepts_a_newer_serial(added, plugin, make_archive) -> None:
    added.release(make_archive("rain-tools", "1.0.0"))
    r = plugin("catalog", "refresh", "acme", "--json")
    assert r.code == 0, r.out
    assert registry()["acme"].last_serial == added.doc["serial"]
    assert plugin("search", "rain", "--json").json()["hits"][0]["name"] == "rain-tools"


def _refused(plugin, rule: str) -> None:
    before = registry()["acme"]
    r = plugin("catalog", "refresh", "acme")
    assert r.code == 3, r.err
    assert rule in r.err
    doc = plugin("catalog", "refresh", "acme", "--json").json()  # the same refusal, one object
    assert doc["ok"] is False and rule in doc["error"]["rule"]
    assert doc["error"] == doc["catalogs"][0]["error"]
    after = registry()["acme"]
    assert (after.last_serial, after.last_sha256) == (before.last_serial, before.last_sha256)
    assert plugin("search", "weather", "--json").json()["hits"], (
        "the verified cache must stay usable"
    )


def test_rollback_is_refused(added, plugin, make_archive) -> None:
    old_bytes = added.catalog_path.read_bytes()
    old_sig = added.catalog_path.with_name("extensions.json.minisig").read_bytes()
    added.release(make_archive("rain-tools", "1.0.0"))
    assert plugin("catalog", "refresh", "acme").code == 0
    added.catalog_path.write_bytes(old_bytes)
    added.catalog_path.with_name("extensions.json.minisig").write_bytes(old_sig)
    _refused(plugin, "catalog-rollback")


def test_same_serial_other_bytes_is_refused(added, plugin) -> None:
    doc = json.loads(json.dumps(added.doc))
    doc["repository"] = "evil/plugins"
    added.write_catalog(doc)
    _refused(plugin, "catalog-equivocation")


def test_expired_is_refused(added, plugin) -> None:
    added.write_catalog(
        added.bumped(generated_at="2000-01-01T00:00:00Z", expires_at="2001-01-01T00:00:00Z")
    )
    _refused(plugin, "catalog-expired")


def test_changed_catalog_id_is_refused(added, plugin) -> None:
    doc = added.bumped(catalog_id="other")
    for entry in doc["entries"]:
        entry["id"] = "other." + entry["name"]
    added.write_catalog(doc)
    _refused(plugin, "catalog-id-changed")


def test_entry_changed_without_resigning_is_refused(added, plugin) -> None:
    doc = added.bumped()
    added.write_catalog(doc)
    tampered = added.catalog_path.read_bytes().replace(b'"sha256": "', b'"sha256": "0', 1)
    added.catalog_path.write_bytes(tampered)
    _refused(plugin, "signing.bad-signature")


def test_catalog_key_replaced_is_refused(added, plugin, keys) -> None:
    added.write_catalog(added.bumped(), key=keys["other"])
    _refused(plugin, "signing.wrong-key")


def test_trust_reset_recovers_from_a_fast_forward_and_is_audited(added, plugin) -> None:
    real = added.doc
    added.write_catalog(added.bumped(serial=2**50))
    assert plugin("catalog", "refresh", "acme").code == 0
    added.write_catalog({**real, "serial": real["serial"] + 1})
    assert plugin("catalog", "refresh", "acme").code == 3
    r = plugin("catalog", "trust", "acme", "--reset", "--json")
    assert r.code == 0, r.err
    assert r.json()["last_serial"] == real["serial"] + 1
    assert read_audit()[-1]["action"] == "catalog_trust_reset"


def test_trust_pubkey_rotates_the_pinned_key(added, plugin, keys) -> None:
    added.write_catalog(added.bumped(), key=keys["other"])
    assert plugin("catalog", "trust", "acme", "--pubkey", keys["catalog"].public).code == 3
    r = plugin("catalog", "trust", "acme", "--pubkey", keys["other"].public, "--json")
    assert r.code == 0 and r.json()["key_id"] == keys["other"].key_id
    assert read_audit()[-1]["action"] == "catalog_trust"


def test_search_and_show_work_offline_and_rm_drops_the_catalog(added, plugin) -> None:
    import shutil

    shutil.rmtree(added.root)  # the site is gone: only the verified cache answers
    hits = plugin("search", "WEATHER", "--json").json()["hits"]
    assert [h["name"] for h in hits] == ["weather-tools"]
    assert plugin("search", "--runtime", "wasm", "--json").json()["hits"] == []
    shown = plugin("show", "weather-tools", "--json").json()
    assert shown["signer_key_id"] == added.release_key.key_id and shown["risk"] == "medium"
    assert shown["capabilities"]["network"][0]["host"] == "api.weather.gov"
    assert plugin("catalog", "rm", "acme").code == 0
    gone = plugin("search", "", "--json")  # nothing registered now: said so, not "no matches"
    assert gone.code == 2 and gone.json()["error"]["rule"] == "no-catalogs"


def test_a_lone_surrogate_in_a_signed_catalog_is_kept_and_found(added, plugin) -> None:
    # valid JSON with no UTF-8 form: the search index once failed to encode it (a traceback
    # from catalog refresh), and a query holding one (an argument that is not UTF-8) as well
    from install.conftest import sign_bytes

    from plugin_kit.publisher.catalog import catalog_signature_comment, dump_catalog

    doc = added.bumped()
    doc["entries"][0]["description"] = "rain SURROGATE"
    data = dump_catalog(doc).replace(b"SURROGATE", b"\\ud800")
    added.catalog_path.write_bytes(data)
    sig = sign_bytes(data, added.catalog_key.secret, trusted_comment=catalog_signature_comment(doc))
    added.catalog_path.with_name("extensions.json.minisig").write_text(sig)
    assert plugin("catalog", "refresh", "acme", "--json").code == 0
    for query in ("rain", "\ud800"):
        hits = plugin("search", query, "--json").json()["hits"]
        assert [h["description"] for h in hits] == ["rain \ud800"]
    assert plugin("search", "\udcff", "--json").json()["hits"] == []


def test_tampered_cache_is_refused_by_show(added, plugin) -> None:
    from plugin_kit.installer.paths import catalog_cache_dir

    src = registry()["acme"]
    cached = catalog_cache_dir("acme") / f"{src.last_sha256}.json"
    cached.write_bytes(cached.read_bytes().replace(b"api.weather.gov", b"api.evil.example"))
    r = plugin("show", "weather-tools")
    assert r.code == 3 and "catalog-cache-tampered" in r.err


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (
            "https://raw.githubusercontent.com/acme/weather-plugins/main/catalog/extensions.json",
            "weather-plugins",
        ),
        ("https://example.org/plugins/catalog/extensions.json", "plugins"),
        ("file:///srv/site/catalog/extensions.json", "site"),
    ],
)
def test_derive_name(url: str, name: str) -> None:
    assert derive_name(url) == name


def test_expired_catalog_accepted_for_search_is_refused_at_install(added, plugin) -> None:
    added.write_catalog(
        added.bumped(generated_at="2000-01-01T00:00:00Z", expires_at="2001-01-01T00:00:00Z")
    )
    assert plugin("catalog", "refresh", "acme", "--allow-expired").code == 0
    assert plugin("search", "weather").code == 0
    for args in (("install", "weather-tools", "--yes"), ("install", "weather-tools", "--dry-run")):
        r = plugin(*args)
        assert r.code == 3 and "catalog-expired" in r.err, (args, r.err)
    assert plugin("list", "--json").json()["packages"] == []
