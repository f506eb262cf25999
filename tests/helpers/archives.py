"""Build archives byte by byte, valid or hostile, for the reader's tests."""

from __future__ import annotations

import struct

import zstandard

from plugin_kit.packer.tarformat import BLOCK, FIXED_MTIME, end_of_archive

MANIFEST = b"""manifest_version = 1

[plugin]
id = "demo-plugin"
version = "1.0.0"
api = ">=1.0.0, <2.0.0"
runtime = "hooks"
description = "A test plugin"
license = "MIT"

[runtime]
file = "hooks.toml"
"""
HOOKS = b'[[hooks]]\nevent = "pre_tool_use"\naction = "allow"\n'


def octal(value: int, width: int) -> bytes:
    return b"%0*o\x00" % (width - 1, value)


def header(
    name: bytes | str,
    size: int,
    *,
    typeflag: bytes = b"0",
    mode: int = 0o644,
    magic: bytes = b"ustar\x0000",
    prefix: bytes = b"",
    linkname: bytes = b"",
    size_field: bytes | None = None,
    devmajor_field: bytes | None = None,
    checksum_delta: int = 0,
) -> bytes:
    name = name.encode("utf-8", "surrogateescape") if isinstance(name, str) else name
    b = bytearray(BLOCK)
    b[0 : len(name[:100])] = name[:100]
    b[100:108] = octal(mode, 8)
    b[108:116] = octal(0, 8)
    b[116:124] = octal(0, 8)
    b[124:136] = size_field if size_field is not None else octal(size, 12)
    b[136:148] = octal(FIXED_MTIME, 12)
    b[156:157] = typeflag
    b[157 : 157 + len(linkname)] = linkname
    b[257:265] = magic
    if devmajor_field is not None:
        b[329:337] = devmajor_field
    b[345 : 345 + len(prefix)] = prefix
    chk = sum(b[:148]) + 256 + sum(b[156:]) + checksum_delta
    b[148:156] = b"%06o\x00 " % chk
    return bytes(b)


def pad(n: int) -> bytes:
    return b"\0" * (-n % BLOCK)


def member(path: str | bytes, data: bytes, **kw: object) -> bytes:
    return header(path, len(data), **kw) + data + pad(len(data))  # type: ignore[arg-type]


def pax_member(
    records: bytes, path_header: str | bytes, data: bytes, *, typeflag: bytes = b"x"
) -> bytes:
    return (
        header("././@PaxHeader", len(records), typeflag=typeflag)
        + records
        + pad(len(records))
        + member(path_header, data)
    )


def tar(*members: bytes, end: bool = True) -> bytes:
    body = b"".join(members)
    return body + (end_of_archive(len(body)) if end else b"")


def valid_members(extra: dict[str, bytes] | None = None) -> list[bytes]:
    files = {"hooks.toml": HOOKS, **(extra or {})}
    return [member("plugin.toml", MANIFEST)] + [
        member(p, files[p]) for p in sorted(files, key=lambda p: p.encode())
    ]


def compress(payload: bytes, *, checksum: bool = True, content_size: bool = True) -> bytes:
    cctx = zstandard.ZstdCompressor(
        level=3, write_checksum=checksum, write_content_size=content_size
    )
    return cctx.compress(payload)


def raw_frame(
    payload: bytes,
    *,
    window_log: int | None = None,
    checksum: bool = True,
    dict_id: bool = False,
    reserved: bool = False,
    declared_size: int | None = None,
) -> bytes:
    """A frame of raw blocks whose header fields we choose; the checksum is borrowed from zstandard."""
    fhd = (3 << 6) | (checksum << 2) | (reserved << 3) | (1 if dict_id else 0)
    single = window_log is None
    fhd |= single << 5
    out = struct.pack("<I", 0xFD2FB528) + bytes([fhd])
    if not single:
        out += bytes([(window_log - 10) << 3])
    if dict_id:
        out += b"\x07"
    out += struct.pack("<Q", len(payload) if declared_size is None else declared_size)
    blocks = [payload[i : i + 65536] for i in range(0, len(payload), 65536)] or [b""]
    for i, blk in enumerate(blocks):
        last = i == len(blocks) - 1
        out += (last | (0 << 1) | (len(blk) << 3)).to_bytes(3, "little") + blk
    if checksum:
        out += compress(payload)[-4:]
    return out


def rle_bomb_frame(total: int, *, declared: int) -> bytes:
    """`total` zero bytes as RLE blocks (4 bytes per 128 KiB), declaring `declared` as the content size."""
    fhd = (3 << 6) | (1 << 2)
    out = struct.pack("<I", 0xFD2FB528) + bytes([fhd, (17 - 10) << 3]) + struct.pack("<Q", declared)
    block = 128 * 1024
    n = total // block
    for i in range(n):
        last = i == n - 1
        out += (last | (1 << 1) | (block << 3)).to_bytes(3, "little") + b"\0"
    return out + b"\0\0\0\0"


def skippable(data: bytes = b"watermark") -> bytes:
    return struct.pack("<II", 0x184D2A50, len(data)) + data
