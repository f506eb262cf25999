"""Trusted comments for release assets: they name file, id and version, so a signature
cannot be moved onto another plugin's or another version's archive signed by the same key."""

from __future__ import annotations

from plugin_kit.signing.signatures import trusted_comment_for

__all__ = ["asset_trusted_comment"]


def asset_trusted_comment(
    file_name: str, plugin_id: str, version: str, *, timestamp: int | None = None
) -> str:
    """`timestamp:T\\tfile:NAME\\tid:ID\\tversion:V\\thashed` for any asset of a release."""
    return trusted_comment_for(file_name, timestamp=timestamp, id=plugin_id, version=version)
