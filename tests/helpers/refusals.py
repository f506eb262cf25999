"""What every reader's hostile-input tests assert, whatever the host's container."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin_kit.errors import ArchiveError
from plugin_kit.packer.reader import extract_archive, read_archive
from plugin_kit.validators.limits import Limits


def assert_refused_and_nothing_written(
    src: Path, rule: str, place: str | None, limits: Limits | None, host: str | None = None
) -> ArchiveError:
    """Reading `src` and extracting it are both refused with `rule` (naming `place`), and the
    extraction leaves its folder empty. The read's refusal is returned for further checks."""
    out = src.parent / "out"
    out.mkdir()
    with pytest.raises(ArchiveError) as info:
        read_archive(src, limits=limits, host=host)
    assert info.value.rule == rule, str(info.value)
    if place is not None:
        assert place in (info.value.place or ""), info.value.place
    with pytest.raises(ArchiveError) as again:
        extract_archive(src, out / "dest", limits=limits, host=host)
    assert again.value.rule == rule
    assert list(out.iterdir()) == [], "a refused archive must leave nothing behind"
    return info.value


def assert_change_between_passes_refused(
    monkeypatch: pytest.MonkeyPatch, archive: Path, other: bytes
) -> None:
    """`archive` is overwritten in place with `other` (same inode) after the validating pass:
    the extracting pass notices (changed-during-read) and writes nothing."""
    import plugin_kit.packer.reader as reader

    real = reader._validate

    def validate_then_swap(src, host):  # type: ignore[no-untyped-def]
        info = real(src, host)
        with open(archive, "r+b") as f:  # same inode, so the open reader sees the new bytes
            f.write(other)
            f.truncate()
        return info

    monkeypatch.setattr(reader, "_validate", validate_then_swap)
    box = archive.parent / "box"
    box.mkdir()
    with pytest.raises(ArchiveError) as err:
        extract_archive(archive, box / "dest")
    assert err.value.rule == "changed-during-read"
    assert list(box.iterdir()) == []
