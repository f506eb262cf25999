"""`plugin keygen`: the secret key goes outside the project by default and never where git tracks it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest


def _git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


def test_default_location_is_the_config_folder(plugin, tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    code, out, _ = plugin("keygen", "--no-password", "--json")
    assert code == 0
    made = json.loads(out)
    keys = config / "insomnia-plugin-kit" / "keys"
    assert Path(made["secret_key"]) == keys / "release.key"
    assert (keys / "release.pub").is_file()
    assert keys.stat().st_mode & 0o077 == 0  # a folder only its owner reads
    assert not list(tmp_path.glob("*.key"))  # nothing in the current folder


def test_a_refused_keygen_makes_no_keys_folder(plugin, tmp_path: Path, monkeypatch) -> None:
    """No terminal to ask the password on: refused, and nothing is left behind."""
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    code, _, err = plugin("keygen")
    assert code != 0 and "keygen.no-tty" in err, err
    assert not config.exists()


def test_refuses_a_key_git_would_track(plugin, tmp_path: Path) -> None:
    _git_init(tmp_path)
    code, out, _ = plugin("keygen", "-o", "release", "--no-password", "--json")
    assert code == 1
    assert json.loads(out)["error"]["rule"] == "signing.key-in-git"
    assert not (tmp_path / "release.key").exists() and not (tmp_path / "release.pub").exists()


@pytest.mark.parametrize("subdir", ["", "keys/deeper"])
def test_an_ignored_path_in_a_work_tree_is_fine(plugin, tmp_path: Path, subdir: str) -> None:
    _git_init(tmp_path)
    (tmp_path / ".gitignore").write_text("*.key\n")
    base = f"{subdir}/release" if subdir else "release"
    if subdir:
        (tmp_path / subdir).mkdir(parents=True)
    assert plugin("keygen", "-o", base, "--no-password")[0] == 0
    assert (tmp_path / f"{base}.key").is_file()


def test_generated_gitignore_covers_key_names(tmp_path: Path) -> None:
    """The .gitignore create-plugin writes makes git ignore the names keys usually get."""
    from plugin_kit.scaffold.create import CreateRequest, create_project

    dest = tmp_path / "weather-tools"
    create_project(CreateRequest("builtin:hooks", {"author": "A <a@b.org>"}, dest, git=True))
    names = ["release.key", "ci.minisign-key", "minisign.sec"]
    done = subprocess.run(
        ["git", "-C", str(dest), "check-ignore", *names], capture_output=True, text=True
    )
    assert done.stdout.split() == names
