"""The stored-ZIP subset of a `.yoi-plugin` (PKWARE APPNOTE 6.3.10, sections 4.3.7, 4.3.12, 4.3.16).

Record layouts shared by the writer and the strict reader. Only what a stored, single-disk,
non-ZIP64 archive without extra fields or comments needs; docs/format.md ("Yoi packages") says
which values we write and which we accept.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Self

__all__ = [
    "LOCAL_SIG",
    "CENTRAL_SIG",
    "END_SIG",
    "ZIP64_END_SIG",
    "ZIP64_LOCATOR_SIG",
    "LOCAL",
    "CENTRAL",
    "END",
    "FLAG_UTF8",
    "VERSION_NEEDED",
    "VERSION_MADE_BY",
    "DOS_TIME",
    "DOS_DATE",
    "FILE_ATTRIBUTES",
    "MAX_U16",
    "MAX_U32",
    "END_SEARCH",
    "LocalHeader",
    "CentralHeader",
    "EndRecord",
    "local_header",
    "central_header",
    "end_record",
]

LOCAL_SIG = 0x04034B50
CENTRAL_SIG = 0x02014B50
END_SIG = 0x06054B50
ZIP64_END_SIG = 0x06064B50
ZIP64_LOCATOR_SIG = 0x07064B50

# signature, version needed, flags, method, time, date, crc, compressed, uncompressed, name, extra
LOCAL = struct.Struct("<IHHHHHIIIHH")
# signature, made by, needed, flags, method, time, date, crc, compressed, uncompressed,
# name, extra, comment, disk, internal attributes, external attributes, local header offset
CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
# signature, disk, central directory disk, entries here, entries, size, offset, comment
END = struct.Struct("<IHHHHIIH")

FLAG_UTF8 = 0x0800  # general purpose bit 11: the name is UTF-8
VERSION_NEEDED = 20  # 2.0, what plugin.rs `write_stored_zip_file` writes
VERSION_MADE_BY = (3 << 8) | 20  # host system 3 (Unix), so tools read the mode below
DOS_TIME = 0  # 00:00:00
DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest DOS date (the host writes 0, no date)
FILE_ATTRIBUTES = 0o100644 << 16  # a regular file, rw-r--r-- (Unix mode in the high half)
MAX_U16, MAX_U32 = 0xFFFF, 0xFFFFFFFF
END_SEARCH = MAX_U16 + END.size  # plugin.rs `find_eocd` looks at the last 65,557 bytes


class _Record:
    """A fixed-size record: `parse` returns its signature and its fields after the signature."""

    LAYOUT: ClassVar[struct.Struct]

    @classmethod
    def parse(cls, data: bytes) -> tuple[int, Self]:
        sig, *fields = cls.LAYOUT.unpack(data)
        return sig, cls(*fields)


@dataclass(frozen=True)
class LocalHeader(_Record):
    LAYOUT: ClassVar[struct.Struct] = LOCAL
    version: int
    flags: int
    method: int
    time: int
    date: int
    crc: int
    compressed: int
    size: int
    name_len: int
    extra_len: int


@dataclass(frozen=True)
class CentralHeader(_Record):
    LAYOUT: ClassVar[struct.Struct] = CENTRAL
    made_by: int
    version: int
    flags: int
    method: int
    time: int
    date: int
    crc: int
    compressed: int
    size: int
    name_len: int
    extra_len: int
    comment_len: int
    disk: int
    internal: int
    external: int
    offset: int


@dataclass(frozen=True)
class EndRecord(_Record):
    LAYOUT: ClassVar[struct.Struct] = END
    disk: int
    cd_disk: int
    entries_here: int
    entries: int
    cd_size: int
    cd_offset: int
    comment_len: int


def _entry_fields(name: bytes, crc: int, size: int) -> tuple[int, ...]:
    """What the local and the central header say alike of an entry, in their order: version
    needed, flags, method (0, stored), time, date, crc, compressed and uncompressed size, name
    length, extra length."""
    return (VERSION_NEEDED, FLAG_UTF8, 0, DOS_TIME, DOS_DATE, crc, size, size, len(name), 0)


def local_header(name: bytes, crc: int, size: int) -> bytes:
    return LOCAL.pack(LOCAL_SIG, *_entry_fields(name, crc, size)) + name


def central_header(name: bytes, crc: int, size: int, offset: int) -> bytes:
    # then comment length, disk, internal attributes, external attributes, local header offset
    fields = (*_entry_fields(name, crc, size), 0, 0, 0, FILE_ATTRIBUTES, offset)
    return CENTRAL.pack(CENTRAL_SIG, VERSION_MADE_BY, *fields) + name


def end_record(entries: int, cd_size: int, cd_offset: int) -> bytes:
    return END.pack(END_SIG, 0, 0, entries, entries, cd_size, cd_offset, 0)
