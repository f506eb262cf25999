"""The packer layer's table from a host to its container: how to write it and how to read it.

`archive_format(host)` is the only place in packer/ that maps a host to code (hosts.py holds the
facts; this table holds the implementations). Imports are lazy so that one host's container never
loads the other's dependencies (zstandard for the tar, nothing for the ZIP).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plugin_kit.hosts import INSOMNIA, YOI, Host

__all__ = ["ArchiveFormat", "archive_format"]


@dataclass(frozen=True)
class ArchiveFormat:
    host: Host
    # (files in collect order, seekable binary out, *, progress) -> (archive sha256, size, digest)
    write: Callable[..., tuple[str, int, str]]
    # a class with `open(path, limits)` (a context manager) and `.members()`, `.sha256`, `.size`
    source: Any


def _tar() -> ArchiveFormat:
    from plugin_kit.packer.reader import ArchiveSource
    from plugin_kit.packer.writer import write_archive

    return ArchiveFormat(INSOMNIA, write_archive, ArchiveSource)


def _zip() -> ArchiveFormat:
    from plugin_kit.packer.zipreader import ZipSource
    from plugin_kit.packer.zipwriter import write_zip

    return ArchiveFormat(YOI, write_zip, ZipSource)


_FORMATS: dict[str, Callable[[], ArchiveFormat]] = {INSOMNIA.name: _tar, YOI.name: _zip}


def archive_format(host: Host) -> ArchiveFormat:
    return _FORMATS[host.name]()
