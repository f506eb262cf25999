"""Property tests for .yoi-plugin: random trees round-trip, mutated packages are refused or read
identically, and never raise anything but the reader's own error."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pathspec
from helpers.mutations import extracted, mutations
from helpers.yoi_host import host_digest, host_read
from helpers.zips import valid_zip, write_yoi_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_kit.content.collect import NEVER_PACKED
from plugin_kit.errors import ArchiveError
from plugin_kit.hosts import YOI
from plugin_kit.packer.digest import digest_path
from plugin_kit.packer.reader import extract_archive, read_archive
from plugin_kit.packer.writer import pack
from plugin_kit.validators.hostpaths import host_path_violation
from plugin_kit.validators.paths import CollisionChecker

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SEGMENT = st.text(alphabet=st.sampled_from("abcXYZ019-_.~éñßΣσ"), min_size=1, max_size=10).filter(
    lambda s: host_path_violation(s, YOI) is None
)
PATHS = st.lists(st.lists(SEGMENT, min_size=1, max_size=3).map("/".join), min_size=1, max_size=8)
CONTENT = st.binary(max_size=3000)


NEVER = pathspec.GitIgnoreSpec.from_lines(NEVER_PACKED)


def _usable(paths: list[str]) -> list[str]:
    """Drop paths that are never packed (`x~` backups) or collide with earlier ones or our files."""
    checker = CollisionChecker()
    for fixed in ("plugin.toml", "plugin.component.wasm", "README.md"):
        checker.add(fixed)
    return [
        p for p in paths
        if host_path_violation(p, YOI) is None and not NEVER.match_file(p) and checker.add(p) is None
    ]  # fmt: skip


@given(PATHS, st.data())
@SETTINGS
def test_random_trees_round_trip(paths: list[str], data: st.DataObject) -> None:
    files = {p: data.draw(CONTENT) for p in _usable(paths)}
    with tempfile.TemporaryDirectory() as tmp:
        root = write_yoi_tree(Path(tmp) / "p", files)
        result = pack(root, Path(tmp) / "out")
        info = extract_archive(result.path, Path(tmp) / "x")
        assert info.digest == result.digest == digest_path(root) == digest_path(Path(tmp) / "x")
        assert host_digest(host_read(result.path.read_bytes())) == info.digest
        with zipfile.ZipFile(result.path) as z:
            assert z.testzip() is None
            for name, content in files.items():
                assert z.read(name) == content
                assert (Path(tmp) / "x" / name).read_bytes() == content


BASE = valid_zip({"README.md": b"# readme\n", "z/data.bin": bytes(range(256)) * 4})


@given(mutations(BASE))
@settings(SETTINGS, max_examples=300)
def test_mutated_packages_are_refused_or_read_identically_by_us_and_the_host(data: bytes) -> None:
    with extracted(data, "m.yoi-plugin", "yoi") as (tmp, outcome):
        if isinstance(outcome, ArchiveError):
            assert outcome.rule and list((tmp / "box").iterdir()) == []
            return
        original = read_archive(_write(tmp / "o.yoi-plugin", BASE))
        assert (
            outcome.digest == original.digest
        )  # a byte that does not matter (a time, an attribute)
        assert digest_path(tmp / "box" / "dest") == original.digest
        # Whatever we accept, Yoi loads too, as the same files.
        assert host_digest(host_read(data)) == original.digest


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
