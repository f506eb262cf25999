"""The deterministic `.yoi-plugin` writer: a stored ZIP that Yoi, unzip, bsdtar and zipfile all read.

Bytes depend only on the files' paths and contents: entries in byte order of their UTF-8 paths (the
order of plugin.rs `write_stored_zip_file`, which walks a BTreeMap; the host itself reads by the
central directory, so the order is ours to fix), one fixed DOS time, the UTF-8 flag, mode 0644,
no directory entries, no extra fields, no comment. Unlike the host's writer, which stores a CRC of 0,
each entry carries its real CRC-32 so that `unzip -t` and zipfile accept it too.

Streamed, with no data descriptor: the CRC-32 must be in the local header before the data, so a
file that fits in one chunk is read once and a larger one twice (its CRC-32 first, then the copy,
hashed as it goes). The archive's sha256 is computed as the bytes are written. Memory stays at one
chunk whatever the sizes.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

from plugin_kit.content.collect import SourceFile
from plugin_kit.content.digest import CHUNK, FileRecord, content_digest
from plugin_kit.errors import PackError
from plugin_kit.hosts import YOI
from plugin_kit.packer.writer import HashingSink
from plugin_kit.packer.zipformat import (
    LOCAL,
    MAX_U16,
    MAX_U32,
    central_header,
    end_record,
    local_header,
)

__all__ = ["write_zip", "zip_order"]

Progress = Callable[[int, int], None]


def zip_order(path: str) -> bytes:
    """Entries in byte order of their UTF-8 paths, plugin.toml included (no special place)."""
    return path.encode("utf-8")


def _changed(path: str, what: str) -> PackError:
    return PackError(f"{path} {what} while packing", rule="file-changed", place=path,
                     hint="Pack again.")  # fmt: skip


def _fill(f: BinaryIO, view: memoryview, path: str) -> memoryview:
    """Read exactly len(view) bytes into view; a short read means the file shrank."""
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            raise _changed(path, "shrank")
        got += n
    return view


def _entry(src: SourceFile, sink: HashingSink, buf: bytearray) -> tuple[int, bytes]:
    """Write one local header and its data; return the data's CRC-32 and sha256.

    The CRC must be in the header, before the data: a file that fits in the buffer is read once;
    a larger one is read twice (CRC-32 first, then the copy, whose CRC must agree).
    """
    view, h = memoryview(buf), hashlib.sha256()
    name = src.path.encode("utf-8")
    with open(src.source, "rb", buffering=0) as f:
        if os.fstat(f.fileno()).st_size != src.size:
            raise _changed(src.path, "changed")
        if src.size <= len(buf):
            data = _fill(f, view[: src.size], src.path)
            crc = zlib.crc32(data)
            sink.write(local_header(name, crc, src.size))
            sink.write(data)
            h.update(data)
            return crc, h.digest()
        crc = 0
        for data in _chunks(f, view, src):
            crc = zlib.crc32(data, crc)
        f.seek(0)
        sink.write(local_header(name, crc, src.size))
        again = 0
        for data in _chunks(f, view, src):
            again = zlib.crc32(data, again)
            h.update(data)
            sink.write(data)
    if again != crc:
        raise _changed(src.path, "changed")
    return crc, h.digest()


def _chunks(f: BinaryIO, view: memoryview, src: SourceFile) -> Iterator[memoryview]:
    left = src.size
    while left:
        data = _fill(f, view[: min(len(view), left)], src.path)
        left -= len(data)
        yield data


def _too_big(what: str) -> PackError:
    return PackError(
        f"the package needs ZIP64 ({what}), which Yoi does not read", rule="zip64-needed",
        hint="Ship fewer or smaller files: a .yoi-plugin is over the limit of a plain ZIP.",
    )  # fmt: skip


def write_zip(
    files: Sequence[SourceFile], out: BinaryIO, *, progress: Progress | None = None
) -> tuple[str, int, str]:
    """Write the stored ZIP of `files` to `out`; return (archive sha256, size, content digest)."""
    if len(files) >= MAX_U16:  # 0xFFFF and 0xFFFFFFFF are ZIP64 sentinels
        raise _too_big(f"{len(files)} entries")
    ordered = sorted(files, key=lambda f: zip_order(f.path))
    sink, central, records, buf = HashingSink(out), [], [], bytearray(CHUNK)
    done, total = 0, sum(f.size for f in files)
    for src in ordered:
        offset = sink.n
        if offset + LOCAL.size + len(src.path.encode()) + src.size >= MAX_U32:
            raise _too_big("more than 4 GiB")
        crc, sha = _entry(src, sink, buf)
        central.append(central_header(src.path.encode("utf-8"), crc, src.size, offset))
        records.append(FileRecord(src.path, 0o644, src.size, sha))
        done += src.size
        if progress is not None:
            progress(done, total)
    directory = b"".join(central)
    if sink.n + len(directory) >= MAX_U32:
        raise _too_big("more than 4 GiB")
    sink.write(directory + end_record(len(ordered), len(directory), sink.n))
    sink.flush()
    return sink.h.hexdigest(), sink.n, content_digest(records, YOI)
