"""Crash-safe file primitives: atomic writes, fsync, read-only trees, locks, crash checkpoints."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

from plugin_kit.errors import FileRefusedError, InstallError, LockTimeoutError
from plugin_kit.fsio import fsync_dir, write_atomic
from plugin_kit.installer.paths import lock_timeout, locks_dir, make_dir

__all__ = [
    "atomic_write",
    "fsync_dir",
    "fsync_file",
    "checkpoint",
    "file_lock",
    "remove_write_temps",
    "temp_sibling",
]

_log = logging.getLogger(__name__)
_CRASH_ENV = "PLUGIN_KIT_CRASH_AT"
_crash_counter = 0


def checkpoint(label: str) -> None:
    """Test hook: with PLUGIN_KIT_CRASH_AT=<n> the process dies at the n-th checkpoint, with
    PLUGIN_KIT_CRASH_AT=<label> at the first checkpoint of that name (`txn:journal`, ...).

    It lets the crash tests stop the installer between any two durable steps without timing.
    """
    global _crash_counter
    target = os.environ.get(_CRASH_ENV)
    if not target:
        return
    _crash_counter += 1
    if target == label or (target.isdigit() and _crash_counter == int(target)):
        os._exit(86)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_sibling(path: Path, suffix: str = "") -> Path:
    """A fresh, unused name beside `path` (same filesystem, so a rename is atomic)."""
    import tempfile  # with shutil: only commands that write need it

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.tmp-", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(name)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` so readers see the old bytes or the new ones, never a mix."""
    make_dir(path.parent)
    write_atomic(
        path,
        data,
        mode=mode,
        before_replace=lambda: checkpoint(f"atomic_write:{path.name}:written"),
    )


def remove_write_temps(path: Path) -> None:
    """Delete what a killed `atomic_write(path)` left (`.NAME.*.tmp`). Call it under the lock
    that guards writes of `path`, so no live writer's temp is removed."""
    for stray in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        if stray.is_symlink() or stray.is_file():
            stray.unlink(missing_ok=True)


def _owner_path(path: Path) -> Path:
    """Where a lock's holder writes its pid: in our own locks folder, never beside a lock in
    a workspace store (a repository's folder, where a link could redirect the write)."""
    key = hashlib.sha256(os.fsencode(path.absolute())).hexdigest()[:24]
    return locks_dir() / f"owner-{key}.pid"


def _holder(path: Path) -> str:
    """Who holds the lock, from the pid its holder wrote (best effort: only a label)."""
    from plugin_kit.fsio import open_regular

    try:
        with open_regular(_owner_path(path), what="lock owner") as fh:
            pid = fh.read(32).decode("ascii", "replace").strip()
    except (OSError, FileRefusedError):
        return "another process"
    return f"pid {pid}" if pid.isdigit() else "another process"


def forget_lock(path: Path) -> bool:
    """Unlink a lock file and its holder's label, which the caller holds: a process waiting on
    it then takes a lock on a file no longer linked, which filelock (>= 4.2, `_finalize_locked_fd`)
    notices and takes again on a new one. Each is tried alone (a folder planted where the label
    goes must not keep the lock file); whether the lock file is gone."""
    for stale in (_owner_path(path), path):
        with contextlib.suppress(OSError):
            stale.unlink(missing_ok=True)
    return not os.path.lexists(path)


def _write_owner(path: Path) -> None:
    owner = _owner_path(path)
    with contextlib.suppress(OSError):  # only a label for waiters
        make_dir(owner.parent)
        fd = os.open(
            owner, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600
        )
        try:
            os.write(fd, f"{os.getpid()}\n".encode())
        finally:
            os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path, *, what: str, wait: bool = True, label: bool = True) -> Iterator[bool]:
    """An inter-process lock (filelock); a timeout becomes LockTimeoutError (exit 5).

    The holder writes its pid to LOCK.pid, so a waiter can say whom it waits for (a note on
    the "plugin_kit" log, which the CLI shows on stderr); `label=False` writes none (a lock
    whose file goes away with what it guards would leave its label behind). With
    `wait=False` (a cleanup) the lock is taken only if it is free now: the block gets False,
    and holds nothing, when another process (or another take in this one) holds it, or when
    its file cannot be locked at all (a folder, a link, no permission), so a leftover there is
    left alone rather than failing the command that cleans up."""
    from filelock import FileLock

    make_dir(path.parent)
    lock = FileLock(str(path), timeout=lock_timeout())
    if not _take(lock, path, what=what, wait=wait):
        yield False
        return
    try:
        if label:
            _write_owner(path)
        yield True
    finally:
        lock.release()


def _take(lock: Any, path: Path, *, what: str, wait: bool) -> bool:
    from filelock import Timeout

    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not wait:
                return False
            _log.info("waiting for the %s lock held by %s (%s)", what, _holder(path), path)
            lock.acquire()
    except Timeout as exc:
        raise LockTimeoutError(
            f"timed out waiting for the {what} lock held by {_holder(path)}",
            rule="lock-timeout",
            place=str(path),
            hint="another plugin command is running; wait for it or raise PLUGIN_KIT_LOCK_TIMEOUT",
        ) from exc
    except OSError as exc:
        if not wait:
            _log.debug("leaving %s alone: %s", path, exc.strerror)
            return False
        raise InstallError(
            f"cannot take the {what} lock: {exc.strerror}", rule="lock-io", place=str(path)
        ) from exc
    return True
