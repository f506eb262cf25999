"""Archive sha256 and the content digest (design.md, "Digests"): independent of compression."""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from plugin_kit.errors import ArchiveError
from plugin_kit.hosts import INSOMNIA, Host, host_for_project

__all__ = [
    "FileRecord",
    "content_digest",
    "sha256_file",
    "source_digest",
    "extracted_digest",
    "path_order",
    "DIGEST_PREFIX",
    "CHUNK",
]

DIGEST_PREFIX = "sha256:"
CHUNK = 1 << 20


@dataclass(frozen=True)
class FileRecord:
    """One member: its path, normalised mode (0o644 or 0o755), size and sha256."""

    path: str
    mode: int
    size: int
    sha256: bytes

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "mode": f"{self.mode:o}",
            "size": self.size,
            "sha256": self.sha256.hex(),
        }


def path_order(path: str) -> bytes:
    """The one order of member paths (docs/format.md 3): the UTF-8 bytes of the whole path.

    Not path components: `a-b.txt` < `a.b.txt` < `a/b.txt` here, while a walk of the tree (or a
    sort of split paths) puts `a/b.txt` first. Every sort of member paths uses this key.
    """
    return path.encode("utf-8", "surrogateescape")


def content_digest(records: Iterable[FileRecord], host: Host = INSOMNIA) -> str:
    """sha256 over the host's domain tag, then per file in path-byte order:
    path NUL [mode NUL, where the host covers the mode] u64be(size) sha256(content).

    Yoi's form is plugin.rs `deterministic_digest` (no mode); ours adds the exec bit.
    """
    import hashlib  # here: `plugin validate` hashes nothing, and _hashlib loads OpenSSL

    h = hashlib.sha256(host.digest_tag)
    for rec in sorted(records, key=lambda r: path_order(r.path)):
        h.update(rec.path.encode("utf-8") + b"\0")
        if host.digest_has_mode:
            h.update(f"{rec.mode:o}".encode() + b"\0")
        h.update(struct.pack(">Q", rec.size) + rec.sha256)
    return DIGEST_PREFIX + h.hexdigest()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _file_record(root: Path, rel: str, st: os.stat_result) -> FileRecord:
    mode = 0o755 if st.st_mode & 0o111 else 0o644
    return FileRecord(rel, mode, st.st_size, bytes.fromhex(sha256_file(root / rel)))


def extracted_digest(root: Path, host: Host = INSOMNIA) -> str:
    """Content digest of every file under `root` as it is on disk: an extracted or installed tree.

    No [package] rules and no never-packed list apply (an archive may hold `dist/app.js` or `x~`),
    and anything but a regular file or folder is refused: an extraction writes nothing else.
    """
    from plugin_kit.content.collect import walk_tree  # collect imports this module

    records = []
    for rel, st in walk_tree(Path(root)):
        if not stat.S_ISREG(st.st_mode):
            raise ArchiveError(
                f"{rel} in {root} is not a regular file",
                rule="tree-special-file",
                place=str(Path(root) / rel),
                hint="The tree was changed after extraction: remove it and install again.",
            )
        records.append(_file_record(Path(root), rel, st))
    return content_digest(records, host)


def source_digest(path: Path, host: str | None = None) -> str:
    """Content digest of a plugin source tree as it would be packed (an archive's: packer/digest.py).

    The host is `host` (--host) or detected from plugin.toml.
    """
    from plugin_kit.content.collect import collect_files

    found = host_for_project(Path(path), host)
    return content_digest((f.record() for f in collect_files(Path(path), host=found)), found)
