"""The digest-keyed cache: read-only extracted trees and verified archives, and its gc."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.errors import FileRefusedError, PluginKitError, VerificationError
from plugin_kit.hosts import INSOMNIA, Host
from plugin_kit.installer._fs import checkpoint, file_lock, forget_lock, fsync_dir
from plugin_kit.installer.paths import (
    archives_dir,
    downloads_dir,
    locks_dir,
    make_dir,
    plugin_cache_dir,
)

__all__ = [
    "digest_hex",
    "cache_path",
    "StagedTree",
    "staged_tree",
    "staging",
    "download_slot",
    "ensure_cached",
    "keep_archive",
    "kept_archive",
    "GcResult",
    "collect_garbage",
    "clean_downloads",
]

_log = logging.getLogger(__name__)
_HEX64 = re.compile(r"[0-9a-f]{64}")
# A tree being extracted and checked: hidden, beside the digest-named trees (so its rename into
# place stays in one folder, which needs no write permission on the read-only tree itself),
# named `.<pid>-<random>.staged` (the reader's `..<that>.<random>.tmp` beside it while it
# extracts). The group is the staging's key. Its stager holds the OS lock locks/<key>.lock
# for the whole life of what is staged under the key; a cleaner removes it only if it can
# take that lock without waiting (`_clean_staged`). The pid is a label only (and what earlier
# versions, sharing this cache, go by to leave a live stager's tree alone).
_STAGED = re.compile(r"\.+(\d+-[0-9a-f]+\.staged)")
_STAGED_KEY = re.compile(r"\d+-[0-9a-f]+\.staged")
# A partial download, `<pid>-<random>.part` in the downloads folder, is guarded the same way
# by its lock, locks/<its name>.lock (`download_slot`).
_PART = re.compile(r"\d+-[0-9a-f]+\.part")
# Staged entries without a lock file (an earlier version's, which went by the pid alone and
# may still be running) and lock files with nothing staged under their key (maybe a stager
# between making its lock file and locking it) are removed once older than this: a day, far
# longer than any install.
_LEFTOVER_AGE = 24 * 3600.0


def digest_hex(digest: str) -> str:
    """`sha256:<hex>` → `<hex>`, refusing anything that could escape the cache folder."""
    hexpart = digest.removeprefix("sha256:").lower()
    if not _HEX64.fullmatch(hexpart):
        raise VerificationError(f"not a content digest: {digest!r}", rule="digest-format")
    return hexpart


def cache_path(digest: str) -> Path:
    return plugin_cache_dir() / digest_hex(digest)


def _digest_lock(hexpart: str) -> Path:
    return locks_dir() / f"digest-{hexpart}.lock"


_DIGEST_LOCK = re.compile(r"digest-([0-9a-f]{64})")  # a digest lock file's name, less `.lock`


def _reusable(tree: Path, hexpart: str, host: Host) -> bool:
    """A finished tree is reused only if it is a real folder that still hashes to its name
    (nothing filtered, links and special files refused: see extracted_digest)."""
    from plugin_kit.content.digest import extracted_digest

    try:
        if not stat.S_ISDIR(os.lstat(tree).st_mode):
            return False
        return extracted_digest(tree, host) == f"sha256:{hexpart}"
    except (OSError, PluginKitError):
        return False


@dataclass(frozen=True)
class StagedTree:
    """An archive read once by the strict reader into a hidden folder of the cache: what it
    read (`info`, the reader's ArchiveInfo) and where (`tree`, read-only and fsynced)."""

    info: Any
    tree: Path


@contextmanager
def staged_tree(extract: Callable[[Path], Any]) -> Iterator[StagedTree]:
    """The one reading pass of an install: `extract(dest)` (the strict reader extracting into
    `dest`, read-only and durable; it writes nothing at `dest` unless every rule passed) into a
    new hidden name of the cache folder. `ensure_cached` renames it to its digest's name once
    every later check has passed; whatever is left when the block ends (a refusal, an error,
    a tree another process had already cached) is removed."""
    with staging(_new_staged(make_dir(plugin_cache_dir()))) as tree:
        yield StagedTree(extract(tree), tree)


def _new_staged(folder: Path) -> Path:
    return folder / f".{os.getpid()}-{os.urandom(8).hex()}.staged"


def _staged_lock(key: str) -> Path:
    return locks_dir() / f"{key}.lock"


@contextmanager
def staging(tree: Path) -> Iterator[Path]:
    """Hold the lock of `tree` (a `.<pid>-<random>.staged` name in the cache folder) while the
    block stages there; at its end remove what is left under that name, then the lock file,
    still held (why that is safe: `_clean_staged`)."""
    with _held(tree, what="staged tree") as held:
        yield held


@contextmanager
def _held(entry: Path, *, what: str) -> Iterator[Path]:
    """`entry` (a staged tree or a partial download) under its lock, locks/<its key>.lock; at
    the end of the block what is left of it is removed, then the lock file, still held."""
    lock = _staged_lock(entry.name.lstrip("."))
    with file_lock(lock, what=what, label=False):
        try:
            yield entry
        finally:
            _remove(entry)
            forget_lock(lock)  # held: why it is safe, `_clean_staged`


def _remove(entry: Path) -> None:
    """A staged tree (maybe read-only) or a partial download's file, if it is there."""
    from plugin_kit.packer.reader import remove_tree

    if entry.is_dir() and not entry.is_symlink():
        remove_tree(entry)
    else:
        entry.unlink(missing_ok=True)


def ensure_cached(
    archive: Path, digest: str, host: Host = INSOMNIA, staged: Path | None = None
) -> Path:
    """Put the tree of `archive` into the cache under its content digest, once, atomically.

    Under the per-digest lock: reuse a finished tree only after re-hashing it (a cache entry
    is never trusted unverified), else remove it; take `staged` (a tree `staged_tree` read),
    or extract the archive into such a hidden sibling; recompute the digest from the written
    files (the host's digest) and rename the tree into place. A `staged` tree that is not
    used is left to its `staged_tree` block to remove. `archive` only names the source in
    errors (`plugin dev` passes its staged copy of a package: dev/component_package.py).
    """
    from plugin_kit.content.digest import extracted_digest
    from plugin_kit.packer.reader import extract_archive, remove_tree

    hexpart = digest_hex(digest)
    final = plugin_cache_dir() / hexpart
    make_dir(final.parent)
    with file_lock(_digest_lock(hexpart), what="cache"), ExitStack() as own:
        if _reusable(final, hexpart, host):  # another process may have finished while we waited
            return final
        if final.is_symlink() or final.is_file():
            final.unlink()
        elif final.exists():
            remove_tree(final)  # tampered or torn: rebuilt below from the verified archive
        tree = staged
        if tree is None:
            tree = own.enter_context(staging(_new_staged(final.parent)))
            extract_archive(
                archive, tree, expected_digest=f"sha256:{hexpart}", read_only=True, durable=True
            )
        checkpoint("cache:extracted")
        if extracted_digest(tree, host) != f"sha256:{hexpart}":  # re-hash what reached the disk
            raise VerificationError(
                "the extracted tree does not have the expected content digest",
                rule="digest-mismatch",
                place=str(archive),
            )
        os.rename(tree, final)
        fsync_dir(final.parent)
        _log.debug("extracted %s into %s", archive.name, final)
        checkpoint("cache:renamed")
    return final


def kept_archive(sha256: str) -> Path:
    return archives_dir() / f"{sha256.lower()}.insomnia-plugin"


def _holds(path: Path, sha256: str) -> bool:
    from plugin_kit.fsio import open_regular

    try:
        with open_regular(path, what=path.name) as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest() == sha256.lower()
    except (OSError, FileRefusedError):
        return False


def keep_archive(archive: Path, sha256: str) -> Path:
    """Copy verified archive bytes to archives/<sha256>; same key, same bytes, so no lock."""
    dest = kept_archive(sha256)
    if _holds(dest, sha256):  # a kept copy is reused only if it still hashes to its name
        return dest
    make_dir(dest.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.tmp-", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(archive, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(dest.parent)
    checkpoint("cache:archive-kept")
    return dest


@contextmanager
def download_slot() -> Iterator[Path]:
    """A new `<pid>-<random>.part` path in the downloads folder for the block to download into
    and read, guarded as a staged tree is: its lock (locks/<name>.lock) is held while the block
    runs, and the part and then the lock file are removed at its end (why that is safe:
    `_clean_staged`)."""
    part = make_dir(downloads_dir()) / f"{os.getpid()}-{os.urandom(6).hex()}.part"
    with _held(part, what="download") as held:
        yield held


def clean_downloads(*, dry_run: bool = False) -> list[Path]:
    """Delete (unless `dry_run`) partial downloads nobody downloads into any more (their lock
    is free) and what is staged in the cache under a key nobody stages any more, and return
    them: a failure that kills the process leaves only these."""
    folder = downloads_dir()
    parts = (
        [p for p in sorted(folder.iterdir()) if _PART.fullmatch(p.name)] if folder.is_dir() else []
    )
    removed = [part for part in parts if _stale(part.name, [part], dry_run)]
    if not dry_run:
        _sweep_locks(_PART, _unused({p.name for p in parts}))
    return removed + _clean_staged(dry_run=dry_run)


def _clean_staged(*, dry_run: bool = False) -> list[Path]:
    """Remove (unless `dry_run`) what is staged in the cache folder under a key whose lock is
    free now, and return it; then remove lock files with nothing staged, once old.

    Why unlinking a lock file never removes one a live stager holds: a lock file is unlinked
    only by a process holding its lock, once nothing is staged under its key. A stager takes
    its lock (a new random key) before it stages anything and never makes it again; so while
    anything is staged under a key, the file at locks/<key>.lock is the one its stager holds
    (nobody else can take that lock to unlink it) or its stager is gone. A cleaner may take the
    lock of an inode another cleaner unlinked meanwhile, or make the file anew: either way the
    key is a gone stager's, and all it removes is that stager's leftovers. The one process
    that could be between making its lock file and locking it is a stager with nothing staged
    yet, which only the sweep of lock files sees, and that leaves a file alone until it is
    `_LEFTOVER_AGE` old. Entries without a lock file are an earlier version's (a stager's
    lock file exists before and after what it stages): removed on age too, not by pid, which
    means nothing in another PID namespace and may name an unrelated, recycled process."""
    by_key: dict[str, list[Path]] = {}
    folder = plugin_cache_dir()
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        if found := _STAGED.match(entry.name):
            by_key.setdefault(found.group(1), []).append(entry)
    removed = [
        e for key, entries in by_key.items() if _stale(key, entries, dry_run) for e in entries
    ]
    if not dry_run:
        _sweep_locks(_STAGED_KEY, _unused(set(by_key)))
    return removed


def _stale(key: str, entries: list[Path], dry_run: bool) -> bool:
    """Whether nobody stages (or downloads) under `key`; if so, and not `dry_run`, its entries
    are removed."""
    lock = _staged_lock(key)
    if not os.path.lexists(lock):
        stale = all(map(_leftover, entries))
        for entry in entries if stale and not dry_run else []:
            _remove(entry)
        return stale
    with file_lock(lock, what="staged tree", wait=False, label=False) as free:
        if free and not dry_run:
            for entry in entries:
                _remove(entry)
            forget_lock(lock)  # held: why it is safe, `_clean_staged`
    return free


def _leftover(path: Path) -> bool:
    try:
        return time.time() - os.lstat(path).st_mtime > _LEFTOVER_AGE
    except OSError:
        return False


Stale = Callable[[Path, re.Match[str]], bool]


def _sweep_locks(name: re.Pattern[str], stale: Stale, *, dry_run: bool = False) -> list[str]:
    """The lock files whose name (less `.lock`) matches `name` and that `stale` says nobody
    needs, each removed while held and still stale (why that is safe: `_clean_staged`); their
    names (a dry run removes none)."""
    folder, removed = locks_dir(), []
    for lock in sorted(folder.glob("*.lock")) if folder.is_dir() else []:
        found = name.fullmatch(lock.name.removesuffix(".lock"))
        if found is None or not stale(lock, found):
            continue
        with file_lock(lock, what="cache", wait=False, label=False) as free:
            if free and stale(lock, found) and (dry_run or forget_lock(lock)):
                removed.append(lock.name)
    return removed


def _unused(seen: set[str]) -> Stale:
    """A staged tree's or a download's lock file with nothing under its key, once old: a killed
    stager's or cleaner's."""
    return lambda lock, found: found.group(0) not in seen and _leftover(lock)


@dataclass
class GcResult:
    removed_trees: list[str] = field(default_factory=list)
    removed_archives: list[str] = field(default_factory=list)
    removed_temp: list[str] = field(default_factory=list)
    removed_locks: list[str] = field(default_factory=list)
    kept: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "removed_trees": self.removed_trees,
            "removed_archives": self.removed_archives,
            "removed_temp": self.removed_temp,
            "removed_locks": self.removed_locks,
            "kept": self.kept,
            "dry_run": self.dry_run,
        }


def collect_garbage(
    keep_digests: set[str], keep_sha256: set[str], *, dry_run: bool = False
) -> GcResult:
    """Remove cache trees and archives nobody references, and leftovers of crashed runs."""
    result = GcResult(dry_run=dry_run)
    keep_hex = {digest_hex(d) for d in keep_digests}
    root = plugin_cache_dir()
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        hexpart = path.name.split(".", 1)[0]
        if path.name in keep_hex:
            result.kept += 1
            continue
        if _STAGED.match(path.name):  # staged: by its lock, below
            continue
        is_temp = ".tmp-" in path.name
        if not dry_run:
            lock = _digest_lock(hexpart) if _HEX64.fullmatch(hexpart) else locks_dir() / "gc.lock"
            from plugin_kit.packer.reader import remove_tree

            with file_lock(lock, what="cache"):
                remove_tree(path)
        (result.removed_temp if is_temp else result.removed_trees).append(path.name)
    keep_sha = {s.lower() for s in keep_sha256}
    adir = archives_dir()
    for path in sorted(adir.iterdir()) if adir.is_dir() else []:
        if path.name.split(".", 1)[0] in keep_sha and ".tmp-" not in path.name:
            continue
        if not dry_run:
            path.unlink(missing_ok=True)
        result.removed_archives.append(path.name)
    left = clean_downloads(dry_run=dry_run)
    result.removed_temp.extend(p.name for p in left)
    # A dry run counts the trees it would remove as gone, so it lists what the run removes.
    gone = set(result.removed_trees) if dry_run else set()
    result.removed_locks = _sweep_digest_locks(dry_run, gone)
    return result


def _sweep_digest_locks(dry_run: bool, gone: set[str]) -> list[str]:
    """The lock files of digests no longer cached (one is left by every digest ever cached),
    each removed while held and while its tree is still absent: a process about to cache that
    digest takes the lock first, so it never races the removal. `gone`: the trees a dry run
    would have removed."""

    def absent(_lock: Path, found: re.Match[str]) -> bool:
        tree = plugin_cache_dir() / found.group(1)
        return tree.name in gone or not os.path.lexists(tree)

    return _sweep_locks(_DIGEST_LOCK, absent, dry_run=dry_run)
