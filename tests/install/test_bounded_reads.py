"""Files others control are read bounded: a symlink (to /dev/zero), a FIFO or an oversized
file at every reading site is refused naming the file and the cap, never read or waited on.

Each site is met through the command where a user meets it: `plugin list` and `discover()`
(plugins.lock, the store journal), `plugin install FILE` (FILE.minisig), `plugin show` and
`plugin search` (the catalog cache), `plugin verify --all` (store files), `plugin cache gc`
(known-workspaces.json). Yoi's sites are met through the library: the sidecar plugin-kit.toml
(pack, dev), a .yoi-plugin (the ZIP reader and host detection), Yoi's profiles.toml and
Profiles (enable), and workspace files Yoi no longer reads (their notes)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plugin_kit.installer.api import discover
from plugin_kit.installer.catalogs import registry
from plugin_kit.installer.paths import cache_root, catalog_cache_dir
from plugin_kit.installer.stores import workspace_store

KINDS = ["symlink-to-dev-zero", "fifo", "oversized"]
RULES = {
    "symlink-to-dev-zero": "file-symlink",
    "fifo": "file-not-regular",
    "oversized": "file-too-large",
}


@pytest.fixture
def plant() -> Iterator[Callable[[Path, str, int], None]]:
    """Replace a file with a hostile one. A FIFO gets a rescuer: if a reader still blocks on
    it after 20 s, a writer opens and closes it, so a regression fails instead of hanging."""
    timers: list[threading.Timer] = []
    rescued: list[Path] = []

    def rescue(path: Path) -> None:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            return  # nobody is waiting on it
        rescued.append(path)  # a reader was blocked on it: the test fails below

    def make(path: Path, kind: str, cap: int) -> None:
        path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "symlink-to-dev-zero":
            path.symlink_to("/dev/zero")
        elif kind == "fifo":
            os.mkfifo(path)
            timer = threading.Timer(20, rescue, (path,))
            timer.daemon = True
            timer.start()
            timers.append(timer)
        else:
            path.write_bytes(b"#" * (cap + 1))

    yield make
    for timer in timers:
        timer.cancel()
    assert rescued == [], "a reader blocked on a FIFO until the rescuer opened it"


@pytest.mark.parametrize("kind", KINDS)
def test_plugins_lock(kind: str, tmp_path: Path, plugin, install_in_project, plant) -> None:
    from plugin_kit.installer.lockfile import MAX_LOCK_BYTES

    ws = tmp_path / "repo"
    install_in_project(ws)
    lock = workspace_store(ws).lock_path
    plant(lock, kind, MAX_LOCK_BYTES)
    r = plugin("list", "--workspace", ws, "--json")
    assert r.code == 0, r.err
    [pkg] = r.json()["packages"]
    [diag] = [d for d in pkg["diagnostics"] if d["rule"] == RULES[kind]]
    assert "plugins.lock" in diag["message"]
    assert [d.rule for p in discover(ws) for d in p.diagnostics if d.rule == RULES[kind]]
    verify = plugin("verify", "--all", "--workspace", ws, "--json")
    assert verify.code == 3 and "plugins.lock" in verify.out


@pytest.mark.parametrize("kind", KINDS)
def test_store_journal(kind: str, tmp_path: Path, plugin, install_in_project, plant) -> None:
    ws = tmp_path / "repo"
    install_in_project(ws)
    journal = workspace_store(ws).root / ".txn.json"
    plant(journal, kind, 1 << 20)
    r = plugin("list", "--workspace", ws)
    assert r.code == 1 and RULES[kind] in r.err and ".txn.json" in r.err, r.err
    if kind == "oversized":
        assert str(1 << 20) in r.err  # the error names the cap


@pytest.mark.parametrize("kind", KINDS)
def test_install_file_minisig(kind: str, tmp_path: Path, plugin, make_archive, plant, keys) -> None:
    built = make_archive("weather-tools", "1.0.0")
    plant(Path(str(built.path) + ".minisig"), kind, 16 << 10)
    r = plugin("install", built.path, "--pubkey", keys["release"].public, "--yes")
    assert r.code == 1 and RULES[kind] in r.err and ".minisig" in r.err, r.err


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("suffix", [".json", ".index.json"])
def test_catalog_cache(kind: str, suffix: str, site, plugin, plant) -> None:
    from plugin_kit.signing.caps import MAX_CATALOG_BYTES

    src = registry()["acme"]
    plant(catalog_cache_dir("acme") / f"{src.last_sha256}{suffix}", kind, MAX_CATALOG_BYTES)
    show = plugin("show", "weather-tools")
    if suffix == ".json":
        assert show.code == 1 and RULES[kind] in show.err, show.err
    found = plugin("search", "weather", "--json")
    assert found.code == 0, found.err


@pytest.mark.parametrize("kind", ["symlink-to-dev-zero", "fifo"])
def test_verify_all_store_file(
    kind: str, tmp_path: Path, plugin, install_in_project, plant
) -> None:
    ws = tmp_path / "repo"
    install_in_project(ws)
    plant(workspace_store(ws).archive_path("weather-tools"), kind, 0)
    r = plugin("verify", "--all", "--workspace", ws, "--json")
    assert r.code == 3 and RULES[kind] in r.out, r.out


@pytest.mark.parametrize("kind", KINDS)
def test_known_workspaces(kind: str, plugin, plant) -> None:
    plant(cache_root() / "known-workspaces.json", kind, 1 << 20)
    r = plugin("cache", "gc", "--json")
    assert r.code == 0, r.err


def test_the_strict_reader_refuses_a_fifo(tmp_path: Path, plugin, plant) -> None:
    fifo = tmp_path / "w-1.0.0.insomnia-plugin"
    plant(fifo, "fifo", 0)
    r = plugin("inspect", fifo)
    assert r.code == 1 and "file-not-regular" in r.err, r.err


@pytest.mark.parametrize("kind", KINDS)
def test_enable_reads_the_cached_manifest_bounded(kind: str, site, plugin, plant) -> None:
    from plugin_kit.installer.cache import cache_path

    r = plugin("install", "weather-tools", "--yes", "--json")
    assert r.code == 0, r.err
    tree = cache_path(r.json()["content_digest"])
    tree.chmod(0o755)
    plant(tree / "plugin.toml", kind, 64 << 10)
    enabled = plugin("enable", "weather-tools", "--grant-requested", "--yes", "--json")
    # Never waits on the FIFO or reads /dev/zero: those are no tree at all; an oversized
    # manifest is not parsed (no surfaces), the grant is still recorded.
    if kind == "oversized":
        assert enabled.code == 0 and enabled.json()["ref"] == "user:weather-tools", enabled.err
    else:
        assert enabled.code == 1 and enabled.json()["error"]["rule"] == "enable-inconsistent"


# ---- Yoi: the sidecar, the ZIP reader, Profiles and workspace files ----


@pytest.mark.parametrize("kind", KINDS)
def test_yoi_sidecar(kind: str, tmp_path: Path, plant) -> None:
    from helpers.zips import write_yoi_tree

    from plugin_kit.content.collect import collect_files
    from plugin_kit.content.settings import SIDECAR_CAP, pack_settings
    from plugin_kit.dev.component_package import read_yoi_manifest
    from plugin_kit.errors import FileRefusedError
    from plugin_kit.hosts import YOI

    def build_command(root: Path) -> object:  # what `plugin dev` reads
        return pack_settings(root, read_yoi_manifest(root), YOI).build

    root = write_yoi_tree(tmp_path / "p")
    plant(root / "plugin-kit.toml", kind, SIDECAR_CAP)
    for read in (collect_files, build_command):
        with pytest.raises(FileRefusedError) as refused:
            read(root)
        assert refused.value.rule == RULES[kind] and "plugin-kit.toml" in refused.value.message


@pytest.mark.parametrize("kind", ["symlink-to-dev-zero", "fifo"])
def test_yoi_archive(kind: str, tmp_path: Path, plugin, plant) -> None:
    archive = tmp_path / "example.tool-0.1.0.yoi-plugin"
    plant(archive, kind, 0)
    r = plugin("inspect", archive)
    assert r.code == 1 and "file-not-regular" in r.err, r.err


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("which", ["registry", "profile"])
def test_yoi_profiles(
    which: str, kind: str, isolated_home: Path, monkeypatch: pytest.MonkeyPatch, plant
) -> None:
    from helpers.yoi_packages import MANIFESTS, isolate_yoi, package

    from plugin_kit.errors import FileRefusedError
    from plugin_kit.installer.yoi_enable import plan_enable
    from plugin_kit.installer.yoi_profiles import CONFIG_CAP

    env = isolate_yoi(isolated_home, monkeypatch)
    folder = Path(env["XDG_CONFIG_HOME"]) / "yoi"
    folder.mkdir(parents=True)
    if which == "registry":
        target = folder / "profiles.toml"
    else:
        (folder / "profiles.toml").write_text(
            'default = "mine"\n[profile.mine]\npath = "mine.toml"\n'
        )
        target = folder / "mine.toml"
    plant(target, kind, CONFIG_CAP)
    with pytest.raises(FileRefusedError) as refused:
        plan_enable(package(MANIFESTS["no-permissions"]), env=env)
    # Yoi follows a symlinked config file, so do we: /dev/zero is then no regular file.
    rule = "file-not-regular" if kind == "symlink-to-dev-zero" else RULES[kind]
    assert refused.value.rule == rule and refused.value.place == str(target)


@pytest.mark.parametrize("kind", KINDS)
def test_yoi_workspace_files(kind: str, tmp_path: Path, plant) -> None:
    from plugin_kit.installer.yoi_profiles import CONFIG_CAP
    from plugin_kit.installer.yoi_workspace import workspace_enablement_notes

    ws = tmp_path / "repo"
    (ws / ".yoi").mkdir(parents=True)
    (ws / ".yoi" / "profiles.toml").write_text('[profile.p]\npath = "p.toml"\n')
    plant(ws / ".yoi" / "p.toml", kind, CONFIG_CAP)  # named by the repository's registry
    plant(ws / ".yoi" / "override.local.toml", kind, CONFIG_CAP)
    notes = workspace_enablement_notes(ws)
    # Only regular files are candidates (is_file()); the registry's Profile is read bounded.
    expected = {"profiles.toml"} | ({"override.local.toml"} if kind == "oversized" else set())
    assert {n.path.name for n in notes} == expected
    assert all(n.enables == () for n in notes)  # refused unread, still reported
