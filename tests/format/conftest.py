from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.plugins import FILES, MANIFEST


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content) if rel != "plugin.toml" else content)
    return root


@pytest.fixture
def make_plugin(tmp_path: Path) -> Callable[..., Path]:
    """A valid plugin folder; `manifest=` and `files=` replace or add to the defaults."""

    def make(name: str = "plugin", manifest: str = MANIFEST, files: dict | None = None) -> Path:
        root = tmp_path / name
        root.mkdir()
        return write_tree(root, {"plugin.toml": manifest, **FILES, **(files or {})})

    return make
