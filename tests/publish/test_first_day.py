"""`plugin publish` as a new author meets it: no token for a dry run, `gh auth token`, and the
`plugin catalog add` line operators need printed at the end."""

from __future__ import annotations

import json
import shlex
import stat
from pathlib import Path

from fakes.github import FakeGitHub
from publish.conftest import REPO, TOKEN

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli


def plugin(*args: str) -> int:
    return run(cli, list(args), prog_name="plugin")


def _no_gh_path(tmp_path: Path, gh_prints: str | None = None) -> str:
    """A PATH with git and friends but only our own `gh` (or none)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if gh_prints is not None:
        gh = bin_dir / "gh"
        gh.write_text(f'#!/bin/sh\n[ "$1 $2" = "auth token" ] && echo {gh_prints}\n')
        gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    return f"{bin_dir}:/usr/bin:/bin"


def test_dry_run_needs_no_token(tmp_path, archive, keys, monkeypatch, capsys, fast_cli):
    monkeypatch.setenv("PATH", _no_gh_path(tmp_path))
    with FakeGitHub(token=None) as fake:  # a public repository: anyone may read
        fake.create_repo(REPO)
        monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
        code = plugin(
            "publish", str(archive), "--repo", REPO, "--key", str(keys.secret), "--dry-run"
        )
        assert code == 0, capsys.readouterr().err
        assert fake.writes() == []
    out = capsys.readouterr().out
    assert "upload" in out and archive.name in out
    assert f"--pubkey {keys.public_base64}" in out


def test_without_a_token_a_real_run_still_refuses(tmp_path, archive, keys, monkeypatch, capsys):
    monkeypatch.setenv("PATH", _no_gh_path(tmp_path))
    code = plugin("publish", str(archive), "--repo", REPO, "--key", str(keys.secret), "--json")
    assert code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["rule"] == "publish.no-token" and "gh auth login" in error["hint"]


def test_the_token_of_a_logged_in_gh_is_used(
    tmp_path, archive, keys, fake, monkeypatch, capsys, fast_cli
):
    monkeypatch.setenv("PATH", _no_gh_path(tmp_path, gh_prints=TOKEN))
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    code = plugin("publish", str(archive), "--repo", REPO, "--key", str(keys.secret), "--json")
    assert code == 0, capsys.readouterr()
    assert fake.writes()  # the fake accepts only TOKEN, which only gh knew
    result = json.loads(capsys.readouterr().out)
    assert result["catalog"]["fetch_url"].endswith("/raw/main/catalog/extensions.json")


def test_the_printed_catalog_add_line_works_as_written(tmp_path, archive, keys, capsys):
    site = tmp_path / "site"
    code = plugin("publish", str(archive), "--target", f"dir:{site}", "--key", str(keys.secret))
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    line = out[out.index("operators add this catalog with:") + 1].strip()
    words = shlex.split(line)
    assert words[:3] == ["plugin", "catalog", "add"] and words[-2:] == [
        "--pubkey",
        keys.public_base64,
    ]
    assert plugin(*words[1:], "--json") == 0  # the operator's first step, as printed
    assert plugin("show", "weather-tools", "--json") == 0
