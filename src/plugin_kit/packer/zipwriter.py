"""The deterministic `.yoi-plugin` writer: a stored ZIP that Yoi, unzip, bsdtar and zipfile all read.

Bytes depend only on the files' paths and contents: entries in byte order of their UTF-8 paths (the
order of plugin.rs `write_stored_zip_file`, which walks a BTreeMap; the host itself reads by the
central directory, so the order is ours to fix), one fixed DOS time, the UTF-8 flag, mode 0644,
no directory entries, no extra fields, no comment. Unlike the host's writer, which stores a CRC of 0,
each entry carries its real CRC-32 so that `unzip -t` and zipfile accept it too.

Streamed: each file is copied once while its CRC-32 and sha256 are computed, and the CRC is then
patched into its local header (the output is a temporary file we own, so no data descriptor is
needed). Memory stays at one chunk whatever the sizes.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections.abc import Callable, Sequence
from typing import BinaryIO

from plugin_kit.content.collect import SourceFile
from plugin_kit.content.digest import CHUNK, FileRecord, content_digest
from plugin_kit.errors import PackError
from plugin_kit.hosts import YOI
from plugin_kit.packer.zipformat import (
    LOCAL_CRC_AT,
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


def _copy(src: SourceFile, out: BinaryIO, buf: bytearray) -> tuple[int, bytes]:
    """Copy one file into `out`; return its CRC-32 and sha256, refusing a file that changed size."""
    crc, h, seen, view = 0, hashlib.sha256(), 0, memoryview(buf)
    with open(src.source, "rb", buffering=0) as f:
        if os.fstat(f.fileno()).st_size != src.size:
            raise _changed(src.path, "changed")
        while seen < src.size:
            n = f.readinto(view[: min(len(buf), src.size - seen)])
            if not n:
                raise _changed(src.path, "shrank")
            chunk = view[:n]
            crc = zlib.crc32(chunk, crc)
            h.update(chunk)
            out.write(chunk)
            seen += n
    return crc, h.digest()


def _sha256_of(out: BinaryIO, size: int) -> str:
    """The archive's sha256, read back from the finished file (the CRCs were patched in place)."""
    h, pos, fd = hashlib.sha256(), 0, out.fileno()
    while pos < size:
        chunk = os.pread(fd, min(CHUNK, size - pos), pos)
        if not chunk:
            break
        h.update(chunk)
        pos += len(chunk)
    return h.hexdigest()


def _too_big(what: str) -> PackError:
    return PackError(
        f"the package needs ZIP64 ({what}), which Yoi does not read", rule="zip64-needed",
        hint="Ship fewer or smaller files: a .yoi-plugin is over the limit of a plain ZIP.",
    )  # fmt: skip


def write_zip(
    files: Sequence[SourceFile], out: BinaryIO, *, progress: Progress | None = None
) -> tuple[str, int, str]:
    """Write the stored ZIP of `files` to `out` (a seekable file); return (sha256, size, digest)."""
    if len(files) > MAX_U16:
        raise _too_big(f"{len(files)} entries")
    ordered = sorted(files, key=lambda f: zip_order(f.path))
    central, records, offset, buf = [], [], 0, bytearray(CHUNK)
    done, total = 0, sum(f.size for f in files)
    for src in ordered:
        name = src.path.encode("utf-8")
        header = local_header(name, 0, src.size)
        if offset + len(header) + src.size > MAX_U32:
            raise _too_big("more than 4 GiB")
        out.write(header)
        crc, sha = _copy(src, out, buf)
        out.flush()
        os.pwrite(out.fileno(), struct.pack("<I", crc), offset + LOCAL_CRC_AT)
        central.append(central_header(name, crc, src.size, offset))
        records.append(FileRecord(src.path, 0o644, src.size, sha))
        offset += len(header) + src.size
        done += src.size
        if progress is not None:
            progress(done, total)
    directory = b"".join(central)
    if offset + len(directory) > MAX_U32:
        raise _too_big("more than 4 GiB")
    out.write(directory + end_record(len(ordered), len(directory), offset))
    out.flush()
    size = offset + len(directory) + len(end_record(0, 0, 0))
    return _sha256_of(out, size), size, content_digest(records, YOI)
