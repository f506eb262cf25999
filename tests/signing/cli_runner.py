"""The `plugin` fixture: run the CLI in-process with a clean signing environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli


@pytest.fixture
def plugin(capsys, monkeypatch, tmp_path: Path):
    """Run `plugin ...` in tmp_path; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    for var in ("MINISIGN_SECRET_KEY", "MINISIGN_PASSWORD"):
        monkeypatch.delenv(var, raising=False)

    def call(*args: str) -> tuple[int, str, str]:
        code = run(cli, list(args), prog_name="plugin")
        out, err = capsys.readouterr()
        return code, out, err

    return call
