"""Whole-file writes that never leave a half-written file behind, and bounded reads of files
others control; shared by every layer."""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from plugin_kit.errors import FileRefusedError

_log = logging.getLogger(__name__)  # --verbose shows these notes (cli/_output.py)

__all__ = [
    "open_regular",
    "read_bounded",
    "read_limited",
    "write_atomic",
    "write_new",
    "fsync_dir",
    "ensure_dir",
]


def _temp_sibling(path: Path, data: bytes, mode: int) -> Path:
    import tempfile  # with shutil, bz2, lzma and random: only commands that write need it

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
    _log.debug("wrote %s", path)


def write_new(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Create `path` with `data`, complete or not at all; FileExistsError if it exists.

    os.link refuses an existing target, so a racing writer cannot be overwritten."""
    tmp = _temp_sibling(path, data, mode)
    try:
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def open_regular(path: Path, *, what: str, follow_symlinks: bool = False) -> BinaryIO:
    """Open a regular file for reading, never blocking on a FIFO or reading a device.

    Without `follow_symlinks` the last component must not be a symlink (O_NOFOLLOW): a
    repository cannot point one of our reads at /dev/zero or another user's file. A missing
    file is FileNotFoundError, as with open(); the other refusals are FileRefusedError."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise FileRefusedError(
                f"{what} is a symbolic link; refusing to follow it",
                rule="file-symlink",
                place=str(path),
                hint="replace the link with the file itself",
            ) from exc
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FileRefusedError(
            f"{what} is not a regular file",
            rule="file-not-regular",
            place=str(path),
            hint="replace it with a regular file",
        )
    os.set_blocking(fd, True)  # O_NONBLOCK only guarded the open of a FIFO
    return os.fdopen(fd, "rb")


def read_bounded(path: Path, limit: int, *, what: str, follow_symlinks: bool = False) -> bytes:
    """All of a regular file that others control (a repository, a cache, a download), at most
    `limit` bytes; a larger one is refused naming the file and the cap (see open_regular)."""
    with open_regular(path, what=what, follow_symlinks=follow_symlinks) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise FileRefusedError(
            f"{what} is larger than its {limit}-byte cap",
            rule="file-too-large",
            place=str(path),
            hint="this file is not one plugin-kit wrote; remove or replace it",
        )
    return data


def read_limited(path: Path, limit: int) -> bytes:
    """At most `limit + 1` bytes, so the caller can tell "too large" without reading it all."""
    with path.open("rb") as fh:
        return fh.read(limit + 1)


def ensure_dir(path: Path, mode: int) -> Path:
    """`mkdir -p` whose new folders get exactly `mode`, whatever the umask; existing ones are
    left as they are (the user may have chosen their modes)."""
    missing = []
    probe = Path(path)
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, mode)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # a concurrent run made it; its mode is its own business
        os.chmod(folder, mode)  # mkdir's mode is masked by the umask
    return path
