"""What every reader's hostile-input tests assert, whatever the host's container."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plugin_kit.content.digest import extracted_digest
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


def swap_while_extracting(
    monkeypatch: pytest.MonkeyPatch, archive: Path, other: bytes
) -> ArchiveError | None:
    """`archive` is overwritten in place with `other` (same inode) after the one pass has handed
    out its first member. Either the pass notices and refuses, leaving nothing (the refusal is
    returned), or what it extracted is exactly what it checked (None is returned)."""
    from plugin_kit.hosts import host_for_archive
    from plugin_kit.packer.formats import archive_format

    source_cls = archive_format(host_for_archive(archive)).source
    real = source_cls.members

    def members_then_swap(self):  # type: ignore[no-untyped-def]
        for i, item in enumerate(real(self)):
            yield item
            if i == 0:
                with open(archive, "r+b") as f:  # same inode, so the open reader sees the new bytes
                    f.write(other)
                    f.truncate()

    monkeypatch.setattr(source_cls, "members", members_then_swap)
    box = archive.parent / "box"
    box.mkdir()
    try:
        info = extract_archive(archive, box / "dest")
    except ArchiveError as err:
        assert list(box.iterdir()) == []
        return err
    assert extracted_digest(box / "dest", info.host) == info.digest
    assert sorted(p.name for p in box.iterdir()) == ["dest"]
    return None


def refusal_and_peak_rss(src: Path, unlimited_for: int | None = None) -> tuple[str, int]:
    """read_archive(src) in a child process, so its peak memory is its own: (the rule it refused
    with, peak RSS in KiB). With `unlimited_for`, the limits are raised to fit that many bytes."""
    limits = f"Limits.unlimited_for({unlimited_for})" if unlimited_for else "None"
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec, so it could report pytest's own size.
    code = (
        "import re,sys\n"
        "from plugin_kit.packer.reader import read_archive\n"
        "from plugin_kit.validators.limits import Limits\n"
        "from plugin_kit.errors import ArchiveError\n"
        f"try:\n    read_archive(sys.argv[1], limits={limits})\n"
        "except ArchiveError as e:\n    print(e.rule)\n"
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(src)], capture_output=True, text=True, check=True
    )
    rule, rss_kib = proc.stdout.split()
    return rule, int(rss_kib)
