"""The packer layer's table from a host to its container: how to write it and how to read it.

`archive_format(host)` is the only place in packer/ that maps a host to code (hosts.py holds the
facts; this table holds the implementations). Each side is imported only when it is asked for, so
packing never loads a reader and reading never loads a writer.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from plugin_kit.hosts import INSOMNIA, YOI, Host

__all__ = ["ArchiveFormat", "archive_format"]


def _load(ref: str) -> Any:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class ArchiveFormat:
    host: Host
    writer: str  # "module:function", see `write`
    reader: str  # "module:class", see `source`
    expansion: str | None = None  # "module:function", see `check_expansion`

    @property
    def write(self) -> Any:
        """(files in collect order, binary out, *, progress) -> (archive sha256, size, digest)."""
        return _load(self.writer)

    @property
    def source(self) -> Any:
        """A class with `open(path, limits)` (a context manager yielding an object with
        `.members()`, then `.sha256` and `.size`)."""
        return _load(self.reader)

    @property
    def check_expansion(self) -> Any:
        """(written archive path, limits) -> None, raising ArchiveError as a reader would refuse
        the archive's expansion; None for a container without compression."""
        return _load(self.expansion) if self.expansion else None


_FORMATS = {
    INSOMNIA.name: ArchiveFormat(
        INSOMNIA,
        "plugin_kit.packer.writer:write_archive",
        "plugin_kit.packer.reader:ArchiveSource",
        "plugin_kit.packer.reader:check_expansion",
    ),
    YOI.name: ArchiveFormat(
        YOI, "plugin_kit.packer.zipwriter:write_zip", "plugin_kit.packer.zipreader:ZipSource"
    ),
}


def archive_format(host: Host) -> ArchiveFormat:
    return _FORMATS[host.name]
