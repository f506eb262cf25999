"""Keys for the signing tests: ours (cheap scrypt limits) and ones made by the real minisign CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from signing.cli_runner import plugin  # noqa: F401  (fixture)
from signing.minisign_cli import FAST, PASSWORD, SKIP_CLI, minisign

from plugin_kit.signing.keys import KeyPairPaths, generate_keypair


@pytest.fixture
def our_plain(tmp_path: Path) -> KeyPairPaths:
    return generate_keypair(tmp_path / "ours-plain", None)


@pytest.fixture
def our_encrypted(tmp_path: Path) -> KeyPairPaths:
    return generate_keypair(tmp_path / "ours-enc", PASSWORD, **FAST)


@pytest.fixture
def cli_plain(tmp_path: Path) -> tuple[Path, Path]:
    key, pub = tmp_path / "cli.key", tmp_path / "cli.pub"
    done = minisign("-G", "-W", "-p", str(pub), "-s", str(key))
    assert done.returncode == 0, done.stderr
    return key, pub


@pytest.fixture(scope="session")
def cli_encrypted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One CLI key with the CLI's own scrypt limits (1 GiB, a few seconds): made once per run."""
    if SKIP_CLI:
        pytest.skip("PLUGIN_KIT_SKIP_MINISIGN_CLI=1 and no minisign")
    base = tmp_path_factory.mktemp("cli-enc")
    key, pub = base / "cli.key", base / "cli.pub"
    done = minisign("-G", "-p", str(pub), "-s", str(key), stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    return key, pub
