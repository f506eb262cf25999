"""The strict `.yoi-plugin` reader: every refusal Yoi makes, and the ZIP hazards it does not check.

Yoi reads a package by its central directory only (plugin.rs `parse_stored_zip`,
`read_stored_entry`, `find_eocd`, `normalize_archive_path`, `is_zip_symlink`): it ignores CRCs and
never compares a local header's name or sizes with the directory. Two readers can then see two
different packages in one file. This reader accepts only the canonical layout both our writer and
the host's writer produce (docs/format.md, "Yoi packages"): local headers and data back to back in
directory order from byte 0, the directory right after them, one end record at the very end.

`ZipSource.open` checks the whole structure from the end record, the directory and every local
header (bounded reads: the directory is at most entries x (46 + path limit) bytes) before a byte of
content is read. `members()` then streams the file once from the start, yielding plugin.toml first
and checking each CRC-32 as it goes (a CRC of 0 means "not recorded": the host's writer emits it).
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from plugin_kit.content.digest import CHUNK
from plugin_kit.errors import ArchiveError
from plugin_kit.fsio import open_regular
from plugin_kit.hosts import YOI
from plugin_kit.packer.reader import Member
from plugin_kit.packer.zipformat import (
    CENTRAL,
    CENTRAL_SIG,
    END,
    END_SEARCH,
    END_SIG,
    FLAG_UTF8,
    LOCAL,
    LOCAL_SIG,
    MAX_U16,
    MAX_U32,
    ZIP64_END_SIG,
    ZIP64_LOCATOR_SIG,
    CentralHeader,
    EndRecord,
    LocalHeader,
)
from plugin_kit.validators.hostpaths import host_path_violation
from plugin_kit.validators.limits import Limits
from plugin_kit.validators.paths import MANIFEST_NAME, CollisionChecker

__all__ = ["ZipSource", "ZipEntry"]

_FLAG_ENCRYPTED = 0x0001 | 0x0040 | 0x2000  # encrypted, strong encryption, masked directory
_FLAG_DESCRIPTOR = 0x0008
_S_IFMT, _S_IFREG, _S_IFDIR, _S_IFLNK = 0o170000, 0o100000, 0o040000, 0o120000
_DOS_DIRECTORY = 0x10
_ZIP64_EXTRA = 0x0001


def _refuse(
    rule: str, message: str, place: str | None = None, hint: str | None = None
) -> ArchiveError:
    return ArchiveError(message, rule=rule, place=place,
                        hint=hint or "The package is damaged or hostile: do not use it.")  # fmt: skip


def _over(rule: str, message: str, place: str | None = None) -> ArchiveError:
    return _refuse(rule, message, place, "The package is over the limit Yoi allows "
                   "(plugin.rs PluginDiscoveryLimits): ship less, or raise the limit for trusted local use.")  # fmt: skip


@dataclass(frozen=True)
class ZipEntry:
    """One entry, checked: its path, where its local header starts and ends, its data and CRC."""

    path: str
    offset: int  # of the local header
    header: bytes  # the local header as read (compared again while streaming)
    size: int
    crc: int

    @property
    def data_start(self) -> int:
        return self.offset + len(self.header)

    @property
    def end(self) -> int:
        return self.data_start + self.size


def _pread(f: BinaryIO, n: int, at: int) -> bytes:
    return os.pread(f.fileno(), n, at)


def _find_end(f: BinaryIO, size: int) -> tuple[int, bytes]:
    """The end record as plugin.rs `find_eocd` finds it: the last signature in the last 65,557 bytes."""
    start = max(0, size - END_SEARCH)
    tail = _pread(f, size - start, start)
    at = tail.rfind(END_SIG.to_bytes(4, "little"), 0, max(0, len(tail) - END.size) + 4)
    if size < END.size or at < 0:
        raise _refuse("zip-no-end-record", "no ZIP end-of-central-directory record was found")
    return start + at, tail[at:]


def _check_end(end: EndRecord, at: int, rest: bytes, limits: Limits) -> None:
    if end.comment_len:
        raise _refuse("zip-comment", f"the archive has a {end.comment_len}-byte comment")
    if len(rest) != END.size:
        raise _refuse("zip-trailing-data", f"{len(rest) - END.size} bytes follow the end record")
    if MAX_U16 in (end.entries, end.entries_here) or MAX_U32 in (end.cd_size, end.cd_offset):
        raise _refuse("zip64", "the end record defers to a ZIP64 record (ZIP64 is not allowed)")
    if end.disk or end.cd_disk or end.entries_here != end.entries:
        raise _refuse("zip-multi-disk", "multi-disk (split) archives are not allowed")
    if end.entries > limits.max_entries:
        raise _over("too-many-entries", f"{end.entries} entries (limit {limits.max_entries})")
    if end.entries == 0:
        raise _refuse("manifest-missing", "the archive is empty",
                      hint="Pack the plugin with `plugin pack`.")  # fmt: skip
    if end.cd_offset + end.cd_size > at:
        raise _refuse("zip-central-directory", "the central directory runs past the end record")
    if end.cd_size > end.entries * (CENTRAL.size + limits.max_path_bytes):
        raise _refuse("zip-central-directory",
                      f"a {end.cd_size}-byte central directory for {end.entries} entries")  # fmt: skip


def _between(f: BinaryIO, start: int, stop: int) -> None:
    """Nothing may sit between the central directory and the end record."""
    if start == stop:
        return
    # What could explain the bytes (a ZIP64 record and locator, another end record) sits just
    # before the end record: look at the last 64 KiB of the gap only, however long it is.
    gap = _pread(f, min(stop - start, END_SEARCH), max(start, stop - END_SEARCH))
    if END_SIG.to_bytes(4, "little") in gap:
        raise _refuse("zip-several-end-records", "the archive has more than one end record")
    if ZIP64_END_SIG.to_bytes(4, "little") in gap or ZIP64_LOCATOR_SIG.to_bytes(4, "little") in gap:
        raise _refuse("zip64", "the archive has a ZIP64 end record (ZIP64 is not allowed)")
    raise _refuse("zip-gap", f"{stop - start} unexplained bytes before the end record")


def _extra_rule(extra: bytes) -> str:
    """`zip64` when one of the extra blocks (id, length, data) is the ZIP64 one, else `zip-extra-field`."""
    at = 0
    while at + 4 <= len(extra):
        block, length = (
            int.from_bytes(extra[at : at + 2], "little"),
            int.from_bytes(extra[at + 2 : at + 4], "little"),
        )
        if block == _ZIP64_EXTRA:
            return "zip64"
        at += 4 + length
    return "zip-extra-field"


def _name(raw: bytes, flags: int) -> str:
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse("path-utf8", "the entry name is not UTF-8",
                      raw.decode("utf-8", "backslashreplace")) from None  # fmt: skip
    if not name.isascii() and not flags & FLAG_UTF8:
        # Without bit 11 other readers decode the name as CP437: they would see another path.
        raise _refuse("zip-utf8-flag", "a non-ASCII name without the UTF-8 flag (bit 11)", name)
    return name


def _check_kind(name: str, c: CentralHeader) -> None:
    kind = (c.external >> 16) & _S_IFMT
    if name.endswith("/") or kind == _S_IFDIR or c.external & _DOS_DIRECTORY:
        raise _refuse(
            "entry-directory", "directory entries are not allowed (Yoi refuses them)", name
        )
    if kind == _S_IFLNK:
        raise _refuse("entry-symlink", "symbolic links are not allowed", name)
    if kind not in (0, _S_IFREG):
        raise _refuse("entry-special", f"a special file (mode type {kind:o}) is not allowed", name)


def _check_flags(name: str, flags: int, method: int) -> None:
    if flags & _FLAG_ENCRYPTED:
        raise _refuse("zip-encrypted", "encrypted entries are not allowed", name)
    if flags & _FLAG_DESCRIPTOR:
        raise _refuse("zip-data-descriptor", "data descriptors (flag bit 3) are not allowed", name)
    if flags & ~FLAG_UTF8:
        raise _refuse(
            "zip-flags", f"general purpose flags {flags:#06x} (only bit 11 is allowed)", name
        )
    if method != 0:
        raise _refuse("zip-compressed", f"compression method {method} (only 0, stored)", name)


class _Directory:
    """Walks the central directory and checks each entry's own fields."""

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.data, self.limits, self.pos = data, limits, 0
        self.checker = CollisionChecker()
        self.total = 0
        self.last: bytes | None = None

    def next(self) -> tuple[str, CentralHeader]:
        fixed = self.data[self.pos : self.pos + CENTRAL.size]
        if len(fixed) != CENTRAL.size:
            raise _refuse("zip-central-directory", "the central directory is truncated")
        sig, c = CentralHeader.parse(fixed)
        if sig != CENTRAL_SIG:
            raise _refuse("zip-central-directory", "a central directory entry has a bad signature")
        start = self.pos + CENTRAL.size
        self.pos = start + c.name_len + c.extra_len + c.comment_len
        if self.pos > len(self.data):
            raise _refuse("zip-central-directory", "a central directory entry is truncated")
        raw = self.data[start : start + c.name_len]
        name = _name(raw, c.flags)
        self._check(name, raw, c, self.data[start + c.name_len : start + c.name_len + c.extra_len])
        return name, c

    def _check(self, name: str, raw: bytes, c: CentralHeader, extra: bytes) -> None:
        lim = self.limits
        if extra:
            raise _refuse(_extra_rule(extra), "extra fields are not allowed", name)
        if c.comment_len:
            raise _refuse("zip-entry-comment", "entry comments are not allowed", name)
        if c.disk:
            raise _refuse("zip-multi-disk", "the entry starts on another disk", name)
        _check_kind(name, c)
        _check_flags(name, c.flags, c.method)
        if MAX_U32 in (c.size, c.compressed, c.offset):
            raise _refuse("zip64", "the entry defers to ZIP64 fields (ZIP64 is not allowed)", name)
        if c.compressed != c.size:
            raise _refuse("zip-size-mismatch", f"stored entry with {c.compressed} bytes packed "
                          f"but {c.size} expanded", name)  # fmt: skip
        bad = host_path_violation(name, YOI, max_path_bytes=lim.max_path_bytes)
        bad = bad or self.checker.add(name)
        if bad is not None:
            raise _refuse(bad.rule, bad.message, name)
        if self.last is not None and raw <= self.last:
            raise _refuse(
                "entry-order", "entries are not in increasing byte order of their paths", name
            )
        self.last = raw
        if c.size > lim.max_file_size:
            raise _over("file-too-large", f"{c.size} bytes (limit {lim.max_file_size})", name)
        self.total += c.size
        if self.total > lim.max_total_size:
            raise _over("total-too-large", f"more than {lim.max_total_size} bytes expanded", name)
        if name == MANIFEST_NAME and c.size > lim.max_manifest_size:
            raise _over(
                "manifest-too-large", f"{c.size} bytes (limit {lim.max_manifest_size})", name
            )


def _local(f: BinaryIO, name: str, c: CentralHeader) -> ZipEntry:
    """Read the entry's local header and require it to say what the directory says."""
    fixed = _pread(f, LOCAL.size, c.offset)
    if len(fixed) != LOCAL.size:
        raise _refuse("zip-local-header", "the local header is truncated", name)
    sig, h = LocalHeader.parse(fixed)
    if sig != LOCAL_SIG:
        raise _refuse("zip-local-header", "no local header where the directory points", name)
    rest = _pread(f, h.name_len + h.extra_len, c.offset + LOCAL.size)
    if len(rest) != h.name_len + h.extra_len:
        raise _refuse("zip-local-header", "the local header is truncated", name)
    if h.extra_len:
        raise _refuse(_extra_rule(rest[h.name_len :]), "extra fields are not allowed", name)
    said = (rest, h.flags, h.method, h.compressed, h.size, h.crc)
    if said != (name.encode("utf-8"), c.flags, c.method, c.compressed, c.size, c.crc):
        raise _refuse("zip-header-mismatch", "the local header and the central directory disagree "
                      "(name, flags, method, sizes or CRC)", name)  # fmt: skip
    return ZipEntry(name, c.offset, fixed + rest, c.size, c.crc)


def _check_layout(entries: list[ZipEntry], cd_offset: int) -> None:
    """Entries back to back from byte 0 in directory order, then the directory."""
    if [e.offset for e in entries] != sorted(e.offset for e in entries):
        raise _refuse("zip-entry-order", "local headers are not in central directory order")
    expected = 0
    for e in entries:
        if e.offset < expected:
            raise _refuse("zip-overlap", "the entry overlaps the one before it", e.path)
        if e.offset > expected:
            rule = "zip-leading-data" if expected == 0 else "zip-gap"
            raise _refuse(
                rule, f"{e.offset - expected} unexplained bytes before this entry", e.path
            )
        expected = e.end
    if cd_offset < expected:
        raise _refuse(
            "zip-overlap", "the last entry runs into the central directory", entries[-1].path
        )
    if cd_offset > expected:
        raise _refuse(
            "zip-gap", f"{cd_offset - expected} unexplained bytes before the central directory"
        )


def _scan(f: BinaryIO, size: int, limits: Limits) -> tuple[list[ZipEntry], bytes]:
    """Check the whole structure; return the entries in file order and the directory + end record."""
    at, rest = _find_end(f, size)
    _, end = EndRecord.parse(rest[: END.size])
    _check_end(end, at, rest, limits)
    _between(f, end.cd_offset + end.cd_size, at)
    directory = _Directory(_pread(f, end.cd_size, end.cd_offset), limits)
    entries = [_local(f, *directory.next()) for _ in range(end.entries)]
    if directory.pos != end.cd_size:
        raise _refuse("zip-central-directory", "the central directory is longer than its entries")
    _check_layout(entries, end.cd_offset)
    if not any(e.path == MANIFEST_NAME for e in entries):
        raise _refuse("manifest-missing", "the package has no root plugin.toml",
                      hint="Pack the plugin with `plugin pack`.")  # fmt: skip
    return entries, directory.data + rest


class ZipSource:
    """An opened `.yoi-plugin` whose structure has been checked; `members()` streams the entries.

    The same interface as the tar `ArchiveSource`: after `members()` is exhausted, `sha256` and
    `size` describe the archive's bytes as read.
    """

    def __init__(self, f: BinaryIO, path: Path, entries: list[ZipEntry], tail: bytes) -> None:
        self.f, self.path, self._entries, self._tail = f, path, entries, tail
        self.sha256, self.size = "", 0

    @classmethod
    @contextmanager
    def open(cls, path: Path, limits: Limits | None = None) -> Iterator[ZipSource]:
        limits = limits or YOI.limits
        try:
            # Never a FIFO or a device: a store file may come from a repository checkout.
            f = open_regular(path, what=str(path), follow_symlinks=True)
        except OSError as exc:
            raise ArchiveError(f"cannot open {path}: {exc.strerror}", rule="io",
                               place=str(path)) from exc  # fmt: skip
        with f:
            size = os.fstat(f.fileno()).st_size
            if size > limits.max_archive_size:
                raise _over("archive-too-large", f"{size} bytes (limit {limits.max_archive_size})",
                            str(path))  # fmt: skip
            entries, tail = _scan(f, size, limits)
            yield cls(f, Path(path), entries, tail)

    def _read(self, n: int, h: Any) -> bytes:
        data = self.f.read(n)
        if len(data) != n:
            raise _refuse("changed-during-read", "the archive changed while it was being read")
        h.update(data)
        return data

    def _data(self, e: ZipEntry, h: Any) -> Iterator[bytes]:
        crc, left = 0, e.size
        while left:
            chunk = self._read(min(CHUNK, left), h)
            crc = zlib.crc32(chunk, crc)
            left -= len(chunk)
            yield chunk
        if e.crc and crc != e.crc:
            raise _refuse("crc-mismatch", f"CRC-32 {crc:08x} does not match the recorded {e.crc:08x}",
                          e.path)  # fmt: skip

    def _manifest(self) -> tuple[ZipEntry, bytes]:
        e = next(e for e in self._entries if e.path == MANIFEST_NAME)
        data = _pread(self.f, e.size, e.data_start)
        if len(data) != e.size:
            raise _refuse("changed-during-read", "the archive changed while it was being read")
        if e.crc and zlib.crc32(data) != e.crc:
            raise _refuse("crc-mismatch", "the CRC-32 of plugin.toml does not match", e.path)
        return e, data

    def members(self) -> Iterator[tuple[Member, Iterator[bytes]]]:
        """plugin.toml first, then every other entry in file order, each with its data."""
        first, manifest = self._manifest()
        yield Member(first.path, 0o644, first.size), iter([manifest])
        h = hashlib.sha256()
        self.f.seek(0)
        for e in self._entries:
            if self._read(len(e.header), h) != e.header:
                raise _refuse("changed-during-read", "the archive changed while it was being read")
            if e is first:
                if self._read(e.size, h) != manifest:
                    raise _refuse(
                        "changed-during-read", "the archive changed while it was being read"
                    )
                continue
            chunks = self._data(e, h)
            yield Member(e.path, 0o644, e.size), chunks
            for _ in chunks:  # whatever the consumer left unread
                pass
        if self._read(len(self._tail), h) != self._tail or self.f.read(1):
            raise _refuse("changed-during-read", "the archive changed while it was being read")
        self.sha256, self.size = h.hexdigest(), self.f.tell()
