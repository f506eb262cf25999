"""A test oracle: how Yoi reads a .yoi-plugin, written in Python from HareK02/yoi @ b12e0785
crates/manifest/src/plugin.rs (`find_eocd`, `parse_stored_zip`, `read_stored_entry`,
`normalize_archive_path`, `is_zip_symlink`, the start of `materialize_files`, and the size check
of `read_plugin_package_file`), field for field, so that tests can ask "would the host load it?".

It stops before `validate_manifest`: the manifest rules are the Yoi manifest model's.
"""

from __future__ import annotations

import hashlib
import struct

KiB, MiB = 1024, 1024 * 1024


class HostRefusal(Exception):
    pass


def _u16(b: bytes, at: int) -> int:
    if at < 0 or at + 2 > len(b):
        raise HostRefusal("truncated")
    return struct.unpack_from("<H", b, at)[0]


def _u32(b: bytes, at: int) -> int | None:
    if at < 0 or at + 4 > len(b):
        return None
    return struct.unpack_from("<I", b, at)[0]


def _need32(b: bytes, at: int) -> int:
    v = _u32(b, at)
    if v is None:
        raise HostRefusal("truncated")
    return v


def find_eocd(b: bytes) -> int | None:
    if len(b) < 22:
        return None
    for at in range(len(b) - 22, max(0, len(b) - 65_557) - 1, -1):
        if _u32(b, at) == 0x06054B50:
            return at
    return None


def normalize(raw: str) -> str | None:
    if not raw or "\0" in raw or "\\" in raw:
        return None
    if raw.startswith(("/", "~")) or (
        len(raw) >= 2 and raw[1] == ":" and raw[0].isascii() and raw[0].isalpha()
    ):
        return None
    parts = raw.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return "/".join(parts)


def host_read(
    b: bytes,
    *,
    max_package: int = 16 * MiB,
    max_manifest: int = 64 * KiB,
    max_entries: int = 512,
    max_file: int = 8 * MiB,
    max_total: int = 64 * MiB,
) -> dict[str, bytes]:
    """The files Yoi would materialise from `b`, or HostRefusal."""
    if len(b) > max_package:
        raise HostRefusal("package size")
    at = find_eocd(b)
    if at is None:
        raise HostRefusal("no end record")
    disk, cd_disk = _u16(b, at + 4), _u16(b, at + 6)
    count, cd_size, cd_off = _u16(b, at + 10), _need32(b, at + 12), _need32(b, at + 16)
    if disk or cd_disk:
        raise HostRefusal("multi-disk")
    if count > max_entries:
        raise HostRefusal("entries")
    if cd_off + cd_size > len(b):
        raise HostRefusal("directory outside")
    cursor, entries = cd_off, []
    for _ in range(count):
        if _u32(b, cursor) != 0x02014B50:
            raise HostRefusal("directory entry")
        flags, method = _u16(b, cursor + 8), _u16(b, cursor + 10)
        csize, usize = _need32(b, cursor + 20), _need32(b, cursor + 24)
        nlen, xlen, clen = _u16(b, cursor + 28), _u16(b, cursor + 30), _u16(b, cursor + 32)
        ext, local = _need32(b, cursor + 38), _need32(b, cursor + 42)
        start = cursor + 46
        if start + nlen > len(b):
            raise HostRefusal("name outside")
        try:
            raw = b[start : start + nlen].decode("utf-8")
        except UnicodeDecodeError:
            raise HostRefusal("name not UTF-8") from None
        name = normalize(raw)
        if name is None:
            raise HostRefusal("path")
        cursor = start + nlen + xlen + clen
        entries.append((name, csize, usize, local, method, flags, ext))
    files: dict[str, bytes] = {}
    total = 0
    for name, csize, usize, local, method, flags, ext in entries:
        if flags & 1:
            raise HostRefusal("encrypted")
        if (ext >> 16) & 0o170000 == 0o120000:
            raise HostRefusal("symlink")
        if method != 0:
            raise HostRefusal("method")
        if usize > max_file:
            raise HostRefusal("file size")
        total += usize
        if total > max_total:
            raise HostRefusal("expanded size")
        if _u32(b, local) != 0x04034B50:
            raise HostRefusal("local header")
        if _u16(b, local + 6) != flags or _u16(b, local + 8) != method:
            raise HostRefusal("local disagrees")
        data_start = local + 30 + _u16(b, local + 26) + _u16(b, local + 28)
        if data_start + csize > len(b):
            raise HostRefusal("data outside")
        data = b[data_start : data_start + csize]
        if len(data) != usize or len(data) != csize:
            raise HostRefusal("sizes")
        if name in files:
            raise HostRefusal("duplicate")
        files[name] = data
    manifest = files.get("plugin.toml")
    if manifest is None:
        raise HostRefusal("no plugin.toml")
    if len(manifest) > max_manifest:
        raise HostRefusal("manifest size")
    try:
        manifest.decode("utf-8")
    except UnicodeDecodeError:
        raise HostRefusal("manifest not UTF-8") from None
    return files


def host_digest(files: dict[str, bytes]) -> str:
    """plugin.rs `deterministic_digest`: a BTreeMap<String, Vec<u8>> walked in order."""
    h = hashlib.sha256(b"yoi-plugin-package-digest-v1\0")
    for path in sorted(files, key=lambda p: p.encode()):
        content = files[path]
        h.update(path.encode() + b"\0" + len(content).to_bytes(8, "big"))
        h.update(hashlib.sha256(content).digest())
    return "sha256:" + h.hexdigest()
