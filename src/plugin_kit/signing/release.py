"""Trusted comments for release assets: they name file, id and version, so a signature
cannot be moved onto another plugin's or another version's archive signed by the same key."""

from __future__ import annotations

from pathlib import Path

from plugin_kit.signing.signatures import trusted_comment_for

__all__ = ["ARCHIVE_SUFFIX", "archive_trusted_comment", "asset_trusted_comment"]

ARCHIVE_SUFFIX = ".insomnia-plugin"


def asset_trusted_comment(
    file_name: str, plugin_id: str, version: str, *, timestamp: int | None = None
) -> str:
    """`timestamp:T\\tfile:NAME\\tid:ID\\tversion:V\\thashed` for any asset of a release."""
    return trusted_comment_for(file_name, timestamp=timestamp, id=plugin_id, version=version)


def archive_trusted_comment(path: Path, *, timestamp: int | None = None) -> str:
    """Read the archive strictly (a hostile archive is refused before it is signed) and name
    its id and version in the comment; other files get the CLI's default comment."""
    if not path.name.endswith(ARCHIVE_SUFFIX):
        return trusted_comment_for(path.name, timestamp=timestamp)
    from plugin_kit.packer.reader import read_archive

    manifest = read_archive(path).manifest
    return asset_trusted_comment(path.name, manifest.id, manifest.version, timestamp=timestamp)
