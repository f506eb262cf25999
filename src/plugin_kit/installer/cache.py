"""The digest-keyed cache: read-only extracted trees and verified archives, and its gc."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.errors import FileRefusedError, PluginKitError, VerificationError
from plugin_kit.hosts import INSOMNIA, Host
from plugin_kit.installer._fs import checkpoint, file_lock, fsync_dir
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
# named by its writer's pid so gc and the next install leave it alone while the writer lives.
_STAGED = re.compile(r"\.+(\d+)-[0-9a-f]+\.staged")


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
    from plugin_kit.packer.reader import remove_tree

    folder = make_dir(plugin_cache_dir())
    tree = folder / f".{os.getpid()}-{os.urandom(8).hex()}.staged"
    try:
        yield StagedTree(extract(tree), tree)
    finally:
        remove_tree(tree)


def ensure_cached(
    archive: Path, digest: str, host: Host = INSOMNIA, staged: Path | None = None
) -> Path:
    """Put the tree of `archive` into the cache under its content digest, once, atomically.

    Under the per-digest lock: reuse a finished tree only after re-hashing it (a cache entry
    is never trusted unverified), else remove it; take `staged` (a tree `staged_tree` read),
    or extract the archive into such a hidden sibling; recompute the digest from the written
    files (the host's digest) and rename the tree into place. A `staged` tree that is not
    used is left to its `staged_tree` block to remove.
    """
    from plugin_kit.content.digest import extracted_digest
    from plugin_kit.packer.reader import extract_archive, remove_tree

    hexpart = digest_hex(digest)
    final = plugin_cache_dir() / hexpart
    make_dir(final.parent)
    with file_lock(_digest_lock(hexpart), what="cache"):
        if _reusable(final, hexpart, host):  # another process may have finished while we waited
            return final
        if final.is_symlink() or final.is_file():
            final.unlink()
        elif final.exists():
            remove_tree(final)  # tampered or torn: rebuilt below from the verified archive
        tree = staged or final.parent / f".{os.getpid()}-{os.urandom(8).hex()}.staged"
        try:
            if staged is None:
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
        finally:
            if staged is None:
                remove_tree(tree)
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _writer_alive(pid_text: str) -> bool:
    return pid_text.isdigit() and int(pid_text) != os.getpid() and _pid_alive(int(pid_text))


def _staged_of_live_writer(name: str) -> bool:
    """A staged tree of this process or of another running one (its block removes it)."""
    found = _STAGED.match(name)
    return found is not None and (
        int(found.group(1)) == os.getpid() or _writer_alive(found.group(1))
    )


def clean_downloads() -> list[Path]:
    """Delete partial downloads, and trees staged in the cache, whose process is gone (a
    failure that kills the process leaves only these)."""
    from plugin_kit.packer.reader import remove_tree

    removed = []
    folder = downloads_dir()
    for part in folder.iterdir() if folder.is_dir() else []:
        if _writer_alive(part.name.split("-", 1)[0]):
            continue
        part.unlink(missing_ok=True)
        removed.append(part)
    folder = plugin_cache_dir()
    for tree in folder.iterdir() if folder.is_dir() else []:
        if _STAGED.match(tree.name) and not _staged_of_live_writer(tree.name):
            remove_tree(tree)
            removed.append(tree)
    return removed


@dataclass
class GcResult:
    removed_trees: list[str] = field(default_factory=list)
    removed_archives: list[str] = field(default_factory=list)
    removed_temp: list[str] = field(default_factory=list)
    kept: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "removed_trees": self.removed_trees,
            "removed_archives": self.removed_archives,
            "removed_temp": self.removed_temp,
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
        if _staged_of_live_writer(path.name):  # an install in progress
            continue
        is_temp = ".tmp-" in path.name or _STAGED.match(path.name) is not None
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
    if not dry_run:
        result.removed_temp.extend(p.name for p in clean_downloads())
    return result
