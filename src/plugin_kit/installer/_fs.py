"""Crash-safe file primitives: atomic writes, fsync, read-only trees, locks, crash checkpoints."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from glob import escape as glob_escape
from pathlib import Path

from plugin_kit.errors import InstallError, LockTimeoutError
from plugin_kit.fsio import fsync_dir, write_atomic
from plugin_kit.installer.paths import lock_timeout, make_dir

__all__ = [
    "atomic_write",
    "fsync_dir",
    "fsync_file",
    "checkpoint",
    "file_lock",
    "remove_write_temps",
    "temp_sibling",
]

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


@contextlib.contextmanager
def file_lock(path: Path, *, what: str) -> Iterator[None]:
    """An inter-process lock (filelock); a timeout becomes LockTimeoutError (exit 5)."""
    from filelock import FileLock, Timeout

    make_dir(path.parent)
    lock = FileLock(str(path), timeout=lock_timeout())
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockTimeoutError(
            f"timed out waiting for the {what} lock",
            rule="lock-timeout",
            place=str(path),
            hint="another plugin command is running; wait for it or raise PLUGIN_KIT_LOCK_TIMEOUT",
        ) from exc
    except OSError as exc:
        raise InstallError(
            f"cannot take the {what} lock: {exc.strerror}", rule="lock-io", place=str(path)
        ) from exc
    try:
        yield
    finally:
        lock.release()
