"""An invalid hooks file makes an invalid plugin for install too, not only for `plugin dev`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from helpers.archives import MANIFEST, compress, member, tar

from plugin_kit.installer.paths import plugin_cache_dir
from plugin_kit.installer.stores import user_store


def test_install_refuses_an_archive_whose_hooks_file_is_invalid(plugin, tmp_path: Path) -> None:
    hooks = b'[[hooks]]\nevent = "pre_tool_use"\naction = "block"\n'
    archive = tmp_path / "demo-plugin-1.0.0.insomnia-plugin"
    archive.write_bytes(compress(tar(member("plugin.toml", MANIFEST), member("hooks.toml", hooks))))
    sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
    r = plugin("install", str(archive), "--sha256", sha256, "--yes")
    assert r.code == 3, r.err
    assert "hooks-invalid" in r.err and "hooks[0].action" in r.err
    assert user_store().archives() == []
    assert not plugin_cache_dir().exists() or not any(plugin_cache_dir().iterdir())
