"""Fixtures shared by this plugin's tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Tests import the plugin's own modules (if it has any) from the project folder.
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    return tomllib.loads((ROOT / "plugin.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def plugin() -> Callable[..., dict[str, Any]]:
    """Run `plugin ARGS --json` with the toolchain installed beside this Python; return its JSON."""
    env = dict(os.environ)
    # [build].command calls `plugin` by name: find the one installed with this Python first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])

    def run(*args: str) -> dict[str, Any]:
        proc = subprocess.run(
            [sys.executable, "-m", "plugin_kit", *args, "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr or proc.stdout
        return json.loads(proc.stdout)

    return run
