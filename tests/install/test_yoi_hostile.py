"""Hostile input around Yoi packages: tampered files are refused with exit 3 before a byte is
placed (store, lock and Profile untouched); a kill during install leaves the old or the new
store; a workspace that tries to enable its own package through files Yoi no longer reads
gets a note, and the package stays disabled. Nothing of a plugin runs."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from plugin_kit.hosts import YOI
from plugin_kit.installer.audit import read_audit
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.stores import user_store


def snapshot(home: Path) -> dict[str, bytes]:
    """Every file of the Yoi store and of Yoi's config folder."""
    out = {}
    for root in (home / ".local" / "share" / "yoi", home / ".config" / "yoi"):
        for p in sorted(root.rglob("*")) if root.exists() else ():
            if p.is_file():
                out[str(p)] = p.read_bytes()
    return out


@pytest.fixture
def enabled_v1(plugin, make_yoi_archive):
    """example.echo 1.0.0 installed and enabled, so that tampering has something to spoil."""
    v1 = make_yoi_archive("no-permissions", "1.0.0")
    assert plugin("install", v1.path, "--sha256", v1.sha256, "--yes").code == 0
    assert plugin("enable", "user:example.echo", "--yes").code == 0
    return v1


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_tampered_file_is_refused_with_exit_3(plugin, make_yoi_archive, enabled_v1, isolated_home):
    before = snapshot(isolated_home)
    v2 = make_yoi_archive("no-permissions", "1.0.1", plugin_id="other.tool")
    sha = v2.sha256
    _flip(v2.path, v2.path.stat().st_size // 2)
    r = plugin("install", v2.path, "--sha256", sha, "--yes")
    assert r.code == 3 and "crc-mismatch" in r.err, r.err  # the plan's strict read of the file
    assert snapshot(isolated_home) == before
    # A good file with the wrong --sha256: refused after the download copy is hashed.
    good = make_yoi_archive("no-permissions", "1.0.1", plugin_id="other.tool")
    r = plugin("install", good.path, "--sha256", "0" * 64, "--yes")
    assert r.code == 3 and "archive-sha256" in r.err, r.err
    assert snapshot(isolated_home) == before
    assert read_audit()[-1]["outcome"] == "refused"


def test_unsigned_or_wrongly_signed_file_is_refused(
    plugin, make_yoi_archive, enabled_v1, isolated_home, keys
):
    from plugin_kit.signing.signatures import sign_file

    before = snapshot(isolated_home)
    pkg = make_yoi_archive("no-permissions", "1.0.0", plugin_id="signed.tool")
    sig = pkg.path.with_name(pkg.path.name + ".minisig")
    r = plugin("install", pkg.path, "--pubkey", keys["release"].public, "--yes")
    assert r.code == 3 and "signature-missing" in r.err, r.err
    sig.write_text(sign_file(pkg.path, keys["catalog"].secret))  # another key
    r = plugin("install", pkg.path, "--pubkey", keys["release"].public, "--yes")
    assert r.code == 3 and "signing." in r.err, r.err
    assert snapshot(isolated_home) == before


def test_package_the_strict_reader_refuses_is_not_placed(
    plugin, tmp_path, enabled_v1, isolated_home
):
    from helpers.zips import Entry, yoi_entries, zip_bytes

    before = snapshot(isolated_home)
    bad = tmp_path / "evil.yoi-plugin"
    bad.write_bytes(zip_bytes([*yoi_entries(), Entry("../escape.txt", b"x")]))
    sha = hashlib.sha256(bad.read_bytes()).hexdigest()
    r = plugin("install", bad, "--sha256", sha, "--yes")
    assert r.code == 3, (r.code, r.err)
    assert snapshot(isolated_home) == before


def test_a_store_journal_naming_a_file_outside_is_refused(plugin, make_yoi_archive, isolated_home):
    store = user_store(YOI)
    store.root.mkdir(parents=True)
    (store.root / ".txn.json").write_text(
        '{"ops": [{"op": "delete", "final": "../profiles.toml"}]}'
    )
    pkg = make_yoi_archive()
    r = plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes")
    assert r.code != 0 and "store-journal" in r.err
    # Only our lock and package names are store files in a Yoi store.
    (store.root / ".txn.json").write_text(
        '{"ops": [{"op": "delete", "final": "x.insomnia-plugin"}]}'
    )
    assert "store-journal" in plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").err


@pytest.mark.parametrize("point", ["cache:renamed", "txn:staged:plugins.lock", "txn:journal",
                                   "txn:replace:example.echo.yoi-plugin", "txn:committed"])  # fmt: skip
def test_killed_install_leaves_old_or_new(point, plugin, make_yoi_archive, isolated_home):
    pkg = make_yoi_archive()
    env = {**os.environ, "PLUGIN_KIT_CRASH_AT": point}
    code = "from plugin_kit.cli.main import main; main()"
    args = ["install", str(pkg.path), "--sha256", pkg.sha256, "--yes"]
    killed = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert killed.returncode == 86, killed.stderr
    store = user_store(YOI)
    r = plugin("verify", "--all", "--json")  # a reader: rolls a journal forward first
    files = sorted(p.name for p in store.archives())
    lock = read_lock(store)
    assert (files, sorted(lock)) in ((["example.echo.yoi-plugin"], ["example.echo"]), ([], [])), (
        r.out
    )
    assert r.json()["ok"], r.out
    assert not [p for p in store.root.glob("*") if ".tmp-" in p.name]
    assert (
        plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    )  # a re-run ends it


@pytest.mark.parametrize("where", [".yoi/override.local.toml", ".yoi/profiles.toml"])
def test_workspace_enabling_its_own_package_is_not_read_by_yoi(
    where, plugin, make_yoi_archive, tmp_path
):
    ws = tmp_path / "repo"
    ws.mkdir()
    pkg = make_yoi_archive("request+websocket")
    r = plugin("install", pkg.path, "--project", "--workspace", ws, "--sha256", pkg.sha256, "--yes")
    assert r.code == 0, r.err
    broad = (
        '[feature.plugins]\nenabled = true\n[[plugins.enabled]]\nid = "project:example.echo"\n'
        '[plugins.enabled.grants]\nid = "project:example.echo"\n'
        'permissions = [{ kind = "host_api", api = "fs" }]\nfs = [{ root = "/", operations = ["read", "list", "write"] }]\n'
    )
    if where.endswith("override.local.toml"):
        (ws / where).write_text(broad)
    else:
        (ws / ".yoi" / "evil.toml").write_text(broad)
        (ws / where).write_text('default = "evil"\n[profile.evil]\npath = "evil.toml"\n')
    listed = plugin("list", "--workspace", ws, "--json").json()
    (p,) = [p for p in listed["packages"] if p["ref"] == "project:example.echo"]
    assert p["status"] == "disabled" and p["running_digest"] is None
    assert any(d["rule"] == "workspace-enablement-ignored" for d in p["diagnostics"])
    assert any("Yoi does not read" in n and "b12e0785" in n for n in listed["yoi_notes"])
    text = plugin("list", "--workspace", ws).out
    assert "Yoi does not read" in text and "disabled" in text
    from plugin_kit.installer.api import resolve_enabled

    assert resolve_enabled(ws) == []


@pytest.fixture
def tamper_site(publisher, make_archive, plugin, tmp_path):
    from catalog.releases import YOI_REQUESTS, write_yoi_project

    from plugin_kit.packer.writer import pack

    publisher.release(make_archive("weather-tools", "1.0.0"))
    root = write_yoi_project(tmp_path / "src-yoi", "example.Echo", "1.0.0", YOI_REQUESTS)
    publisher.release(pack(root, tmp_path / "dist-yoi"))
    r = plugin("catalog", "add", publisher.url, "--name", "acme", "--pubkey",
               publisher.catalog_key.public)  # fmt: skip
    assert r.code == 0, r.err
    return publisher


def _tamper_cases() -> list[str]:
    from install.test_yoi_resolve import TAMPERING

    return sorted(TAMPERING)


@pytest.mark.parametrize("case", _tamper_cases())
def test_tampered_catalog_release_through_the_cli(
    case, tamper_site, enabled_v1, plugin, isolated_home, tmp_path
):
    """The catalog tamper cases (test_yoi_resolve.TAMPERING) through `plugin install NAME`,
    user and project: exit 3; the stores, locks and the Yoi Profile are as they were."""
    from install.test_yoi_resolve import TAMPERING

    mutate, rule = TAMPERING[case]
    mutate(tamper_site)
    assert plugin("catalog", "refresh", "acme").code == 0
    ws = tmp_path / "ws"
    ws.mkdir()
    before = snapshot(isolated_home)
    for extra in ((), ("--project", "--workspace", ws)):
        r = plugin("install", "example.Echo", "--yes", *extra)
        assert r.code == 3 and rule in r.err, (r.code, r.err)
        assert snapshot(isolated_home) == before
        assert not (ws / ".yoi").exists()
        assert read_audit()[-1]["outcome"] == "refused"
