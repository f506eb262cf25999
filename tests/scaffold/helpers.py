"""Helpers for create-plugin tests (importable as scaffold.helpers)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

VENV_BIN = str(Path(sys.executable).parent)


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
