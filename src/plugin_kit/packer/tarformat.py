"""The POSIX ustar/pax subset our archives use: header encoding for the writer, strict decoding for the reader."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = [
    "BLOCK",
    "RECORD",
    "FIXED_MTIME",
    "HeaderError",
    "Header",
    "file_header",
    "pax_records",
    "parse_header",
    "parse_pax",
    "padding",
    "end_of_archive",
]

BLOCK = 512
RECORD = BLOCK * 20
FIXED_MTIME = (
    315532800  # 1980-01-01T00:00:00Z: the zip epoch, so no tool sees an "implausibly old" time
)
PAX_NAME = b"././@PaxHeader"
_MAGIC = b"ustar\x00"
_VERSION = b"00"


class HeaderError(ValueError):
    """A malformed header; `rule` is the reader rule id."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Header:
    name: str  # prefix/name joined; the raw field, before any pax override
    mode: int
    size: int
    typeflag: bytes


def _octal(value: int, width: int) -> bytes:
    return b"%0*o\x00" % (width - 1, value)


def _checksum(block: bytes) -> int:
    return sum(block[:148]) + 8 * 0x20 + sum(block[156:])


def _split_ustar(name: bytes) -> tuple[bytes, bytes] | None:
    if len(name) <= 100:
        return b"", name
    for i in range(len(name) - 1, 0, -1):
        if name[i : i + 1] == b"/" and i <= 155 and len(name) - i - 1 <= 100:
            return name[:i], name[i + 1 :]
    return None


def _header(name: bytes, prefix: bytes, mode: int, size: int, typeflag: bytes) -> bytes:
    block = bytearray(BLOCK)
    block[0 : len(name)] = name
    block[100:108] = _octal(mode, 8)
    block[108:116] = _octal(0, 8)
    block[116:124] = _octal(0, 8)
    block[124:136] = _octal(size, 12)
    block[136:148] = _octal(FIXED_MTIME, 12)
    block[156:157] = typeflag
    block[257:263] = _MAGIC
    block[263:265] = _VERSION
    block[329:337] = _octal(0, 8)
    block[337:345] = _octal(0, 8)
    block[345 : 345 + len(prefix)] = prefix
    block[148:156] = b"%06o\x00 " % _checksum(bytes(block))
    return bytes(block)


def pax_records(path: str) -> bytes:
    """A pax body holding one `path` record; the length prefix counts itself."""
    body = f" path={path}\n".encode()
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n = len(str(n)) + len(body)
    return str(n).encode() + body


def _fallback(path: str) -> tuple[bytes, bytes]:
    """The ustar (prefix, name) beside a pax `path`: what a tool that ignores pax extracts.

    It passes the path rules too (docs/format.md 2.2): each non-ASCII character becomes `_`, and a
    name ustar still cannot hold becomes `@pax-<hash of the path>`, never a truncated one.
    """
    ascii_name = "".join(c if c.isascii() else "_" for c in path).encode("ascii")
    split = _split_ustar(ascii_name)
    if split is not None:
        return split
    return b"", b"@pax-" + hashlib.sha256(path.encode("utf-8")).hexdigest()[:32].encode()


def file_header(path: str, mode: int, size: int) -> bytes:
    """Header block(s) for a regular file; a pax `path` record only when ustar cannot hold the name."""
    raw = path.encode("utf-8")
    split = _split_ustar(raw) if raw.isascii() else None
    if split is not None:
        return _header(split[1], split[0], mode, size, b"0")
    body = pax_records(path)
    prefix, name = _fallback(path)
    return (
        _header(PAX_NAME, b"", 0o644, len(body), b"x")
        + body
        + padding(len(body))
        + _header(name, prefix, mode, size, b"0")
    )


def padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


def end_of_archive(written: int) -> bytes:
    """Two zero blocks, then zeros up to a whole 10240-byte record."""
    total = written + 2 * BLOCK
    return b"\0" * (2 * BLOCK + (-total % RECORD))


_OCTAL = re.compile(rb" *([0-7]*)[ \x00]*")


def _parse_octal(field: bytes, what: str) -> int:
    if field[:1] and field[0] & 0x80:
        raise HeaderError("header-numeric", f"{what} uses base-256 encoding")
    m = _OCTAL.fullmatch(field)
    if m is None:
        raise HeaderError("header-numeric", f"{what} field {field!r} is not octal")
    return int(m.group(1), 8) if m.group(1) else 0


def _cstring(field: bytes) -> bytes:
    return field.split(b"\x00", 1)[0]


def parse_header(block: bytes) -> Header:
    """Decode one non-zero 512-byte header strictly: checksum, magic, octal fields."""
    stored = _parse_octal(block[148:156], "checksum")
    if stored != _checksum(block):
        raise HeaderError("header-checksum", "header checksum does not match")
    if block[257:263] != _MAGIC or block[263:265] != _VERSION:
        raise HeaderError(
            "header-magic", "header is not POSIX ustar (magic 'ustar\\0' version '00')"
        )
    mode = _parse_octal(block[100:108], "mode")
    numeric = ((108, 116, "uid"), (116, 124, "gid"), (136, 148, "mtime"),
               (329, 337, "devmajor"), (337, 345, "devminor"))  # fmt: skip
    for lo, hi, what in numeric:
        _parse_octal(block[lo:hi], what)
    size = _parse_octal(block[124:136], "size")
    name, prefix = _cstring(block[0:100]), _cstring(block[345:500])
    full = prefix + b"/" + name if prefix else name
    return Header(full.decode("utf-8", "surrogateescape"), mode, size, block[156:157])


def parse_pax(body: bytes, keywords: frozenset[str]) -> dict[str, str]:
    """Parse `len key=value\\n` records strictly; every length must be exact.

    A keyword outside `keywords` is refused before its value is decoded, so the refusal names it.
    """
    out: dict[str, str] = {}
    pos = 0
    while pos < len(body):
        space = body.find(b" ", pos)
        if space < 0 or not body[pos:space].isdigit():
            raise HeaderError("pax-malformed", "pax record has no length")
        length = int(body[pos:space])
        record = body[pos : pos + length]
        if (
            length <= space - pos
            or len(record) != length
            or not record.endswith(b"\n")
            or b"=" not in record
        ):
            raise HeaderError("pax-malformed", "pax record length or layout is wrong")
        key, _, value = record[space - pos + 1 : -1].partition(b"=")
        k = key.decode("utf-8", "backslashreplace")
        if k not in keywords:
            raise HeaderError(
                "pax-keyword",
                f"pax keyword {k!r} is not allowed (only {', '.join(sorted(keywords))})",
            )
        try:
            v = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HeaderError("path-utf8", f"pax {k} record is not valid UTF-8") from exc
        if k in out:
            raise HeaderError("pax-duplicate", f"pax keyword {k!r} is repeated")
        out[k] = v
        pos += length
    return out
