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


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def workflow_schema_check(project: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema of the project's workflows against GitHub's workflow schema."""
    workflows = sorted(str(p) for p in (project / ".github" / "workflows").glob("*.yml"))
    assert [Path(w).name for w in workflows] == ["ci.yml", "release.yml"]
    return subprocess.run(
        [Path(sys.executable).parent / "check-jsonschema", "--builtin-schema",
         "vendor.github-workflows", *workflows],
        capture_output=True, text=True,
    )  # fmt: skip


def zizmor_findings(project: Path) -> tuple[list, subprocess.CompletedProcess[str]]:
    """zizmor's findings (medium and above, offline) on the project's workflows."""
    proc = subprocess.run(
        [Path(sys.executable).parent / "zizmor", "--offline", "--format", "json",
         "--min-severity", "medium", str(project / ".github" / "workflows")],
        capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(proc.stdout or "[]"), proc


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
