"""Yoi packages from a signed file:// catalog: install by name, enable, and the two upgrades.

Yoi runs only the package its store holds, checked against the pinned digest, and never falls
back (plugin.rs `resolve_enabled_plugins`). An upgrade whose requests grew keeps the old file
and pin (Yoi keeps running it) and waits as needing a grant; `plugin enable` then pins and
swaps in one command. One whose requests did not grow is swapped and re-pinned at once."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import yoi_host_config as host


def store_dir(home: Path) -> Path:
    return home / ".local" / "share" / "yoi" / "plugins"


def the_entry(home: Path) -> dict:
    reg = host.read_registry(home / ".config" / "yoi" / "profiles.toml")
    (entry,) = host.read_profile(reg["plugins"])["plugins"]["enabled"]
    return entry


def status(plugin, tmp_path: Path) -> dict:
    r = plugin("list", "--workspace", tmp_path, "--json")
    assert r.code == 0, r.err
    return {p["ref"]: p for p in r.json()["packages"]}["user:example.echo"]


@pytest.fixture
def installed(install_yoi_file):
    """example.echo 1.0.0 (no requests) installed from a file into the user store."""
    return install_yoi_file("no-permissions")


def upgrade_to(pack) -> dict:
    """What `plugin upgrade` does once the catalog's new version is verified (run_install's
    place_archive with carry_grants); the catalog path is tested in test_yoi_e2e.py."""
    from plugin_kit.hosts import YOI
    from plugin_kit.installer.place import place_archive
    from plugin_kit.installer.stores import user_store

    return place_archive(pack.path, user_store(YOI), source={"type": "file"},
                         replace=True, carry_grants=True).to_dict()  # fmt: skip


def test_upgrade_with_more_requests_waits_for_enable(
    plugin, make_yoi_archive, installed, isolated_home, tmp_path
):
    yoi_site = installed
    assert plugin("enable", "user:example.echo", "--grant-requested", "--yes").code == 0
    assert status(plugin, tmp_path)["status"] == "active"
    old = the_entry(isolated_home)
    assert old["digest"] == yoi_site.digest

    grown = make_yoi_archive("request+websocket", "1.1.0")
    res = upgrade_to(grown)
    assert res["waiting"] and res["version"] == "1.1.0"
    assert any(line.startswith("request ") for line in res["grown"]), res["grown"]
    # The store keeps the old file, the Profile the old pin: Yoi keeps running 1.0.0.
    assert (store_dir(isolated_home) / "example.echo.yoi-plugin").read_bytes() == (
        yoi_site.path.read_bytes()
    )
    assert the_entry(isolated_home) == old
    st = status(plugin, tmp_path)
    assert st["status"] == "active" and st["running_version"] == "1.0.0"
    assert any(d["rule"] == "needs-grant" for d in st["diagnostics"])
    assert st["missing_grants"]

    # The waiting version's tree and archive survive `cache gc` (the lock's `pending` names them).
    assert plugin("cache", "gc", "--workspace", tmp_path).code == 0
    r = plugin("enable", "user:example.echo", "--grant-requested", "--yes", "--json")
    assert r.code == 0, r.err
    assert r.json()["swapped_from"] == "1.0.0"
    new = the_entry(isolated_home)
    assert (new["version"], new["digest"]) == ("1.1.0", grown.digest)
    assert host.binding_error(new["grants"], new["id"], grown.digest, "1.1.0") is None
    assert (store_dir(isolated_home) / "example.echo.yoi-plugin").read_bytes() == (
        grown.path.read_bytes()
    )
    lock = tomllib.loads((store_dir(isolated_home) / "plugins.lock").read_text())["plugin"][0]
    assert lock["version"] == "1.1.0" and "pending" not in lock
    assert status(plugin, tmp_path)["status"] == "active"


def test_upgrade_without_more_requests_is_repinned(
    plugin, make_yoi_archive, installed, isolated_home, tmp_path
):
    assert plugin("enable", "user:example.echo", "--yes").code == 0
    same = make_yoi_archive("no-permissions", "1.0.1")
    res = upgrade_to(same)
    assert res["grants_carried"] and not res["waiting"]
    entry = the_entry(isolated_home)
    assert (entry["version"], entry["digest"]) == ("1.0.1", same.digest)
    assert host.binding_error(entry["grants"], entry["id"], same.digest, "1.0.1") is None
    assert status(plugin, tmp_path)["status"] == "active"


def test_upgrade_of_a_disabled_package_swaps(
    plugin, make_yoi_archive, installed, isolated_home, tmp_path
):
    res = upgrade_to(make_yoi_archive("request+websocket", "1.1.0"))
    assert not res["waiting"] and res["previous_version"] == "1.0.0"
    st = status(plugin, tmp_path)
    assert (st["version"], st["status"]) == ("1.1.0", "disabled")


def test_killed_enable_swap_is_finished_by_the_next_command(
    plugin, make_yoi_archive, installed, isolated_home, tmp_path
):
    assert plugin("enable", "user:example.echo", "--yes").code == 0
    grown = make_yoi_archive("request+websocket", "1.1.0")
    assert upgrade_to(grown)["waiting"]
    killed = cli_killed_at(
        "yoi-enable:pinned", "enable", "user:example.echo", "--grant-requested", "--yes"
    )
    assert killed.returncode == 86, killed.stderr
    # The Profile pins 1.1.0, the store still holds 1.0.0: the next reader finishes the swap.
    assert the_entry(isolated_home)["version"] == "1.1.0"
    lock = tomllib.loads((store_dir(isolated_home) / "plugins.lock").read_text())["plugin"][0]
    assert lock["version"] == "1.0.0" and lock["pending"]["version"] == "1.1.0"
    st = status(plugin, tmp_path)
    assert (st["version"], st["status"]) == ("1.1.0", "active")
    assert (store_dir(isolated_home) / "example.echo.yoi-plugin").read_bytes() == (
        grown.path.read_bytes()
    )


@pytest.mark.parametrize(
    "point", ["txn:journal", "txn:staged:plugins.lock", "yoi-enable:profile-written"]
)
def test_killed_upgrade_leaves_old_or_new(
    plugin, make_yoi_archive, installed, isolated_home, tmp_path, point
):
    assert plugin("enable", "user:example.echo", "--yes").code == 0
    same = make_yoi_archive("no-permissions", "1.0.1")
    killed = killed_at(
        point,
        f"from tests.install.test_yoi_upgrade import upgrade_to_path; upgrade_to_path({str(same.path)!r})",
    )
    assert killed.returncode == 86, killed.stderr
    st = status(plugin, tmp_path)
    assert (st["version"], st["status"]) in {("1.0.0", "active"), ("1.0.1", "active")}, st
    upgrade_to(same)  # a re-run finishes
    st = status(plugin, tmp_path)
    assert (st["version"], st["status"]) == ("1.0.1", "active")
    assert the_entry(isolated_home)["digest"] == same.digest


def cli_killed_at(point: str, *args: str) -> subprocess.CompletedProcess[str]:
    return killed_at(point, "from plugin_kit.cli.main import main; main()", *args)


def killed_at(point: str, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLUGIN_KIT_CRASH_AT": point}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parents[2]), str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    return subprocess.run([sys.executable, "-c", code, *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def upgrade_to_path(path: str) -> None:
    from types import SimpleNamespace

    upgrade_to(SimpleNamespace(path=Path(path)))


def test_an_unreadable_profile_stops_the_upgrade(
    plugin, make_yoi_archive, installed, isolated_home
):
    from plugin_kit.errors import PluginKitError

    assert plugin("enable", "user:example.echo", "--yes").code == 0
    reg = host.read_registry(isolated_home / ".config" / "yoi" / "profiles.toml")["plugins"]
    reg.write_text("this is = = not toml")
    with pytest.raises(PluginKitError):
        upgrade_to(make_yoi_archive("no-permissions", "1.0.1"))
    assert (store_dir(isolated_home) / "example.echo.yoi-plugin").read_bytes() == (
        installed.path.read_bytes()
    )
