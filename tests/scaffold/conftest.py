"""Fixtures for create-plugin tests: an isolated home and the CLI driven in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from scaffold.helpers import YOI_KINDS, Outcome, generate, isolated_env

from plugin_kit.cli._output import run
from plugin_kit.cli.create import create


@pytest.fixture
def home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for key, value in isolated_env(home).items():
        monkeypatch.setenv(key, value)
    return home


@pytest.fixture
def create_plugin(home, capsys) -> Callable[..., Outcome]:
    """Run `create-plugin ARGS` in-process; return exit code and captured output."""

    def call(*args: str) -> Outcome:
        code = run(create, list(args), prog_name="create-plugin")
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return call


@pytest.fixture(scope="module", params=YOI_KINDS)
def yoi_scaffold(request, tmp_path_factory) -> Path:
    """One Yoi project per runtime kind, made once per module."""
    return generate(tmp_path_factory, request.param, "--host", "yoi", "--runtime", request.param)
