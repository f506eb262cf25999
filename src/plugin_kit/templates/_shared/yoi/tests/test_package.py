"""The plugin validates (the component pre-flight included) and packs into <id>-<version>.yoi-plugin."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT


def test_validates_without_warnings(plugin):
    report = plugin("validate", str(ROOT))
    assert report["valid"], report["problems"]
    assert report["warnings"] == [], report["warnings"]


def test_packs(plugin, manifest, tmp_path):
    result = plugin("pack", str(ROOT), "-o", str(tmp_path))
    archive = Path(result["path"])
    assert archive.name == f"{manifest['id']}-{manifest['version']}.yoi-plugin"
    assert archive.is_file() and archive.stat().st_size == result["size"]
    assert result["digest"].startswith("sha256:")
