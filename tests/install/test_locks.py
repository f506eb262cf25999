"""The installer's inter-process lock (installer/_fs.py `file_lock`, filelock): a waiter times
out naming the holder, a killed holder releases it, two takes of one lock exclude each other.
(A workspace store's lock file that is a link is refused before any lock is taken, whatever
the filelock release: tests/install/test_hostile_workspace.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from plugin_kit.errors import LockTimeoutError
from plugin_kit.installer._fs import file_lock

HOLDER = """
import sys
from pathlib import Path
from plugin_kit.installer._fs import file_lock
with file_lock(Path(sys.argv[1]), what="test"):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def holder(isolated_home: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Another process holding the lock at tmp_path/x.lock until it is killed."""
    lock = tmp_path / "x.lock"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    yield lock, proc
    proc.kill()
    proc.wait()


def test_a_held_lock_times_out_naming_its_holder(holder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lock, proc = holder
    monkeypatch.setenv("PLUGIN_KIT_LOCK_TIMEOUT", "0.2")
    with pytest.raises(LockTimeoutError) as err, file_lock(lock, what="test"):
        pass
    assert err.value.rule == "lock-timeout" and f"pid {proc.pid}" in err.value.message


def test_a_killed_holder_releases_the_lock(holder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lock, proc = holder
    monkeypatch.setenv("PLUGIN_KIT_LOCK_TIMEOUT", "20")
    proc.send_signal(signal.SIGKILL)  # no cleanup runs: the kernel drops the lock
    proc.wait()
    taken = []
    with file_lock(lock, what="test"):
        taken.append(lock.exists())
    assert taken == [True]


def test_two_locks_of_one_process_on_one_file_exclude_each_other(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each take is a new FileLock, so a nested take of the same lock waits: callers never
    nest one lock."""
    monkeypatch.setenv("PLUGIN_KIT_LOCK_TIMEOUT", "0.1")
    lock = tmp_path / "y.lock"
    with file_lock(lock, what="test"):
        with pytest.raises(LockTimeoutError), file_lock(lock, what="test"):
            pass
    with file_lock(lock, what="test"):  # released: taken again at once
        pass


def test_a_take_without_waiting_gets_false_while_held_and_true_once_free(holder) -> None:  # type: ignore[no-untyped-def]
    lock, proc = holder
    with file_lock(lock, what="test", wait=False) as free:
        assert free is False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with file_lock(lock, what="test", wait=False) as free:
        assert free is True


def test_a_take_without_a_label_writes_no_owner_file(isolated_home: Path, tmp_path: Path) -> None:
    from plugin_kit.installer.paths import locks_dir

    with file_lock(tmp_path / "quiet.lock", what="test", label=False):
        assert not locks_dir().exists() or list(locks_dir().glob("owner-*.pid")) == []
    with file_lock(tmp_path / "told.lock", what="test"):
        assert len(list(locks_dir().glob("owner-*.pid"))) == 1
