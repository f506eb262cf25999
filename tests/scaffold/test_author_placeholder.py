"""A placeholder author (no git identity) is said aloud: create-plugin, validate and publish warn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scaffold.helpers import isolated_env

from plugin_kit.cli._output import run
from plugin_kit.cli.create import create
from plugin_kit.cli.main import cli


@pytest.fixture
def no_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in isolated_env(tmp_path / "home").items():
        monkeypatch.setenv(key, value)


def test_create_validate_and_publish_warn(tmp_path, capsys, no_git_identity) -> None:
    dest = tmp_path / "weather-tools"
    assert run(create, ["--runtime", "hooks", "--no-input", "--no-git", str(dest)]) == 0
    err = capsys.readouterr().err
    assert "warning[author-placeholder]" in err and "Plugin Author <author@example.org>" in err

    assert run(cli, ["validate", str(dest), "--json"]) == 0  # a warning, not an error
    report = json.loads(capsys.readouterr().out)
    assert [w["rule"] for w in report["warnings"]] == ["author-placeholder"]
    assert report["warnings"][0]["field"] == "plugin.authors[0]"

    assert run(cli, ["pack", str(dest), "-o", str(tmp_path / "dist")]) == 0
    assert run(cli, ["keygen", "-o", str(tmp_path / "k"), "--no-password"]) == 0
    archive = next((tmp_path / "dist").iterdir())
    capsys.readouterr()
    code = run(cli, ["publish", str(archive), "--target", f"dir:{tmp_path / 'site'}",
                     "--key", str(tmp_path / "k.key"), "--dry-run", "--json"])  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["warnings"][0]["rule"] == "author-placeholder"
    assert "warning[author-placeholder]" in captured.err


def test_a_real_author_gives_no_warning(tmp_path, capsys, no_git_identity) -> None:
    dest = tmp_path / "weather-tools"
    args = ["--runtime", "hooks", "--no-input", "--no-git", "--author", "Ada <ada@lovelace.dev>"]
    assert run(create, [*args, str(dest), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []


def test_the_rule_knows_every_templates_placeholder() -> None:
    from plugin_kit.scaffold.templates import builtin_names, builtin_root
    from plugin_kit.validators.semantic import PLACEHOLDER_AUTHOR

    for name in builtin_names():
        variables = json.loads((builtin_root() / name / "cookiecutter.json").read_text())
        assert variables["author"] == PLACEHOLDER_AUTHOR, name
