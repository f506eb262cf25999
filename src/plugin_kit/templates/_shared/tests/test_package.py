"""The plugin validates and packs into an archive named after its id and version."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT


def test_validates(plugin):
    plugin("validate", str(ROOT))


def test_packs(plugin, manifest, tmp_path):
    meta = manifest["plugin"]
    result = plugin("pack", str(ROOT), "-o", str(tmp_path))
    archive = Path(result["path"])
    assert archive.name == f"{meta['id']}-{meta['version']}.insomnia-plugin"
    assert archive.is_file() and archive.stat().st_size == result["size"]
    assert result["digest"].startswith("sha256:")
