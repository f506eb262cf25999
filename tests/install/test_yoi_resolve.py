"""Install's catalog-facing half for Yoi entries: resolve to a plan carrying the host, then
every check (sha256 against the entry and SHA256SUMS, signatures with the pinned keys, the
strict reader as the entry's host, id, version and Yoi digest, consent) before placing; and
`search`/`show` by host. Placing is tested in test_yoi_install.py and test_yoi_e2e.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from catalog.releases import YOI_REQUESTS, write_yoi_project

from plugin_kit.errors import InstallError, PluginKitError, VerificationError
from plugin_kit.hosts import INSOMNIA, YOI
from plugin_kit.installer import install as install_module
from plugin_kit.installer.audit import read_audit
from plugin_kit.installer.install import plan_install, resolve_target, run_install
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.paths import plugin_cache_dir
from plugin_kit.installer.query import search, show
from plugin_kit.installer.stores import Store, user_store
from plugin_kit.packer.writer import pack
from plugin_kit.signing.signatures import sign_bytes, trusted_comment_for
from plugin_kit.signing.sums import format_sums

YOI_ID = "example.Echo"
ARCHIVE = f"{YOI_ID}-1.0.0.yoi-plugin"


@pytest.fixture
def yoi_site(publisher, make_archive, plugin, tmp_path: Path):
    """A catalog `acme` holding weather-tools (Insomnia) and example.Echo (Yoi)."""
    publisher.release(make_archive("weather-tools", "1.0.0"))
    root = write_yoi_project(tmp_path / "src-yoi", YOI_ID, "1.0.0", YOI_REQUESTS)
    publisher.release(pack(root, tmp_path / "dist-yoi"))
    r = plugin("catalog", "add", publisher.url, "--name", "acme", "--pubkey",
               publisher.catalog_key.public)  # fmt: skip
    assert r.code == 0, r.err
    return publisher


@pytest.fixture
def yoi_store(tmp_path: Path) -> Store:
    return Store("user", tmp_path / "yoi-data" / "yoi" / "plugins", host=YOI)


def _untouched(store: Store) -> None:
    assert not store.root.exists() or not any(store.root.iterdir())
    assert not plugin_cache_dir().exists() or not any(plugin_cache_dir().iterdir())


def test_a_yoi_entry_plans_with_its_host_and_what_it_requests(yoi_site, yoi_store) -> None:
    assert resolve_target(YOI_ID).host is YOI and resolve_target("weather-tools").host is INSOMNIA
    plan = plan_install(YOI_ID, yoi_store)
    assert (plan.host, plan.id, plan.version, plan.kind) == ("yoi", YOI_ID, "1.0.0", "catalog")
    assert plan.runtime == "tool" and plan.risk == "medium"
    assert plan.capabilities["permissions"] == ["surfaces.tool", "tool.echo", "host_api.request"]
    assert plan.source["asset"] == ARCHIVE and plan.digest.startswith("sha256:")
    assert plan.to_dict()["host"] == "yoi"
    assert plan_install("weather-tools", user_store()).host == "insomnia"


def test_a_yoi_entry_is_not_planned_into_an_insomnia_store(yoi_site) -> None:
    with pytest.raises(InstallError) as err:
        plan_install(YOI_ID, user_store())
    assert err.value.rule == "host-unsupported" and "Yoi package" in err.value.message


def test_every_check_passes_then_it_is_placed_in_the_yoi_store(yoi_site, yoi_store) -> None:
    plan = plan_install(YOI_ID, yoi_store)
    installed = run_install(plan)
    assert installed.store_path == str(yoi_store.root / f"{YOI_ID}.yoi-plugin")
    assert installed.host == "yoi" and installed.content_digest == plan.digest
    entry = read_lock(yoi_store)[YOI_ID]
    assert entry.host == "yoi" and entry.source["catalog"] == "acme"
    assert read_audit()[-1]["outcome"] == "ok"


def test_the_placer_seam_gets_the_verified_package(yoi_site, yoi_store, monkeypatch) -> None:
    """What a Yoi placer registered in install.PLACERS is handed: the verified ArchiveInfo
    and the tree the one reading pass extracted it into (removed once the placer returns)."""
    seen = {}

    def place_yoi(archive: Path, store: Store, **kw):
        tree = kw["staged"].tree
        files = sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file())
        seen.update(kw, archive=archive.read_bytes(), store=store, files=files)
        raise InstallError("recorded", rule="test-recorded")

    monkeypatch.setitem(install_module.PLACERS, YOI.name, place_yoi)
    plan = plan_install(YOI_ID, yoi_store)
    with pytest.raises(InstallError, match="recorded"):
        run_install(plan)
    info = seen["staged"].info
    release = yoi_site.root / "releases" / YOI_ID / "1.0.0"
    assert seen["files"] == sorted(f.path for f in info.files)
    assert not seen["staged"].tree.exists()
    assert info.host is YOI and info.manifest.id == YOI_ID
    assert info.digest == plan.digest == seen["expected_digest"]
    assert seen["archive"] == (release / ARCHIVE).read_bytes() and seen["store"] is yoi_store
    assert seen["signature"]["signed_files"] == ["SHA256SUMS", ARCHIVE]
    assert seen["source"]["catalog"] == "acme" and seen["source"]["asset"] == ARCHIVE


def _release(site) -> Path:
    return site.root / "releases" / YOI_ID / "1.0.0"


def _flip(site) -> None:
    archive = _release(site) / ARCHIVE
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 1
    archive.write_bytes(bytes(data))


def _sums_line(site) -> None:
    sums = format_sums({ARCHIVE: "0" * 64})
    (_release(site) / "SHA256SUMS").write_bytes(sums)
    sig = sign_bytes(
        sums, site.release_key.secret, trusted_comment=trusted_comment_for("SHA256SUMS")
    )
    (_release(site) / "SHA256SUMS.minisig").write_text(sig)


def _signature_swapped(site) -> None:
    folder = _release(site)
    (folder / f"{ARCHIVE}.minisig").write_bytes((folder / "SHA256SUMS.minisig").read_bytes())


def _relist(site, change) -> None:
    """A validly re-signed catalog whose Yoi entry lies."""
    doc = site.bumped()
    change(next(e for e in doc["entries"] if e.get("host") == "yoi"))
    site.write_catalog(doc)


def _digest_lie(site) -> None:
    def lie(entry):
        next(a for a in entry["source"]["assets"] if a["asset"] == ARCHIVE)["digest"] = (
            "sha256:" + "ab" * 32
        )

    _relist(site, lie)


def _fewer_permissions(site) -> None:  # the same risk, other requests
    _relist(site, lambda e: e["capabilities"]["permissions"].remove("tool.echo"))


def _insomnia_bytes(site) -> None:
    """The Yoi asset replaced by an Insomnia package, everything re-signed and re-listed."""
    from plugin_kit.packer.reader import read_archive

    ours = (
        site.root / "releases" / "weather-tools" / "1.0.0" / "weather-tools-1.0.0.insomnia-plugin"
    )
    archive = _release(site) / ARCHIVE
    archive.write_bytes(ours.read_bytes())
    info = read_archive(archive, host="insomnia")
    sums = format_sums({ARCHIVE: info.sha256})
    key = site.release_key.secret
    (_release(site) / "SHA256SUMS").write_bytes(sums)
    (_release(site) / "SHA256SUMS.minisig").write_text(
        sign_bytes(sums, key, trusted_comment=trusted_comment_for("SHA256SUMS"))
    )
    (_release(site) / f"{ARCHIVE}.minisig").write_text(
        sign_bytes(archive.read_bytes(), key, trusted_comment=trusted_comment_for(ARCHIVE))
    )

    def relist(entry):
        asset = next(a for a in entry["source"]["assets"] if a["asset"] == ARCHIVE)
        asset.update(sha256=info.sha256, size=info.size, digest=info.digest)

    _relist(site, relist)


TAMPERING = {
    "archive byte flipped": (_flip, "archive-sha256"),
    "SHA256SUMS line changed": (_sums_line, "sums-mismatch"),
    "archive signature swapped": (_signature_swapped, "signing.bad-signature"),
    "content digest differs from entry": (_digest_lie, "digest-mismatch"),
    "entry under-states the requests": (_fewer_permissions, "consent-mismatch"),
    "an Insomnia package under a Yoi entry": (_insomnia_bytes, "archive:"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampered_yoi_release_is_refused_with_exit_3(case, yoi_site, yoi_store, plugin) -> None:
    mutate, rule = TAMPERING[case]
    mutate(yoi_site)
    assert plugin("catalog", "refresh", "acme").code == 0
    plan = plan_install(YOI_ID, yoi_store)
    with pytest.raises(PluginKitError) as err:
        run_install(plan)
    assert err.value.exit_code == 3 and err.value.rule.startswith(rule), err.value
    assert isinstance(err.value, VerificationError) or err.value.rule.startswith("signing.")
    _untouched(yoi_store)
    assert read_audit()[-1]["outcome"] == "refused"


def test_search_and_show_filter_and_show_the_host(yoi_site, plugin) -> None:
    assert [(h.name, h.host) for h in search()] == [(YOI_ID, "yoi"), ("weather-tools", "insomnia")]
    assert [h.name for h in search(host="yoi")] == [YOI_ID]
    assert [h.name for h in search(host="insomnia")] == ["weather-tools"]
    assert [h.name for h in search(runtime="tool")] == [YOI_ID]
    shown = show(YOI_ID)
    assert (shown.host, shown.world, shown.api, shown.risk) == (
        "yoi",
        "yoi:plugin/tool@1.0.0",
        "",
        "medium",
    )
    assert shown.versions == [{"version": "1.0.0", "api": None, "compatible": True}]
    with pytest.raises(InstallError) as err:
        show(YOI_ID, host="insomnia")
    assert err.value.rule == "name-unknown" and "Insomnia" in err.value.message

    r = plugin("search", "--host", "yoi", "--json")
    assert [(h["name"], h["host"]) for h in r.json()["hits"]] == [(YOI_ID, "yoi")]
    r = plugin("search", "--host", "yoi")
    assert (
        r.code == 0 and "acme/example.Echo" in r.out and "yoi" in r.out and "weather" not in r.out
    )
    r = plugin("show", YOI_ID, "--json")
    assert r.json()["host"] == "yoi" and r.json()["world"] == "yoi:plugin/tool@1.0.0"
    r = plugin("show", YOI_ID)
    assert "host:         Yoi" in r.out and "world: yoi:plugin/tool@1.0.0" in r.out
    assert "host:         Insomnia" in plugin("show", "weather-tools").out


def test_a_yoi_file_is_planned_from_its_bytes_and_checked_the_same_way(
    yoi_site, yoi_store, tmp_path
) -> None:
    archive = _release(yoi_site) / ARCHIVE
    sha = yoi_site.doc["entries"][0]["source"]["assets"][2]["sha256"]
    assert resolve_target(str(archive)).host is YOI
    assert resolve_target("https://example.org/dl/" + ARCHIVE).host is YOI
    assert resolve_target("https://example.org/dl/package").host is None  # the bytes decide later
    with pytest.raises(InstallError) as err:
        plan_install(str(archive), user_store(), sha256=sha)
    assert err.value.rule == "host-unsupported"
    plan = plan_install(str(archive), yoi_store, pubkey=yoi_site.release_key.public)
    assert (plan.kind, plan.host, plan.id, plan.risk) == ("file", "yoi", YOI_ID, "medium")
    installed = run_install(plan)  # signature next to the file, strict read, consent, placed
    assert installed.host == "yoi" and installed.store_path == str(yoi_store.archive_path(YOI_ID))


def test_search_reads_an_index_written_before_rows_carried_a_host(yoi_site) -> None:
    """An older toolchain's index: rows without `host`, of Insomnia entries only (its schema
    refused Yoi entries)."""
    from plugin_kit.installer.paths import catalog_cache_dir

    (index,) = catalog_cache_dir("acme").glob("*.index.json")
    lines = index.read_text("utf-8").splitlines()
    rows = [r for r in map(json.loads, lines) if r["host"] == "insomnia"]
    index.write_text(json.dumps([{k: v for k, v in r.items() if k != "host"} for r in rows]))
    assert [(h.name, h.host) for h in search()] == [("weather-tools", "insomnia")]
    assert [h.name for h in search(host="insomnia")] == ["weather-tools"]
    assert search(host="yoi") == []


def test_a_url_named_as_a_yoi_package_is_refused_for_an_insomnia_store_before_download(
    yoi_site,
) -> None:
    with pytest.raises(InstallError) as err:
        plan_install("https://example.org/dl/" + ARCHIVE, user_store(), sha256="0" * 64)
    assert err.value.rule == "host-unsupported"


def test_no_confirmation_is_asked_for_a_package_that_cannot_be_placed(
    yoi_site, yoi_store, monkeypatch
) -> None:
    monkeypatch.delitem(install_module.PLACERS, YOI.name)  # a host without a placer
    asked = []
    with pytest.raises(InstallError) as err:
        run_install(plan_install(YOI_ID, yoi_store), confirm=asked.append)
    assert err.value.rule == "host-unsupported" and asked == []
