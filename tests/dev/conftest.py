"""Fixtures of the dev tests: an isolated home, and dev subprocesses that are always stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dev.plugins import DevProcess


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Stores, cache and temp files under a fresh folder, never the real home."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("HOME", "h"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("TMPDIR", "tmp"),
    ):
        (home / sub).mkdir()
        monkeypatch.setenv(var, str(home / sub))
    for var in (
        "YOI_CONFIG_DIR",
        "YOI_HOME",
        "YOI_DATA_DIR",
    ):  # Yoi's Profiles: under XDG_CONFIG_HOME
        monkeypatch.delenv(var, raising=False)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    return home


@pytest.fixture
def dev_process() -> Iterator[Callable[..., DevProcess]]:
    started: list[DevProcess] = []

    def start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> DevProcess:
        started.append(DevProcess(args, cwd, env))
        return started[-1]

    yield start
    for p in started:
        p.stop()
