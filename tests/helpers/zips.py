"""ZIP archives built from raw bytes (struct.pack), field by field, for the .yoi-plugin tests.

`zip_bytes` lays out local headers, data, the central directory and the end record the way our
writer does; every field of every record can be overridden, so each hostile case changes exactly
one thing of a valid package.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

YOI_MANIFEST = b"""\
schema_version = 1
id = "example.tool"
name = "Example"
version = "0.1.0"
description = "A tool"
surfaces = ["tool"]

[runtime]
kind = "wasm-component"
component = "plugin.component.wasm"
world = "yoi:plugin/tool@1.0.0"
"""
COMPONENT = b"\0asm\x0d\x00\x01\x00"  # a component preamble; the reader never runs it

YOI_FILES = {
    "plugin.toml": YOI_MANIFEST.decode(),
    "plugin.component.wasm": COMPONENT,
    "README.md": "# Example\n",
}

LOCAL_SIG, CENTRAL_SIG, END_SIG = 0x04034B50, 0x02014B50, 0x06054B50
REGULAR = 0o100644 << 16
LOCAL_FIELDS = ("sig", "version", "flags", "method", "time", "date", "crc", "csize", "usize")
CENTRAL_FIELDS = ("sig", "made_by", "version", "flags", "method", "time", "date", "crc", "csize",
                  "usize", "disk", "internal", "external", "offset")  # fmt: skip


@dataclass
class Entry:
    name: str | bytes
    data: bytes
    local: dict = field(default_factory=dict)  # overrides of LOCAL_FIELDS, "name", "extra"
    central: dict = field(
        default_factory=dict
    )  # overrides of CENTRAL_FIELDS, "name", "extra", "comment"
    after: bytes = b""  # bytes placed after this entry's data (a gap)
    placed: bool = True  # False: only in the central directory (give central["offset"])

    @property
    def raw_name(self) -> bytes:
        return self.name.encode() if isinstance(self.name, str) else self.name


def _local(e: Entry) -> bytes:
    crc = zlib.crc32(e.data)
    v = dict(sig=LOCAL_SIG, version=20, flags=0x0800, method=0, time=0, date=33, crc=crc,
             csize=len(e.data), usize=len(e.data), name=e.raw_name, extra=b"")  # fmt: skip
    v.update(e.local)
    head = struct.pack("<IHHHHHIII", *(v[k] for k in LOCAL_FIELDS))
    return head + struct.pack("<HH", len(v["name"]), len(v["extra"])) + v["name"] + v["extra"]


def _central(e: Entry, offset: int) -> bytes:
    v = dict(sig=CENTRAL_SIG, made_by=0x0314, version=20, flags=0x0800, method=0, time=0, date=33,
             crc=zlib.crc32(e.data), csize=len(e.data), usize=len(e.data), disk=0, internal=0,
             external=REGULAR, offset=offset, name=e.raw_name, extra=b"", comment=b"")  # fmt: skip
    v.update(e.central)
    fixed = [v[k] for k in CENTRAL_FIELDS]
    lens = (len(v["name"]), len(v["extra"]), len(v["comment"]))
    head = struct.pack("<IHHHHHHIII", *fixed[:10]) + struct.pack("<HHH", *lens)
    head += struct.pack("<HHII", *fixed[10:])
    return head + v["name"] + v["extra"] + v["comment"]


def zip_bytes(
    entries: list[Entry],
    *,
    before: bytes = b"",
    between: bytes = b"",
    after: bytes = b"",
    comment: bytes = b"",
    end: dict | None = None,
    central_order: list[int] | None = None,
) -> bytes:
    """A stored ZIP of `entries` in the given order; every part can be made wrong on purpose."""
    out, offsets = bytearray(before), []
    for e in entries:
        offsets.append(len(out))
        if e.placed:
            out += _local(e) + e.data + e.after
    order = central_order if central_order is not None else range(len(entries))
    directory = b"".join(_central(entries[i], offsets[i]) for i in order)
    cd_offset = len(out)
    out += directory + between
    v = dict(disk=0, cd_disk=0, here=len(entries), total=len(entries), size=len(directory),
             offset=cd_offset, comment_len=len(comment))  # fmt: skip
    v.update(end or {})
    out += struct.pack("<IHHHHIIH", END_SIG, *v.values()) + comment + after
    return bytes(out)


def yoi_entries(files: dict[str, bytes] | None = None) -> list[Entry]:
    """A valid package's entries in byte order of their paths (plugin.toml and its component)."""
    all_files = {"plugin.toml": YOI_MANIFEST, "plugin.component.wasm": COMPONENT, **(files or {})}
    return [Entry(n, all_files[n]) for n in sorted(all_files, key=lambda n: n.encode())]


def valid_zip(files: dict[str, bytes] | None = None) -> bytes:
    return zip_bytes(yoi_entries(files))


def write_yoi_tree(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A valid Yoi plugin folder: YOI_FILES plus `files`."""
    for rel, content in {**YOI_FILES, **(files or {})}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return root
