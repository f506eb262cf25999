"""Catalog fixtures: a catalog key and a publisher key, both passwordless (fast)."""

from __future__ import annotations

from pathlib import Path

import pytest
from signing.cli_runner import plugin  # noqa: F401  (fixture)

from plugin_kit.signing.keys import SecretKey, generate_keypair, load_secret_key_file


def _key(base: Path) -> SecretKey:
    pair = generate_keypair(base, None)
    return load_secret_key_file(pair.secret_key, None)


@pytest.fixture
def catalog_key(tmp_path: Path) -> SecretKey:
    return _key(tmp_path / "catalog")


@pytest.fixture
def publisher_key(tmp_path: Path) -> SecretKey:
    return _key(tmp_path / "publisher")
