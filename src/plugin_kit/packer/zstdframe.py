"""Walk a zstd frame's headers without decompressing: one frame, checksummed, complete, nothing around it.

zstandard's stream_reader silently skips skippable frames, decodes concatenated frames and returns a clean
EOF on a truncated frame (research/archive.md, rules 2-6), so the structure is checked here first, by
seeking from block header to block header as ZSTD_findFrameCompressedSize does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["FrameError", "FrameInfo", "scan_frame", "ZSTD_MAGIC"]

ZSTD_MAGIC = 0xFD2FB528
_SKIPPABLE = range(0x184D2A50, 0x184D2A60)
_MAX_BLOCK = 128 * 1024


class FrameError(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class FrameInfo:
    window_size: int
    content_size: int
    frame_size: int


def _read(f: BinaryIO, n: int, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise FrameError("zstd-truncated", f"the zstd frame is truncated ({what})")
    return data


def _header(f: BinaryIO) -> tuple[int, int | None, bool]:
    magic = f.read(4)
    if len(magic) == 4 and struct.unpack("<I", magic)[0] in _SKIPPABLE:
        raise FrameError("zstd-skippable-frame", "the archive starts with a skippable frame")
    if len(magic) != 4 or struct.unpack("<I", magic)[0] != ZSTD_MAGIC:
        raise FrameError("zstd-magic", "not a zstd frame (bad magic number)")
    (fhd,) = _read(f, 1, "frame header")
    fcs_flag, single, reserved, checksum, dict_flag = (
        fhd >> 6,
        fhd >> 5 & 1,
        fhd >> 3 & 1,
        fhd >> 2 & 1,
        fhd & 3,
    )
    if reserved:
        raise FrameError("zstd-header", "reserved bit set in the frame header")
    if dict_flag:
        raise FrameError(
            "zstd-dictionary", "the frame needs a dictionary (never used by this format)"
        )
    if not checksum:
        raise FrameError("zstd-no-checksum", "the frame has no content checksum")
    window = None
    if not single:
        (wd,) = _read(f, 1, "window descriptor")
        base = 1 << (10 + (wd >> 3))
        window = base + (base // 8) * (wd & 7)
    fcs_len = {0: 1 if single else 0, 1: 2, 2: 4, 3: 8}[fcs_flag]
    if fcs_len == 0:
        raise FrameError("zstd-no-content-size", "the frame does not declare its content size")
    raw = _read(f, fcs_len, "content size")
    size = int.from_bytes(raw, "little") + (256 if fcs_len == 2 else 0)
    return size, window, bool(checksum)


def scan_frame(f: BinaryIO, file_size: int, *, max_window: int) -> FrameInfo:
    """Check the structure of the single frame in `f` (positioned at 0); leaves `f` at an unspecified place."""
    content_size, window, _ = _header(f)
    window = window if window is not None else content_size
    if window > max_window:
        raise FrameError(
            "zstd-window", f"the frame needs a {window}-byte window (limit {max_window})"
        )
    block_max = min(window, _MAX_BLOCK)
    while True:
        raw = _read(f, 3, "block header")
        bh = int.from_bytes(raw, "little")
        last, btype, bsize = bh & 1, bh >> 1 & 3, bh >> 3
        if btype == 3:
            raise FrameError("zstd-corrupt", "reserved block type")
        if bsize > block_max and btype != 1:
            raise FrameError("zstd-corrupt", "block larger than the frame allows")
        skip = 1 if btype == 1 else bsize
        pos = f.tell() + skip
        if pos > file_size:
            raise FrameError("zstd-truncated", "the zstd frame is truncated (block data)")
        f.seek(pos)
        if last:
            break
    _read(f, 4, "checksum")
    end = f.tell()
    if end != file_size:
        trailing = f.read(4)
        if len(trailing) == 4 and struct.unpack("<I", trailing)[0] in _SKIPPABLE:
            raise FrameError(
                "zstd-skippable-frame", "a skippable frame follows the archive's frame"
            )
        if len(trailing) == 4 and struct.unpack("<I", trailing)[0] == ZSTD_MAGIC:
            raise FrameError("zstd-concatenated", "a second zstd frame follows the first")
        raise FrameError("zstd-trailing-data", f"{file_size - end} bytes follow the zstd frame")
    return FrameInfo(window, content_size, end)
