"""The action reference in generated workflows: the release tag by default (a placeholder until
the toolchain's first release, said by create-plugin and plugin validate), or a given commit."""

from __future__ import annotations

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli
from plugin_kit.links import ACTION
from plugin_kit.scaffold.pins import ACTION_TAG

SHA = "0123456789abcdef0123456789abcdef01234567"


def _uses(project) -> set[str]:
    text = "".join(p.read_text() for p in (project / ".github" / "workflows").glob("*.yml"))
    return {line.split("uses:", 1)[1].split()[0] for line in text.splitlines() if ACTION in line}


def test_default_is_the_release_tag_and_both_commands_warn(create_plugin, tmp_path, capsys):
    project = tmp_path / "tagged"
    result = create_plugin("--no-input", "--no-git", "--runtime", "hooks", str(project))
    assert result.code == 0, result.err
    assert _uses(project) == {f"{ACTION}@{ACTION_TAG}"}
    assert "warning[action-ref-placeholder]" in result.err
    assert run(cli, ["validate", str(project)], prog_name="plugin") == 0  # a warning, not an error
    assert "action-ref-placeholder" in capsys.readouterr().err


def test_a_given_commit_is_pinned_and_not_a_placeholder(create_plugin, tmp_path, capsys):
    project = tmp_path / "pinned"
    result = create_plugin("--no-input", "--no-git", "--runtime", "hooks", "--set",
                           f"action_ref={SHA}", str(project))  # fmt: skip
    assert result.code == 0, result.err
    assert _uses(project) == {f"{ACTION}@{SHA}"} and "action-ref-placeholder" not in result.err
    assert run(cli, ["validate", str(project)], prog_name="plugin") == 0
    assert "action-ref-placeholder" not in capsys.readouterr().err


def test_a_ref_that_is_neither_commit_nor_tag_is_refused_before_writing(create_plugin, tmp_path):
    project = tmp_path / "bad"
    for ref in ("main", "v1\nrun: curl evil", "abc123"):
        result = create_plugin("--no-input", "--no-git", "--set", f"action_ref={ref}", str(project))
        assert result.code == 2 and "create.action-ref" in result.err, result.err
        assert not project.exists()
