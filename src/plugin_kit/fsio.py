"""Whole-file writes that never leave a half-written file behind, shared by every layer."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["read_limited", "write_atomic", "write_new", "fsync_dir"]


def _temp_sibling(path: Path, data: bytes, mode: int) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        # fchmod before writing, so a secret key is never readable by others even briefly.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside `path` durable (where the filesystem allows it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(
    path: Path, data: bytes, *, mode: int = 0o644, before_replace: Callable[[], None] | None = None
) -> None:
    """Replace `path` with `data` in one step (temp sibling, fsync, os.replace, fsync of the folder).

    `before_replace` runs between the durable temp file and the rename (the installer's crash tests
    stop the process there)."""
    tmp = _temp_sibling(path, data, mode)
    try:
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_new(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Create `path` with `data`, complete or not at all; FileExistsError if it exists.

    os.link refuses an existing target, so a racing writer cannot be overwritten."""
    tmp = _temp_sibling(path, data, mode)
    try:
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_limited(path: Path, limit: int) -> bytes:
    """At most `limit + 1` bytes, so the caller can tell "too large" without reading it all."""
    with path.open("rb") as fh:
        return fh.read(limit + 1)
