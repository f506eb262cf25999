"""The installer killed at random and at named checkpoints, and two installs at once.

A forked child runs upgrade → uninstall → install with PLUGIN_KIT_CRASH_AT=<n>, so it dies
(os._exit) at the n-th durable step. After each death every store must hold the old or the
new state, plugins.lock must parse and `plugin verify --all` must pass. Named points
(PLUGIN_KIT_CRASH_AT=txn:committed, ...) stop uninstall, upgrade and enable where store,
lock and grants could part: the grants must change with the store or not at all, and a
re-run finishes the command.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from plugin_kit.installer import _fs
from plugin_kit.installer.api import discover, resolve_enabled
from plugin_kit.installer.enablement import load_enablements
from plugin_kit.installer.install import plan_install, run_install
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.manage import enable, uninstall, upgrade, verify_installed
from plugin_kit.installer.stores import known_workspaces, user_store, workspace_store
from plugin_kit.packer.reader import remove_tree


def _scenario(site) -> None:
    """upgrade 1.0.0 → 1.1.0 (the grant moves), uninstall, install 1.0.0 again (disabled)."""
    upgrade(["weather-tools"], None)
    uninstall("weather-tools", None)
    run_install(plan_install("weather-tools@1.0.0", user_store()))


def _run_child(site, crash_at: int, count_file: Path) -> int:
    def scenario() -> None:
        _scenario(site)
        count_file.write_text(str(_fs._crash_counter))

    return _killed_at(str(crash_at), scenario)


def _killed_at(crash_at: str, action: Callable[[], object]) -> int:
    """Run `action` in a forked child that dies at checkpoint `crash_at` (a count or a name);
    86 means it died there, 0 that it finished, 1 that it failed."""
    pid = os.fork()
    if pid == 0:  # child: die at the checkpoint, or finish
        code = 0
        try:
            os.environ["PLUGIN_KIT_CRASH_AT"] = crash_at
            _fs._crash_counter = 0
            action()
        except BaseException:
            code = 1
        os._exit(code)
    # A fork of a threaded process can deadlock in the child; never let that hang the suite.
    deadline = time.monotonic() + 120
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"the child stopping at checkpoint {crash_at} hung")
        time.sleep(0.005)


def _state_is_old_or_new(plugin) -> None:
    report = verify_installed([], None, all_=True)
    assert report.ok, report.problems
    entries = read_lock(user_store())
    assert set(entries) <= {"weather-tools"}
    if entries:
        assert entries["weather-tools"].version in ("1.0.0", "1.1.0")
    # A grant applies to the installed version or to nothing, never to what was there before.
    for running in resolve_enabled(None):
        assert running.digest == entries["weather-tools"].content_digest
    assert not list(user_store().root.glob(".*.tmp-*")), "the next run removes temp files"
    assert plugin("verify", "--all").code == 0


# The fork is deliberate: 100 crash points in forked children cost seconds, not 100 interpreter starts.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_killed_at_100_random_points(
    site, plugin, make_archive, isolated_home: Path, tmp_path: Path
) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    site.release(make_archive("weather-tools", "1.1.0"))
    assert plugin("catalog", "refresh").code == 0
    baseline = tmp_path / "baseline"
    shutil.copytree(isolated_home, baseline, symlinks=True)
    count_file = tmp_path / "count"
    assert _run_child(site, 10**9, count_file) == 0
    total = int(count_file.read_text())
    assert total >= 20, "the scenario should pass many checkpoints"
    rng = random.Random(5)
    points = [rng.randint(1, total) for _ in range(100)]
    for n in points:
        remove_tree(isolated_home)
        shutil.copytree(baseline, isolated_home, symlinks=True)
        assert _run_child(site, n, count_file) == 86, f"checkpoint {n} did not stop the child"
        _state_is_old_or_new(plugin)


def test_two_installs_into_one_store_at_once(site, plugin, make_archive, tmp_path: Path) -> None:
    site.release(make_archive("rain-tools", "1.0.0", keyword="rain"))
    assert plugin("catalog", "refresh").code == 0
    cmd = [sys.executable, "-m", "plugin_kit", "install", "--yes"]
    procs = [
        subprocess.Popen(
            [*cmd, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy()
        )
        for name in ("weather-tools", "rain-tools", "weather-tools")
    ]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert all(code == 0 for _, _, code in results), results
    entries = read_lock(user_store())
    assert sorted(entries) == ["rain-tools", "weather-tools"]
    assert verify_installed([], None, all_=True).ok


# --- store, lock and grants: one transaction -------------------------------------------------

_FORK_WARNING = "ignore:This process .* is multi-threaded:DeprecationWarning"


def _leftover_temps(isolated_home: Path) -> list[str]:
    return sorted(
        p.name
        for p in isolated_home.rglob(".*")
        if p.is_file() and (".tmp-" in p.name or p.name.endswith(".tmp"))
    )


def _enabled_versions() -> list[tuple[str, str]]:
    return [(p.ref, p.version) for p in resolve_enabled(None)]


def _installed_and_enabled(site, plugin) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    assert _enabled_versions() == [("user:weather-tools", "1.0.0")]


_UNINSTALL_POINTS = [
    "txn:staged:plugins.lock",
    "atomic_write:.txn.json:written",
    "txn:journal",
    "txn:delete:weather-tools.insomnia-plugin",
    "txn:replace:plugins.lock",
    "txn:committed",
    "atomic_write:plugins.toml:written",
]


@pytest.mark.filterwarnings(_FORK_WARNING)
@pytest.mark.parametrize("point", _UNINSTALL_POINTS)
def test_uninstall_killed_leaves_no_live_grant_and_a_rerun_finishes(
    point: str, site, plugin, isolated_home: Path
) -> None:
    _installed_and_enabled(site, plugin)
    assert _killed_at(point, lambda: uninstall("weather-tools", None)) == 86
    listed = plugin("list", "--json")  # a reader: rolls a journal forward
    assert listed.code == 0, listed.err
    installed = bool(read_lock(user_store()))
    # Old state (installed and enabled) or new (gone, its grant with it): never in between.
    assert _enabled_versions() == ([("user:weather-tools", "1.0.0")] if installed else [])
    again = plugin("uninstall", "weather-tools", "--json")
    assert again.code == 0, again.err
    assert read_lock(user_store()) == {} and load_enablements() == []
    assert _leftover_temps(isolated_home) == []
    assert plugin("verify", "--all").code == 0


@pytest.mark.filterwarnings(_FORK_WARNING)
@pytest.mark.parametrize("point", ["txn:committed", "atomic_write:plugins.toml:written"])
def test_reinstall_after_a_killed_uninstall_grants_nothing(point: str, site, plugin) -> None:
    _installed_and_enabled(site, plugin)
    assert _killed_at(point, lambda: uninstall("weather-tools", None)) == 86
    assert plugin("install", "weather-tools@1.0.0", "--yes").code == 0
    [pkg] = discover(None)
    assert (pkg.version, pkg.status) == ("1.0.0", "disabled")
    assert resolve_enabled(None) == []
    assert load_enablements() == []  # the install removed the grant left for the gone install


@pytest.mark.filterwarnings(_FORK_WARNING)
def test_a_stale_grant_never_applies_even_before_it_is_removed(site, plugin) -> None:
    """Uninstall and the next install both killed after their commits: the grant left for
    the first install is still in plugins.toml, and applies to nothing."""
    _installed_and_enabled(site, plugin)
    assert _killed_at("txn:committed", lambda: uninstall("weather-tools", None)) == 86
    reinstall = lambda: run_install(plan_install("weather-tools@1.0.0", user_store()))  # noqa: E731
    assert _killed_at("txn:committed", reinstall) == 86
    assert [r.id for r in load_enablements()] == ["user:weather-tools"]
    [pkg] = plugin("list", "--json").json()["packages"]
    assert pkg["status"] == "disabled"
    assert [d["rule"] for d in pkg["diagnostics"]] == ["grant-stale"]
    assert resolve_enabled(None) == []


_UPGRADE_POINTS = [
    "grants:pending",
    "atomic_write:.txn.json:written",
    "txn:journal",
    "txn:replace:weather-tools.insomnia-plugin",
    "txn:replace:plugins.lock",
    "txn:committed",
    "atomic_write:plugins.toml:written",
]


@pytest.mark.filterwarnings(_FORK_WARNING)
@pytest.mark.parametrize("point", _UPGRADE_POINTS)
def test_upgrade_killed_moves_store_and_grant_together_and_a_rerun_finishes(
    point: str, site, plugin, make_archive, isolated_home: Path
) -> None:
    _installed_and_enabled(site, plugin)
    site.release(make_archive("weather-tools", "1.1.0"))  # asks for nothing more
    assert plugin("catalog", "refresh").code == 0
    assert _killed_at(point, lambda: upgrade(["weather-tools"], None)) == 86
    assert plugin("list", "--json").code == 0
    installed = read_lock(user_store())["weather-tools"].version
    # The enabled version is the installed one: the grant moved with the store, or nothing did.
    assert _enabled_versions() == [("user:weather-tools", installed)]
    again = plugin("upgrade", "weather-tools", "--yes", "--json")
    assert again.code == 0, again.err
    entry = read_lock(user_store())["weather-tools"]
    [rec] = load_enablements()
    assert entry.version == "1.1.0" and _enabled_versions() == [("user:weather-tools", "1.1.0")]
    assert (rec.install_id, rec.digest, rec.pending) == (
        entry.install_id,
        entry.content_digest,
        None,
    )
    assert _leftover_temps(isolated_home) == []
    assert plugin("verify", "--all").code == 0


@pytest.mark.filterwarnings(_FORK_WARNING)
@pytest.mark.parametrize("point", ["enable:locked", "atomic_write:plugins.toml:written"])
def test_enable_killed_enables_nothing_and_a_rerun_enables(
    point: str, site, plugin, isolated_home: Path
) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    killed = _killed_at(point, lambda: enable("weather-tools", None, grant_requested=True))
    assert killed == 86
    assert resolve_enabled(None) == []
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    assert _enabled_versions() == [("user:weather-tools", "1.0.0")]
    assert _leftover_temps(isolated_home) == []


@pytest.mark.filterwarnings(_FORK_WARNING)
def test_killed_workspace_bookkeeping_leaves_no_temp(
    site, plugin, isolated_home: Path, tmp_path: Path
) -> None:
    install = lambda ws: run_install(plan_install("weather-tools", workspace_store(ws)))  # noqa: E731
    assert (
        _killed_at("atomic_write:known-workspaces.json:written", lambda: install(tmp_path / "a"))
        == 86
    )
    assert [p.name for p in (isolated_home / ".cache").rglob(".known-workspaces.json.*")]
    install(tmp_path / "b")
    assert _leftover_temps(isolated_home) == []
    assert sorted(p.name for p in known_workspaces()) == ["b"]


def test_two_installs_of_different_versions_at_once_one_is_refused(
    site, plugin, make_archive, tmp_path: Path
) -> None:
    """Both plan while nothing is installed (the test holds the store lock until both have
    downloaded); then one places its version and the other is refused under the lock."""
    site.release(make_archive("weather-tools", "1.1.0"))
    assert plugin("catalog", "refresh").code == 0
    store = user_store()
    store.root.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "plugin_kit", "install", "--yes", "--json"]
    downloads = Path(os.environ["XDG_CACHE_HOME"]) / "insomnia" / "downloads"
    with _fs.file_lock(store.mutex_path, what="store"):
        procs = [
            subprocess.Popen(
                [*cmd, f"weather-tools@{v}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=os.environ.copy(),
                text=True,
            )
            for v in ("1.0.0", "1.1.0")
        ]
        deadline = time.monotonic() + 120
        while len(list(downloads.glob("*.part"))) < 2:  # both planned and downloading
            alive = all(p.poll() is None for p in procs)
            assert alive and time.monotonic() < deadline, [p.communicate() for p in procs]
            time.sleep(0.01)
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    codes = sorted(code for _, _, code in results)
    assert codes == [0, 2], results
    [refused] = [json.loads(out) for out, _, code in results if code == 2]
    assert refused["error"]["rule"] == "already-installed", refused
    [won] = [json.loads(out)["version"] for out, _, code in results if code == 0]
    assert read_lock(store)["weather-tools"].version == won
    assert verify_installed([], None, all_=True).ok


@pytest.mark.filterwarnings(_FORK_WARNING)
def test_killed_catalogs_toml_write_leaves_no_temp(
    site, plugin, make_archive, isolated_home: Path
) -> None:
    from plugin_kit.installer.catalogs import refresh_catalog

    site.release(make_archive("weather-tools", "1.1.0"))
    assert _killed_at("atomic_write:catalogs.toml:written", lambda: refresh_catalog("acme")) == 86
    assert _leftover_temps(isolated_home) != []
    site.release(make_archive("weather-tools", "1.2.0"))
    assert plugin("catalog", "refresh").code == 0
    assert _leftover_temps(isolated_home) == []
