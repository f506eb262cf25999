"""The content digest of a plugin folder or of an archive: the same value for the same files."""

from __future__ import annotations

from pathlib import Path

__all__ = ["digest_path"]


def digest_path(path: Path, host: str | None = None) -> str:
    """Content digest of an archive (read strictly) or of a plugin source tree (as it would be packed).

    The host is `host` (--host) or detected: from plugin.toml for a tree, from the bytes for an archive.
    """
    if Path(path).is_dir():
        from plugin_kit.content.digest import source_digest

        return source_digest(path, host)
    from plugin_kit.packer.reader import read_archive

    return read_archive(Path(path), host=host).digest
