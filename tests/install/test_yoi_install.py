""".yoi-plugin packages through the CLI from local files: placed where Yoi discovers them, with
our lock, cache and audit log; enabled in a Profile the host's reader accepts; listed with the
host's own status words; disabled, verified and uninstalled. Nothing of a plugin runs."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from helpers import yoi_host_config as host

from plugin_kit.hosts import YOI
from plugin_kit.installer.audit import read_audit


def data_store(home: Path) -> Path:
    return home / ".local" / "share" / "yoi" / "plugins"  # plugin.rs `plugin_stores`


def registry(home: Path) -> Path:
    return home / ".config" / "yoi" / "profiles.toml"


def lock(store: Path) -> dict:
    return tomllib.loads((store / "plugins.lock").read_text())


def listed(plugin, ws: Path) -> dict[str, dict]:
    r = plugin("list", "--workspace", ws, "--json")
    assert r.code == 0, r.err
    return {p["ref"]: p for p in r.json()["packages"]}


def profile_doc(home: Path) -> dict:
    reg = host.read_registry(registry(home))
    return host.read_profile(reg["plugins"])


def test_install_file_user_store_where_yoi_looks(plugin, make_yoi_archive, isolated_home, tmp_path):
    pkg = make_yoi_archive()
    r = plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes", "--json")
    assert r.code == 0, r.err
    out = r.json()
    store = data_store(isolated_home)
    assert out["ref"] == "user:example.echo" and out["host"] == "yoi"
    assert out["store_path"] == str(store / "example.echo.yoi-plugin")
    assert (store / "example.echo.yoi-plugin").read_bytes() == pkg.path.read_bytes()
    entry = lock(store)["plugin"][0]
    assert (entry["id"], entry["host"], entry["content_digest"]) == (
        "example.echo",
        "yoi",
        pkg.digest,
    )
    assert entry["requested_capabilities"]["request"][0]["host"] == "api.example.com"
    assert (Path(out["cache_path"]) / "plugin.toml").is_file()
    assert read_audit()[-1]["action"] == "install" and read_audit()[-1]["outcome"] == "ok"
    # Yoi's discovery takes only `*.yoi-plugin` names: our lock and lock file are not counted.
    assert sorted(p.suffix for p in store.iterdir()) == [".lock", ".lock", ".yoi-plugin"]
    pkgs = listed(plugin, tmp_path)
    assert pkgs["user:example.echo"]["status"] == "disabled"
    assert pkgs["user:example.echo"]["host"] == "yoi"


def test_project_install_enable_list_active_disable_uninstall(
    plugin, make_yoi_archive, isolated_home, tmp_path
):
    ws = tmp_path / "ws"
    ws.mkdir()
    pkg = make_yoi_archive()
    r = plugin("install", pkg.path, "--project", "--workspace", ws, "--sha256", pkg.sha256, "--yes")
    assert r.code == 0, r.err
    assert (ws / ".yoi" / "plugins" / "example.echo.yoi-plugin").is_file()
    assert "project:example.echo" in r.out

    r = plugin("enable", "project:example.echo", "--workspace", ws, "--grant-requested")
    assert r.code == 4 and not registry(isolated_home).exists()  # no terminal, no --yes

    r = plugin("enable", "project:example.echo", "--workspace", ws, "--grant-requested", "--yes")
    assert r.code == 0, r.err
    doc = profile_doc(isolated_home)
    assert host.switch_on(doc)
    (entry,) = doc["plugins"]["enabled"]
    assert (entry["id"], entry["version"], entry["digest"]) == (
        "project:example.echo",
        "1.0.0",
        pkg.digest,
    )
    assert host.binding_error(entry["grants"], entry["id"], pkg.digest, "1.0.0") is None
    assert entry["grants"]["request"][0]["host"] == "api.example.com"

    pkgs = listed(plugin, ws)
    assert pkgs["project:example.echo"]["status"] == "active"
    assert pkgs["project:example.echo"]["running_digest"] == pkg.digest
    text = plugin("list", "--workspace", ws).out
    assert "project:example.echo" in text and "active" in text and "(Yoi)" in text

    r = plugin("verify", "project:example.echo", "--workspace", ws, "--json")
    assert r.code == 0 and r.json()["ok"], r.out

    r = plugin("disable", "project:example.echo", "--workspace", ws)
    assert r.code == 0, r.err
    assert "plugins" not in profile_doc(isolated_home)
    assert listed(plugin, ws)["project:example.echo"]["status"] == "disabled"

    r = plugin("uninstall", "project:example.echo", "--workspace", ws, "--json")
    assert r.code == 0, r.err
    assert not (ws / ".yoi" / "plugins" / "example.echo.yoi-plugin").exists()
    assert lock(ws / ".yoi" / "plugins").get("plugin", []) == []
    assert "project:example.echo" not in listed(plugin, ws)


def test_enable_prints_every_grant_and_profile_creation(plugin, make_yoi_archive, tmp_path):
    pkg = make_yoi_archive()
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    r = plugin("enable", "user:example.echo", "--grant-requested", "--json", "--yes")
    assert r.code == 0, r.err
    out = r.json()
    lines = out["lines"]
    assert any("create" in line.lower() and "Profile" in line for line in lines), lines
    assert any(line.startswith("grant request https://api.example.com") for line in lines), lines
    assert any(line.startswith("grant websocket") for line in lines), lines
    assert out["entry"]["digest"] == pkg.digest


def test_uninstall_removes_profile_entry_and_package(plugin, make_yoi_archive, isolated_home):
    pkg = make_yoi_archive()
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    assert plugin("enable", "user:example.echo", "--grant-requested", "--yes").code == 0
    r = plugin("uninstall", "user:example.echo", "--json")
    assert r.code == 0, r.err
    assert r.json()["profile_entries_removed"] == 1
    assert "plugins" not in profile_doc(isolated_home)
    assert not (data_store(isolated_home) / "example.echo.yoi-plugin").exists()
    assert [a["action"] for a in read_audit()][-2:] == ["disable", "uninstall"]


def test_verify_rehashes_with_the_yoi_digest(plugin, make_yoi_archive, isolated_home):
    pkg = make_yoi_archive()
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    r = plugin("verify", "--all", "--json")
    assert r.code == 0 and r.json()["ok"], r.out
    store_file = data_store(isolated_home) / "example.echo.yoi-plugin"
    data = bytearray(store_file.read_bytes())
    data[-30] ^= 1
    store_file.write_bytes(bytes(data))
    r = plugin("verify", "--all", "--json")
    assert not json.loads(r.out)["ok"]
    assert r.json()["problems"][0]["check"] == "store file"


def test_dotted_upper_case_id(plugin, make_yoi_archive, isolated_home, tmp_path):
    pkg = make_yoi_archive("no-permissions", plugin_id="Example.Echo.V2")
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    assert (data_store(isolated_home) / f"Example.Echo.V2{YOI.suffix}").is_file()
    assert plugin("enable", "user:Example.Echo.V2", "--yes").code == 0
    assert listed(plugin, tmp_path)["user:Example.Echo.V2"]["status"] == "active"


def test_library_discover_and_resolve_enabled_cover_yoi(plugin, make_yoi_archive, isolated_home):
    from plugin_kit.installer.api import discover, resolve_enabled

    pkg = make_yoi_archive()
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    [found] = discover(None)
    assert (found.ref, found.host, found.status, found.digest) == (
        "user:example.echo",
        "yoi",
        "disabled",
        pkg.digest,
    )
    assert resolve_enabled(None) == []
    assert plugin("enable", "user:example.echo", "--grant-requested", "--yes").code == 0
    [loaded] = resolve_enabled(None)
    assert (loaded.ref, loaded.version, loaded.digest) == ("user:example.echo", "1.0.0", pkg.digest)
    assert (Path(loaded.cache_path) / "plugin.toml").is_file()
    assert loaded.grants["request"][0]["host"] == "api.example.com"
    assert "tool" in loaded.surfaces
    # Without the plugins feature switch Yoi's worker loads nothing: neither do we report it.
    reg = host.read_registry(registry(isolated_home))["plugins"]
    reg.write_text(reg.read_text().replace("enabled = true", "enabled = false", 1))
    assert resolve_enabled(None) == []
    assert discover(None)[0].status == "active"  # `yoi plugin list` still says active


def test_killed_enable_leaves_old_or_new_profile(plugin, make_yoi_archive, isolated_home):
    import os
    import subprocess
    import sys

    pkg = make_yoi_archive()
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    env = {**os.environ, "PLUGIN_KIT_CRASH_AT": "yoi-enable:profile-written"}
    code = "from plugin_kit.cli.main import main; main()"
    killed = subprocess.run(
        [sys.executable, "-c", code, "enable", "user:example.echo", "--grant-requested", "--yes"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert killed.returncode == 86, killed.stderr
    # The Profile is written whole; it is not registered yet, so Yoi reads no enablement.
    assert not registry(isolated_home).exists()
    artifacts = list((isolated_home / ".config" / "yoi").rglob("*.toml"))
    for a in artifacts:
        host.read_profile(a)
    assert plugin("enable", "user:example.echo", "--grant-requested", "--yes").code == 0
    assert profile_doc(isolated_home)["plugins"]["enabled"][0]["digest"] == pkg.digest


def test_grant_adds_and_revoke_removes(plugin, make_yoi_archive, isolated_home):
    pkg = make_yoi_archive()
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    target = "request=https://api.example.com GET,POST /v1/"
    r = plugin("enable", "user:example.echo", "--grant", "permission=host_api.request",
               "--grant", target, "--yes")  # fmt: skip
    assert r.code == 0, r.err
    assert "grant request https://api.example.com" in r.err  # shown before writing, even with --yes
    g = profile_doc(isolated_home)["plugins"]["enabled"][0]["grants"]
    assert g["permissions"] == [{"kind": "host_api", "api": "request"}]
    assert g["request"][0]["path_prefixes"] == ["/v1/"]
    r = plugin("enable", "user:example.echo", "--grant", "fs=/srv/data:read,list", "--yes")
    g = profile_doc(isolated_home)["plugins"]["enabled"][0]["grants"]
    assert g["fs"] == [{"root": "/srv/data", "operations": ["read", "list"]}] and g["request"]
    r = plugin("enable", "user:example.echo", "--revoke", target, "--yes", "--json")
    assert r.code == 0 and r.json()["revoked"], r.out
    g = profile_doc(isolated_home)["plugins"]["enabled"][0]["grants"]
    assert "request" not in g and g["fs"]
    bad = plugin("enable", "user:example.echo", "--grant", "network=x", "--yes")
    assert bad.code == 2 and "yoi-grant-syntax" in bad.err


def test_killed_uninstall_is_finished_by_a_rerun(plugin, make_yoi_archive, isolated_home):
    import os
    import subprocess
    import sys

    pkg = make_yoi_archive()
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    assert plugin("enable", "user:example.echo", "--yes").code == 0
    env = {**os.environ, "PLUGIN_KIT_CRASH_AT": "yoi-uninstall:disabled"}
    code = "from plugin_kit.cli.main import main; main()"
    killed = subprocess.run([sys.executable, "-c", code, "uninstall", "user:example.echo"],
                            env=env, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert killed.returncode == 86, killed.stderr
    assert "plugins" not in profile_doc(isolated_home)  # disabled, still installed
    assert (data_store(isolated_home) / "example.echo.yoi-plugin").is_file()
    assert plugin("uninstall", "user:example.echo").code == 0
    assert not (data_store(isolated_home) / "example.echo.yoi-plugin").exists()


def test_list_gives_the_hosts_words_for_a_swapped_file_and_a_missing_one(
    plugin, make_yoi_archive, isolated_home, tmp_path
):
    """A store file replaced by hand (another valid package): Yoi's digest pin refuses it,
    `rejected` with the host's message, and our lock says it differs. Then removed: `missing`."""
    pkg = make_yoi_archive()
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    assert plugin("enable", "user:example.echo", "--grant-requested", "--yes").code == 0
    other = make_yoi_archive("request+websocket", "1.0.1")
    store_file = data_store(isolated_home) / "example.echo.yoi-plugin"
    store_file.write_bytes(other.path.read_bytes())
    p = listed(plugin, tmp_path)["user:example.echo"]
    assert p["status"] == "rejected" and p["running_digest"] is None
    rules = {d["rule"] for d in p["diagnostics"]}
    assert {"yoi-rejected", "lock-mismatch"} <= rules
    assert any("digest pin does not match" in d["message"] for d in p["diagnostics"])
    assert plugin("verify", "--all", "--json").json()["ok"] is False
    store_file.unlink()
    p = listed(plugin, tmp_path)["user:example.echo"]
    assert p["status"] == "missing"


def test_a_file_named_for_another_id_is_listed_as_yoi_reads_it(
    plugin, make_yoi_archive, isolated_home, tmp_path
):
    """Yoi takes the identity from the manifest (the file name is a label): `user:example.echo`
    is discovered from `renamed.yoi-plugin`; our lock-side finding stays on the file's name."""
    pkg = make_yoi_archive()
    store = data_store(isolated_home)
    store.mkdir(parents=True)
    (store / "renamed.yoi-plugin").write_bytes(pkg.path.read_bytes())
    pkgs = listed(plugin, tmp_path)
    assert pkgs["user:example.echo"]["status"] == "disabled"
    assert pkgs["user:example.echo"]["path"] == str(store / "renamed.yoi-plugin")
    assert pkgs["user:renamed"]["status"] == "rejected"
    assert pkgs["user:renamed"]["diagnostics"][0]["rule"] == "id-mismatch"


def test_a_profile_enabling_a_package_whose_store_is_gone_is_still_listed_missing(
    plugin, make_yoi_archive, isolated_home, tmp_path
):
    """`plugin list` skips Yoi's discovery only when nothing of Yoi's exists (no store folder,
    no config folder); a Profile alone still names what it enables."""
    import shutil

    pkg = make_yoi_archive()
    assert plugin("install", pkg.path, "--sha256", pkg.sha256, "--yes").code == 0
    assert plugin("enable", "user:example.echo", "--grant-requested", "--yes").code == 0
    shutil.rmtree(data_store(isolated_home))
    assert listed(plugin, tmp_path)["user:example.echo"]["status"] == "missing"
    shutil.rmtree(isolated_home / ".config" / "yoi")
    assert "user:example.echo" not in listed(plugin, tmp_path)
