"""Bad input: a clear message, exit 2, and nothing written anywhere."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from scaffold.helpers import listing


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        (["--id", "Bad_Id"], "create.id"),
        (["--id", "../escape"], "create.id"),
        (["--id", "ab"], "create.id"),
        (["--id", "x" * 65], "create.id"),
        (["--runtime", "lua"], "create.runtime"),
        (["--set", "colour=red"], "create.unknown-key"),
        (["--set", "no-equals-sign"], "create.set"),
        (["--license", "Not-A-License"], "create.answer"),
        (["--set", "version=1.0"], "create.answer"),
        (["--set", "repository=http://insecure.example/x"], "create.answer"),
    ],
)
def test_bad_answer_exits_2_and_writes_nothing(create_plugin, tmp_path, args, rule):
    before = listing(tmp_path)
    result = create_plugin("--no-input", "--json", *args, str(tmp_path / "new-plugin"))
    assert result.code == 2
    assert result.json["error"]["rule"] == rule
    assert result.json["error"]["message"] and result.json["error"]["hint"]
    assert listing(tmp_path) == before


def test_non_empty_destination_is_refused(create_plugin, tmp_path):
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    result = create_plugin("--no-input", str(dest))
    assert result.code == 2
    assert "not an empty folder" in result.err
    assert listing(tmp_path) == ["taken", "taken/keep.txt"]
    assert (dest / "keep.txt").read_text() == "mine"


def test_existing_file_as_destination_is_refused(create_plugin, tmp_path):
    (tmp_path / "a-file").write_text("x")
    assert create_plugin("--no-input", str(tmp_path / "a-file")).code == 2
    assert listing(tmp_path) == ["a-file"]


@pytest.mark.parametrize("target_exists", [True, False])
def test_symlinked_destination_is_refused(create_plugin, tmp_path, target_exists):
    target = tmp_path / "elsewhere"
    if target_exists:
        target.mkdir()
    os.symlink(target, tmp_path / "link")
    result = create_plugin("--no-input", "--json", str(tmp_path / "link"))
    assert result.code == 2
    assert result.json["error"]["rule"] == "create.dest-symlink"
    assert not target.exists() or list(target.iterdir()) == []


def test_empty_destination_is_used(create_plugin, tmp_path):
    dest = tmp_path / "empty-dir"
    dest.mkdir()
    result = create_plugin("--no-input", "--no-git", "--json", str(dest))
    assert result.code == 0, result.err
    assert (dest / "plugin.toml").is_file()
    assert set(result.json) >= {"path", "runtime", "files", "next_steps"}
    assert listing(tmp_path)[0] == "empty-dir"  # no staging folder left beside it
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".create-plugin")]


def test_unknown_template_folder_is_a_usage_error(create_plugin, tmp_path):
    (tmp_path / "not-a-template").mkdir()
    result = create_plugin("--no-input", "--template", str(tmp_path / "not-a-template"), "x-y")
    assert result.code == 2
    assert "cookiecutter.json" in result.err


def test_failed_move_into_place_removes_the_parents_it_made(create_plugin, tmp_path, monkeypatch):
    """Another process fills the destination just before the final rename: the rename fails, and
    the parent folders made for a nested destination go too (folders that existed stay)."""
    from plugin_kit.scaffold import create as create_module

    real_rename = os.rename
    dest = tmp_path / "existing" / "new-a" / "new-b" / "my-plugin"
    (tmp_path / "existing").mkdir()

    def racing_rename(src, dst):
        os.makedirs(dst)
        (Path(dst) / "theirs.txt").write_text("someone else's")
        real_rename(src, dst)

    monkeypatch.setattr(create_module.os, "rename", racing_rename)
    result = create_plugin("--no-input", "--no-git", "--json", str(dest))
    assert result.code == 2
    assert (dest / "theirs.txt").read_text() == "someone else's"  # not ours to remove
    assert listing(tmp_path)[-1] == "existing/new-a/new-b/my-plugin/theirs.txt"


def test_failed_move_into_a_nested_new_folder_leaves_nothing(create_plugin, tmp_path, monkeypatch):
    """A rename that fails for a reason a test cannot cause here (EXDEV): the made parents go."""
    from plugin_kit.scaffold import create as create_module

    def failing_rename(src, dst):
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), src, None, dst)

    (tmp_path / "existing").mkdir()
    monkeypatch.setattr(create_module.os, "rename", failing_rename)
    dest = tmp_path / "existing" / "new-a" / "new-b" / "my-plugin"
    result = create_plugin("--no-input", "--no-git", "--json", str(dest))
    assert result.code == 2
    assert result.json["error"]["rule"] == "create.dest-not-empty"
    assert listing(tmp_path) == ["existing"]
