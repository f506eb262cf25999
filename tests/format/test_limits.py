"""A package over the host's limits: validate and pack refuse it naming the limit and --limit; a reader
refusing an archive over a limit says so instead of calling it damaged or hostile."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.archives import compress, tar, valid_members
from helpers.plugins import INCLUDE_LINE, MANIFEST

from plugin_kit.content.project import validate_project
from plugin_kit.errors import ArchiveError, PackError, UsageError
from plugin_kit.hosts import INSOMNIA
from plugin_kit.packer.reader import check_expansion, read_archive
from plugin_kit.packer.writer import pack
from plugin_kit.validators.limits import LIMIT_RULES, Limits, over_limit_hint, parse_overrides

MiB = 1024 * 1024
ALL = MANIFEST.replace(INCLUDE_LINE, "")
BIG = INSOMNIA.limits.max_file_size + 1


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "plugin_kit", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def big_plugin(make_plugin) -> Path:
    """A file one byte over the host's per-file limit, incompressible so no ratio limit hits."""
    data = random.Random(0).randbytes(BIG)
    return make_plugin(manifest=ALL, files={"data/blob.bin": data})


def test_validate_fails_naming_the_limit_and_the_option(big_plugin: Path) -> None:
    report = validate_project(big_plugin)
    [problem] = [p for p in report.problems if p.rule == "limit-file"]
    assert not report.ok and problem.file == "data/blob.bin"
    assert "max_file_size" in problem.message and "--limit max_file_size=" in problem.hint
    proc = _cli("validate", str(big_plugin))
    assert proc.returncode == 1 and "limit-file" in proc.stderr and "--limit" in proc.stderr


def test_validate_with_a_raised_limit_warns_that_the_host_refuses(big_plugin: Path) -> None:
    proc = _cli("validate", str(big_plugin), "--limit", "max_file_size=16MiB", "--json")
    assert proc.returncode == 0, proc.stderr
    warnings = json.loads(proc.stdout)["warnings"]
    assert any(w["rule"] == "limit-file" and "host" in w["message"] for w in warnings)


def test_pack_refuses_before_writing(big_plugin: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(PackError) as info:
        pack(big_plugin, out)
    assert info.value.rule == "limit-file" and info.value.place == "data/blob.bin"
    assert "--limit max_file_size=" in (info.value.hint or "")
    assert not out.exists() or not any(out.iterdir())
    proc = _cli("pack", str(big_plugin), "-o", str(out))
    assert proc.returncode == 1 and "max_file_size" in proc.stderr


def test_raised_pack_then_consumers_say_over_the_limit(big_plugin: Path, tmp_path: Path) -> None:
    proc = _cli("pack", str(big_plugin), "-o", str(tmp_path), "--limit", "max-file-size=9MiB")
    assert proc.returncode == 0, proc.stderr
    assert "warning[limit-file]" in proc.stderr
    archive = next(tmp_path.glob("*.insomnia-plugin"))
    for command in ("inspect", "digest"):
        refused = _cli(command, str(archive))
        assert refused.returncode != 0
        assert "file-too-large" in refused.stderr and "over the limit" in refused.stderr
        assert "hostile" not in refused.stderr, refused.stderr


def test_archive_size_is_checked_after_writing_and_nothing_is_left(make_plugin, tmp_path) -> None:
    root = make_plugin()
    out = tmp_path / "out"
    with pytest.raises(PackError) as info:
        pack(root, out, limit_overrides={"max_archive_size": 64})
    assert info.value.rule == "limit-archive" and "--limit max_archive_size=" in info.value.hint
    assert list(out.iterdir()) == []


def test_an_archive_the_reader_would_find_a_bomb_is_not_written(make_plugin, tmp_path) -> None:
    root = make_plugin(manifest=ALL, files={"zeros.bin": bytes(3 * MiB)})
    out = tmp_path / "out"
    with pytest.raises(PackError) as info:
        pack(root, out, limit_overrides={"ratio_grace": 1 * MiB})
    assert info.value.rule == "limit-ratio"
    assert "--limit max_ratio=" in info.value.hint
    assert list(out.iterdir()) == []
    assert pack(
        root, out, limit_overrides={"ratio_grace": 1 * MiB, "max_ratio": 1_000_000}
    ).path.is_file()


def test_every_limit_rule_gets_the_over_the_limit_hint() -> None:
    for rule, name in LIMIT_RULES.items():
        assert hasattr(Limits(), name)
        assert "over the limit" in (over_limit_hint(rule) or "")
    assert over_limit_hint("path-dot-segment") is None


def test_limit_option_syntax() -> None:
    assert parse_overrides(["max_file_size=16MiB", "max-entries=1000", "max_window=8KiB"]) == {
        "max_file_size": 16 * MiB, "max_entries": 1000, "max_window": 8192,
    }  # fmt: skip
    for bad in ("max_file_size", "nope=1", "max_file_size=lots", "max_file_size=1MB\n"):
        with pytest.raises(UsageError):
            parse_overrides([bad])


@pytest.mark.parametrize(
    ("payload", "limits", "rule"),
    [
        (
            tar(*valid_members({"zeros.bin": bytes(3 * MiB)})),
            Limits(ratio_grace=1 * MiB),
            "ratio-exceeded",
        ),
        (tar(*valid_members({"zeros.bin": bytes(3 * MiB)})), Limits(), None),
    ],
    ids=["ratio", "within"],
)
def test_check_expansion_refuses_as_the_reader_does(tmp_path, payload, limits, rule) -> None:
    archive = tmp_path / "a.insomnia-plugin"
    archive.write_bytes(compress(payload))
    if rule is None:
        check_expansion(archive, limits)
        assert read_archive(archive, limits=limits).files
        return
    with pytest.raises(ArchiveError) as mine:
        check_expansion(archive, limits)
    with pytest.raises(ArchiveError) as reader:
        read_archive(archive, limits=limits)
    assert mine.value.rule == reader.value.rule == rule
