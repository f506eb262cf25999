"""The installer killed at random checkpoints, and two installs into one store at once.

A forked child runs upgrade → uninstall → install with PLUGIN_KIT_CRASH_AT=<n>, so it dies
(os._exit) at the n-th durable step. After each death every store must hold the old or the
new state, plugins.lock must parse and `plugin verify --all` must pass.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plugin_kit.installer import _fs
from plugin_kit.installer.install import plan_install, run_install
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.manage import uninstall, verify_installed
from plugin_kit.installer.stores import user_store
from plugin_kit.packer.reader import remove_tree


def _scenario(site) -> None:
    """upgrade 1.0.0 → 1.1.0, uninstall, install 1.0.0 again."""
    store = user_store()
    run_install(plan_install("weather-tools", store), allow_replace=True)
    uninstall("weather-tools", None)
    run_install(plan_install("weather-tools@1.0.0", store))


def _run_child(site, crash_at: int, count_file: Path) -> int:
    pid = os.fork()
    if pid == 0:  # child: die at the n-th checkpoint, or report how many there were
        code = 0
        try:
            os.environ["PLUGIN_KIT_CRASH_AT"] = str(crash_at)
            _fs._crash_counter = 0
            _scenario(site)
            count_file.write_text(str(_fs._crash_counter))
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
    assert not list(user_store().root.glob(".*.tmp-*")), "the next run removes temp files"
    assert plugin("verify", "--all").code == 0


# The fork is deliberate: 100 crash points in forked children cost seconds, not 100 interpreter starts.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_killed_at_100_random_points(
    site, plugin, make_archive, isolated_home: Path, tmp_path: Path
) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
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
