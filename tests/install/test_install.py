"""`plugin install` by name, file and URL; the tampering matrix; names, refs and enablement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugin_kit.installer.api import discover, resolve_enabled
from plugin_kit.installer.audit import read_audit
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.paths import plugin_cache_dir
from plugin_kit.installer.stores import user_store, workspace_store
from plugin_kit.signing.signatures import sign_bytes, trusted_comment_for
from plugin_kit.signing.sums import format_sums

MORE = (
    'network = [{ host = "api.weather.gov", path_prefix = "/" }, { host = "hooks.slack.com" }]\n'
    'secrets = ["SLACK_*"]'
)


def _store_untouched() -> None:
    store = user_store()
    assert read_lock(store) == {}
    assert store.archives() == []
    assert not plugin_cache_dir().exists() or not any(plugin_cache_dir().iterdir())


def _release_dir(site, version: str = "1.0.0") -> Path:
    return site.root / "releases" / "weather-tools" / version


def test_install_needs_confirmation_then_installs_disabled(site, plugin) -> None:
    r = plugin("install", "weather-tools")
    assert r.code == 4 and "will be installed disabled" in r.err
    _store_untouched()
    plan = plugin("install", "weather-tools", "--dry-run", "--json").json()["plan"]
    assert plan["signer_key_id"] == site.release_key.key_id and plan["risk"] == "medium"
    assert plan["size"] > 0 and len(plan["sha256"]) == 64
    _store_untouched()
    done = plugin("install", "weather-tools", "--yes", "--json")
    assert done.code == 0, done.err
    assert done.json()["ref"] == "user:weather-tools"
    [pkg] = discover(None)
    assert (pkg.status, pkg.version) == ("disabled", "1.0.0")
    assert resolve_enabled(None) == []
    entry = read_lock(user_store())["weather-tools"]
    assert entry.source["catalog"] == "acme" and entry.key_id == site.release_key.key_id
    assert plugin("install", "weather-tools", "--yes").out.strip().endswith("already installed")
    assert [a["action"] for a in read_audit()][-1] == "install"


def test_enable_with_grants_and_resolve_for_the_host(site, plugin, tmp_path: Path) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    too_wide = plugin("enable", "weather-tools", "--grant", "network=evil.example")
    assert too_wide.code == 2 and "grant-not-requested" in too_wide.err
    r = plugin("enable", "weather-tools", "--grant", "network=api.weather.gov", "--yes", "--json")
    assert r.code == 0, r.err
    [enabled] = resolve_enabled(tmp_path)
    assert enabled.ref == "user:weather-tools" and Path(enabled.cache_path, "plugin.toml").is_file()
    assert enabled.grants == {"network": [{"host": "api.weather.gov", "path_prefix": "/"}]}
    assert plugin("disable", "weather-tools").code == 0
    assert resolve_enabled(tmp_path) == [] and discover(tmp_path)[0].status == "disabled"
    assert [a["action"] for a in read_audit()][-2:] == ["enable", "disable"]


def _resign_sums(site, text: bytes, key=None) -> None:
    folder = _release_dir(site)
    (folder / "SHA256SUMS").write_bytes(text)
    (folder / "SHA256SUMS.minisig").write_text(
        sign_bytes(
            text,
            (key or site.release_key).secret,
            trusted_comment=trusted_comment_for("SHA256SUMS"),
        )
    )


def _flip_byte(site) -> None:
    archive = next(_release_dir(site).glob("*.insomnia-plugin"))
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 1
    archive.write_bytes(bytes(data))


def _grow(site) -> None:
    archive = next(_release_dir(site).glob("*.insomnia-plugin"))
    archive.write_bytes(archive.read_bytes() + b"\0")


def _sums_line_changed(site) -> None:
    _resign_sums(site, format_sums({"weather-tools-1.0.0.insomnia-plugin": "0" * 64}))


def _sums_other_key(site, keys) -> None:
    _resign_sums(site, (_release_dir(site) / "SHA256SUMS").read_bytes(), keys["other"])


def _signature_swapped(site) -> None:
    folder = _release_dir(site)
    (folder / "weather-tools-1.0.0.insomnia-plugin.minisig").write_bytes(
        (folder / "SHA256SUMS.minisig").read_bytes()
    )


def _lying_release(name: str, version: str):
    """A release `name` `version` whose assets are all validly signed (and whose catalog entry
    is re-signed), but whose archive is weather-tools 1.0.0: the wrong-software attack."""

    def edit(site) -> None:
        from plugin_kit.signing.signatures import sign_file

        src = _release_dir(site)
        folder = site.root / "releases" / name / version
        folder.mkdir(parents=True)
        asset = f"{name}-{version}.insomnia-plugin"
        (folder / asset).write_bytes((src / "weather-tools-1.0.0.insomnia-plugin").read_bytes())
        (folder / f"{asset}.minisig").write_text(
            sign_file(
                folder / asset, site.release_key.secret, trusted_comment=trusted_comment_for(asset)
            )
        )
        sums = format_sums({asset: _sha(folder / asset)})
        (folder / "SHA256SUMS").write_bytes(sums)
        (folder / "SHA256SUMS.minisig").write_text(
            sign_bytes(
                sums, site.release_key.secret, trusted_comment=trusted_comment_for("SHA256SUMS")
            )
        )
        doc = site.bumped()
        text = json.dumps(doc["entries"][0])
        for old, new in (
            ('"1.0.0"', f'"{version}"'),
            ("weather-tools", name),
            ("/1.0.0/", f"/{version}/"),
            ("-1.0.0.", f"-{version}."),
            ('"v1.0.0"', f'"v{version}"'),
        ):
            text = text.replace(old, new)
        doc["entries"] = [e for e in doc["entries"] if e["name"] != name] + [json.loads(text)]
        doc["entries"].sort(key=lambda e: e["name"])
        site.write_catalog(doc)

    return edit


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digest_lie(site) -> None:
    doc = site.bumped()
    [asset] = [
        a for a in doc["entries"][0]["source"]["assets"] if a["asset"].endswith(".insomnia-plugin")
    ]
    asset["digest"] = "sha256:" + "ab" * 32
    site.write_catalog(doc)


TAMPERING = {
    "archive byte flipped": (_flip_byte, "archive-sha256", "weather-tools"),
    "wrong size": (_grow, "fetch-too-large", "weather-tools"),
    "SHA256SUMS line changed": (_sums_line_changed, "sums-mismatch", "weather-tools"),
    "SHA256SUMS signed by another key": (_sums_other_key, "signing.wrong-key", "weather-tools"),
    "archive signature swapped": (_signature_swapped, "signing.bad-signature", "weather-tools"),
    "manifest version differs from entry": (
        _lying_release("weather-tools", "1.0.1"),
        "manifest-version",
        "weather-tools",
    ),
    "manifest id differs from entry": (
        _lying_release("rain-tools", "1.0.0"),
        "manifest-id",
        "rain-tools",
    ),
    "content digest differs from entry": (_digest_lie, "digest-mismatch", "weather-tools"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampered_release_is_refused_with_exit_3(case: str, site, plugin, keys) -> None:
    mutate, rule, name = TAMPERING[case]
    mutate(site, keys) if mutate is _sums_other_key else mutate(site)
    if case.startswith(("manifest", "content")):  # a validly re-signed catalog that lies
        assert plugin("catalog", "refresh", "acme").code == 0
    r = plugin("install", name, "--yes")
    assert r.code == 3, r.err
    assert rule in r.err
    _store_untouched()
    assert read_audit()[-1]["outcome"] == "refused"


@pytest.mark.parametrize(
    "how",
    [
        "entry changed without re-signing",
        "catalog key replaced",
        "catalog serial rolled back",
        "catalog expired",
    ],
)
def test_tampered_catalog_is_refused_and_install_keeps_using_the_verified_one(
    how: str, site, plugin, keys
) -> None:
    old = (
        site.catalog_path.read_bytes(),
        site.catalog_path.with_name("extensions.json.minisig").read_bytes(),
    )
    if how == "entry changed without re-signing":
        site.write_catalog(site.bumped())
        site.catalog_path.write_bytes(
            site.catalog_path.read_bytes().replace(b"api.weather.gov", b"api.evil.example")
        )
    elif how == "catalog key replaced":
        site.write_catalog(site.bumped(), key=keys["other"])
    elif how == "catalog serial rolled back":
        site.write_catalog(site.bumped())
        assert plugin("catalog", "refresh", "acme").code == 0
        site.catalog_path.write_bytes(old[0])
        site.catalog_path.with_name("extensions.json.minisig").write_bytes(old[1])
    else:
        site.write_catalog(
            site.bumped(generated_at="2000-01-01T00:00:00Z", expires_at="2001-01-01T00:00:00Z")
        )
    assert plugin("catalog", "refresh", "acme").code == 3
    _store_untouched()


def test_tampered_catalog_cache_is_refused_at_install(site, plugin) -> None:
    from plugin_kit.installer.catalogs import registry
    from plugin_kit.installer.paths import catalog_cache_dir

    cached = catalog_cache_dir("acme") / f"{registry()['acme'].last_sha256}.json"
    cached.write_bytes(cached.read_bytes().replace(b'"1.0.0"', b'"1.0.9"'))
    r = plugin("install", "weather-tools", "--yes")
    assert r.code == 3 and "catalog-cache-tampered" in r.err
    _store_untouched()


def test_name_in_two_catalogs_fails_closed(site, plugin, tmp_path, keys, make_archive) -> None:
    from install.conftest import Publisher

    second = Publisher(tmp_path / "site2", keys["other"], keys["other"], catalog_id="beta")
    second.release(make_archive("weather-tools", "1.0.0"))
    assert (
        plugin(
            "catalog", "add", second.url, "--name", "beta", "--pubkey", keys["other"].public
        ).code
        == 0
    )
    r = plugin("install", "weather-tools", "--yes")
    assert r.code == 2 and "acme/weather-tools" in r.err and "beta/weather-tools" in r.err
    _store_untouched()
    assert plugin("install", "beta/weather-tools", "--yes").code == 0


def test_unknown_name_suggests_close_ones(site, plugin) -> None:
    r = plugin("install", "wether-tools", "--yes")
    assert r.code == 1 and "did you mean: weather-tools" in r.err
    assert "did you mean: weather-tools" in plugin("show", "weather-tool").err


def test_highest_version_compatible_with_the_host_api(site, plugin, make_archive) -> None:
    site.release(make_archive("weather-tools", "1.1.0"))
    site.release(make_archive("weather-tools", "2.0.0", api=">=2.0.0, <3.0.0"))
    assert plugin("catalog", "refresh").code == 0
    assert (
        plugin("install", "weather-tools", "--dry-run", "--json").json()["plan"]["version"]
        == "1.1.0"
    )
    plan = plugin("install", "weather-tools", "--host-api", "2.1.0", "--dry-run", "--json").json()[
        "plan"
    ]
    assert plan["version"] == "2.0.0"
    assert (
        plugin("install", "weather-tools@1.0.0", "--dry-run", "--json").json()["plan"]["version"]
        == "1.0.0"
    )
    assert plugin("install", "weather-tools@2.0.0", "--yes").code == 1


def test_local_file_needs_pubkey_or_sha256(make_archive, plugin, tmp_path, keys) -> None:
    built = make_archive("local-tools", "1.0.0")
    assert plugin("install", str(built.path), "--yes").code == 2
    assert plugin("install", str(built.path), "--sha256", "0" * 64, "--yes").code == 3
    _store_untouched()
    assert plugin("install", str(built.path), "--pubkey", keys["release"].public, "--yes").code == 3
    r = plugin(
        "install",
        str(built.path),
        "--sha256",
        built.sha256,
        "--project",
        "--workspace",
        str(tmp_path),
        "--yes",
        "--json",
    )
    assert r.code == 0, r.err
    assert r.json()["ref"] == "project:local-tools"
    assert read_lock(workspace_store(tmp_path))["local-tools"].source["type"] == "file"


def test_local_file_with_signature(make_archive, plugin, keys) -> None:
    from plugin_kit.signing.signatures import sign_file

    built = make_archive("signed-tools", "1.0.0")
    Path(str(built.path) + ".minisig").write_text(
        sign_file(
            built.path, keys["release"].secret, trusted_comment=trusted_comment_for(built.path.name)
        )
    )
    r = plugin("install", str(built.path), "--pubkey", keys["release"].public, "--yes")
    assert r.code == 0, r.err
    assert read_lock(user_store())["signed-tools"].key_id == keys["release"].key_id


def test_id_in_both_stores_is_ambiguous(make_archive, plugin, tmp_path) -> None:
    built = make_archive("twin-tools", "1.0.0")
    ws = str(tmp_path)
    assert plugin("install", str(built.path), "--sha256", built.sha256, "--yes").code == 0
    assert (
        plugin(
            "install",
            str(built.path),
            "--sha256",
            built.sha256,
            "--project",
            "--workspace",
            ws,
            "--yes",
        ).code
        == 0
    )
    r = plugin("enable", "twin-tools", "--grant-requested", "--yes", "--workspace", ws)
    assert r.code == 2 and "user:twin-tools" in r.err and "project:twin-tools" in r.err
    assert (
        plugin("enable", "project:twin-tools", "--grant-requested", "--yes", "--workspace", ws).code
        == 0
    )
    statuses = {p.ref: p.status for p in discover(tmp_path)}
    assert statuses == {"user:twin-tools": "disabled", "project:twin-tools": "enabled"}
    # The grant is keyed by workspace path: another checkout of the same plugin is not enabled.
    other = tmp_path / "other"
    assert (
        plugin(
            "install",
            str(built.path),
            "--sha256",
            built.sha256,
            "--project",
            "--workspace",
            str(other),
            "--yes",
        ).code
        == 0
    )
    assert {p.ref: p.status for p in discover(other)}["project:twin-tools"] == "disabled"


def test_upgrade_with_more_capabilities_stays_disabled_and_old_keeps_running(
    site, plugin, make_archive
) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    site.release(make_archive("weather-tools", "1.1.0", capabilities=MORE))
    assert plugin("catalog", "refresh").code == 0
    planned = plugin("upgrade", "--all", "--dry-run", "--json").json()["results"][0]
    assert planned["status"] == "planned" and "+ secret: SLACK_*" in planned["new_capabilities"]
    r = plugin("upgrade", "weather-tools", "--yes", "--json")
    assert r.code == 0, r.err
    assert r.json()["results"][0]["status"] == "needs-grant"
    [pkg] = discover(None)
    assert (pkg.version, pkg.status, pkg.running_version) == ("1.1.0", "needs-grant", "1.0.0")
    [running] = resolve_enabled(None)
    assert running.version == "1.0.0" and Path(running.cache_path).is_dir()
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    assert resolve_enabled(None)[0].version == "1.1.0"
    assert plugin("uninstall", "weather-tools").code == 0
    assert discover(None) == [] and resolve_enabled(None) == []
    assert plugin("cache", "gc", "--json").json()["removed_trees"]


def test_upgrade_with_same_capabilities_carries_the_grant(site, plugin, make_archive) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    site.release(make_archive("weather-tools", "1.0.1"))
    assert plugin("catalog", "refresh").code == 0
    assert (
        plugin("upgrade", "--all", "--yes", "--json").json()["results"][0]["status"] == "upgraded"
    )
    assert resolve_enabled(None)[0].version == "1.0.1"
    assert read_audit()[-1]["action"] == "grant_carried"


def test_changed_publisher_key_needs_accept_new_key(site, plugin, make_archive, keys) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    site.release(make_archive("weather-tools", "1.0.1"), key=keys["other"])
    assert plugin("catalog", "refresh").code == 0
    r = plugin("upgrade", "weather-tools", "--yes")
    assert r.code == 4 and "publisher-key-changed" in r.err
    assert read_lock(user_store())["weather-tools"].version == "1.0.0"
    assert plugin("upgrade", "weather-tools", "--yes", "--accept-new-key").code == 0
    assert read_lock(user_store())["weather-tools"].key_id == keys["other"].key_id


MCP_MANIFEST = """\
manifest_version = 1

[plugin]
id = "dropped-tools"
version = "1.0.0"
api = ">=1.0.0, <2.0.0"
runtime = "mcp"
description = "Would write a file if run"
license = "MIT"

[runtime]
command = ["python3", "-c", "open({marker!r}, 'w').write('ran')"]

[package]
include = ["README.md"]
"""


def test_package_dropped_by_hand_is_listed_disabled_and_never_runs(tmp_path: Path, plugin) -> None:
    from plugin_kit.packer.writer import pack

    marker = tmp_path / "it-ran"
    src = tmp_path / "dropped"
    src.mkdir()
    (src / "plugin.toml").write_text(MCP_MANIFEST.format(marker=str(marker)))
    (src / "README.md").write_text("# dropped\n")
    built = pack(src, tmp_path / "out", run_build=False)
    ws = tmp_path / "checkout"
    store = ws / ".insomnia" / "plugins"
    store.mkdir(parents=True)
    (store / "dropped-tools.insomnia-plugin").write_bytes(built.path.read_bytes())
    r = plugin("list", "--workspace", str(ws), "--json")
    assert r.code == 0
    [pkg] = r.json()["packages"]
    assert (pkg["ref"], pkg["status"], pkg["runtime"]) == (
        "project:dropped-tools",
        "disabled",
        "mcp",
    )
    assert pkg["diagnostics"][0]["rule"] == "not-installed"
    assert resolve_enabled(ws) == []
    assert (
        plugin(
            "enable", "project:dropped-tools", "--grant-requested", "--yes", "--workspace", str(ws)
        ).code
        == 1
    )
    assert plugin("verify", "--all", "--workspace", str(ws)).code == 3
    assert not marker.exists()


def test_store_file_edited_after_install_is_inconsistent(site, plugin) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    path = user_store().archive_path("weather-tools")
    path.write_bytes(path.read_bytes() + b"")
    other = next((site.root / "releases").rglob("*.insomnia-plugin"))
    assert other.read_bytes() == path.read_bytes()
    path.write_bytes(b"garbage")
    [pkg] = discover(None)
    assert pkg.status == "rejected"
    r = plugin("verify", "--all", "--json")
    assert r.code == 3 and json.loads(r.out)["problems"][0]["check"] == "store file"


def test_upgrade_refuses_an_entry_that_under_reports_the_new_requests(
    site, plugin, make_archive
) -> None:
    """The catalog copies 1.0.0's requests onto 1.1.0, which asks for more: refused after the
    download (exit 3), nothing placed, and 1.0.0 keeps running with its grant."""
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    site.release(make_archive("weather-tools", "1.1.0", capabilities=MORE), publish=False)
    doc = site.bumped()
    [entry] = doc["entries"]
    old = next(r for r in entry["releases"] if r["version"] == "1.0.0")
    for key in ("capabilities", "risk", "capability_summary"):
        entry[key] = old[key]  # the catalog under-reports what 1.1.0 asks for
    site.doc = doc
    site.write_catalog()
    assert plugin("catalog", "refresh").code == 0
    r = plugin("upgrade", "weather-tools", "--yes", "--json")
    assert r.code == 3 and r.json()["error"]["rule"] == "consent-mismatch", r.out
    assert read_lock(user_store())["weather-tools"].version == "1.0.0"
    assert resolve_enabled(None)[0].version == "1.0.0"


@pytest.mark.parametrize("bad", ["9f2c", "sha256:" + "a" * 64, "g" * 64, "a" * 65, " " + "a" * 63])
def test_sha256_must_be_64_hex_digits(bad: str, make_archive, plugin) -> None:
    built = make_archive("local-tools", "1.0.0")
    for target in (str(built.path), "https://example.org/w-1.0.0.insomnia-plugin"):
        r = plugin("install", target, "--sha256", bad, "--dry-run")
        assert r.code == 2 and "sha256-format" in r.err, (target, r.err)
    _store_untouched()
