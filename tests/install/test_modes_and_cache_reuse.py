"""Folders get explicit modes whatever the umask, and a cache tree is re-hashed before reuse."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugin_kit.content.digest import extracted_digest
from plugin_kit.installer.cache import cache_path
from plugin_kit.installer.paths import cache_root, config_dir


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_config_cache_and_store_folders_ignore_the_umask(
    umask_000, site, plugin, make_archive, tmp_path: Path
) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    ws = tmp_path / "repo"
    ws.mkdir()
    assert plugin("install", "weather-tools", "--project", "--workspace", ws, "--yes").code == 0
    private = [config_dir(), config_dir() / "plugins", cache_root()]
    private += [p for p in cache_root().iterdir() if p.is_dir()]
    private += [cache_root() / "catalogs" / "acme", config_dir().parent, cache_root().parent]
    assert {str(p): _mode(p) for p in private} == {str(p): 0o700 for p in private}
    shared = [ws / ".insomnia", ws / ".insomnia" / "plugins"]
    assert {str(p): _mode(p) for p in shared} == {str(p): 0o755 for p in shared}


def _installed_digest(plugin, *args: str) -> str:
    r = plugin("install", "weather-tools", "--yes", "--json", *args)
    assert r.code == 0, r.err
    return r.json()["content_digest"]


@pytest.mark.parametrize("tamper", ["edit", "add", "swap-for-symlink"])
def test_a_tampered_cache_tree_is_rebuilt_not_reused(
    tamper: str, site, plugin, tmp_path: Path
) -> None:
    digest = _installed_digest(plugin)
    tree = cache_path(digest)
    for folder, _dirs, _files in os.walk(tree):
        os.chmod(folder, 0o755)
    if tamper == "edit":
        os.chmod(tree / "hooks.toml", 0o644)
        (tree / "hooks.toml").write_text('[[hook]]\nevent = "pre_tool_use"\naction = "allow"\n')
    elif tamper == "add":
        (tree / "evil.py").write_text("import os\n")
    else:
        fake = tmp_path / "fake-tree"
        fake.mkdir()
        (fake / "plugin.toml").write_text("evil")
        os.rename(tree, tmp_path / "moved")
        tree.symlink_to(fake)
    assert extracted_digest(tree) != digest if tamper != "swap-for-symlink" else tree.is_symlink()
    ws = tmp_path / "repo"
    ws.mkdir()
    assert _installed_digest(plugin, "--project", "--workspace", str(ws)) == digest
    assert not tree.is_symlink() and extracted_digest(tree) == digest
    assert not (tree / "evil.py").exists()


def test_a_kept_archive_that_no_longer_hashes_to_its_name_is_replaced(site, plugin) -> None:
    from plugin_kit.installer.cache import kept_archive

    r = plugin("install", "weather-tools", "--yes", "--json")
    assert r.code == 0, r.err
    kept = kept_archive(r.json()["archive_sha256"])
    good = kept.read_bytes()
    kept.chmod(0o644)
    kept.write_bytes(b"tampered")
    assert plugin("uninstall", "weather-tools").code == 0
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert kept.read_bytes() == good
