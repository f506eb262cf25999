"""Helpers for create-plugin tests (importable as scaffold.helpers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

VENV_BIN = str(Path(sys.executable).parent)
YOI_KINDS = ["tool", "instance"]  # create-plugin --host yoi --runtime KIND


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict:
        return json.loads(self.out)


def isolated_env(home: Path) -> dict[str, str]:
    """HOME and XDG dirs in a temp folder (no git identity), the venv's tools first on PATH."""
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PATH=os.pathsep.join([VENV_BIN, env.get("PATH", "")]),
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def generate(tmp_path_factory, name: str, *args: str) -> Path:  # type: ignore[no-untyped-def]
    """`create-plugin --no-input ARGS <tmp>/demo-NAME` by the real CLI in an isolated home."""
    import pytest

    from plugin_kit.cli._output import run
    from plugin_kit.cli.create import create

    home = tmp_path_factory.mktemp(f"home-{name}")
    mp = pytest.MonkeyPatch()
    for key, value in isolated_env(home).items():
        mp.setenv(key, value)
    dest = tmp_path_factory.mktemp(name) / f"demo-{name}"
    try:
        assert run(create, ["--no-input", *args, str(dest)]) == 0
    finally:
        mp.undo()
    return dest


def old_template(tmp_path: Path, name: str) -> Path:
    """A copy of the built-in templates where `name` is version 0.0.1 (edit it further)."""
    import shutil

    from plugin_kit.scaffold.templates import builtin_root

    root = tmp_path / "templates-0.0.1"
    shutil.copytree(builtin_root(), root)
    config = json.loads((root / name / "cookiecutter.json").read_text())
    config["_template_version"] = "0.0.1"
    (root / name / "cookiecutter.json").write_text(json.dumps(config))
    return root / name


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def own_tests(project: Path, home: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    """The generated project's own tests (or some of them), run as its author would."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths],
        cwd=project,
        env={**isolated_env(home), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_own_tests_pass(project: Path, home: Path, *paths: str) -> None:
    """The generated project's own tests (or some of them), run as its author would, all pass."""
    proc = own_tests(project, home, *paths)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout and "skipped" not in proc.stdout
