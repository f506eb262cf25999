"""`plugin publish` of a .yoi-plugin package: to a `dir:` site and to the loopback GitHub,
checked with real sha256sum and minisign, re-runs idempotent, and ./dist holding both hosts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from catalog.releases import YOI_REQUESTS, write_yoi_project

from plugin_kit.catalog.model import archive_asset, entry_host, load_catalog_bytes
from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli
from plugin_kit.errors import PublishError
from plugin_kit.hosts import YOI
from plugin_kit.packer.writer import pack
from plugin_kit.publisher.plan import plan_releases
from plugin_kit.publisher.publish import publish
from plugin_kit.signing.keys import load_secret_key_file

YOI_NAME = "example.Echo-1.2.0.yoi-plugin"
REPO = "acme/weather-tools"  # the fake's repository (conftest.REPO)


@pytest.fixture
def yoi_archive(tmp_path: Path) -> Path:
    root = write_yoi_project(tmp_path / "src-yoi", "example.Echo", "1.2.0", YOI_REQUESTS)
    return pack(root, tmp_path / "dist").path


def plugin(*args: str) -> int:
    return run(cli, list(args), prog_name="plugin")


def _minisign_comment(public: Path, file: Path) -> str:
    done = subprocess.run(["minisign", "-V", "-H", "-p", public, "-m", file], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout


def test_yoi_package_to_a_dir_site_verifies_and_reruns_idempotently(
    tmp_path, yoi_archive, keys, capsys
):
    assert yoi_archive.name == YOI_NAME
    site = tmp_path / "site"
    args = ("publish", str(yoi_archive), "--target", f"dir:{site}", "--key", str(keys.secret))
    assert plugin(*args, "--json") == 0
    first = json.loads(capsys.readouterr().out)
    folder = site / "releases/download/v1.2.0"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [YOI_NAME, YOI_NAME + ".minisig", "SHA256SUMS", "SHA256SUMS.minisig"]
    )
    assert sorted(a["name"] for a in first["releases"][0]["assets"]) == sorted(
        p.name for p in folder.iterdir()
    )
    subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, check=True, capture_output=True)
    said = _minisign_comment(keys.public, folder / YOI_NAME)  # signing is format-blind
    assert f"file:{YOI_NAME}\tid:example.Echo\tversion:1.2.0" in said
    _minisign_comment(keys.public, folder / "SHA256SUMS")
    catalog = site / "catalog" / "extensions.json"
    _minisign_comment(keys.public, catalog)
    (entry,) = load_catalog_bytes(catalog.read_bytes())["entries"]
    assert entry_host(entry) is YOI and entry["name"] == "example.Echo"
    assert archive_asset(entry)["url"] == (folder / YOI_NAME).as_uri()

    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in site.rglob("*") if p.is_file()}
    assert plugin(*args, "--json") == 0
    second = json.loads(capsys.readouterr().out)
    assert [a["action"] for a in second["releases"][0]["assets"]] == ["skip"] * 4
    assert not second["catalog"]["changed"]
    assert before == {
        p: (p.stat().st_mtime_ns, p.read_bytes()) for p in site.rglob("*") if p.is_file()
    }


def test_yoi_package_to_the_loopback_github_then_a_rerun_writes_nothing(fake, options, yoi_archive):
    first = publish(options(archives=[yoi_archive]))
    (release,) = fake.snapshot()["repos"][REPO]["releases"]
    assert release["draft"] is False and release["tag_name"] == "v1.2.0"
    assert fake.repo(REPO).releases[0].name == "Yoi example.Echo 1.2.0"  # the manifest's `name`
    assert sorted(a["name"] for a in release["assets"]) == sorted(
        [YOI_NAME, YOI_NAME + ".minisig", "SHA256SUMS", "SHA256SUMS.minisig"]
    )
    doc = load_catalog_bytes(fake.repo(REPO).files["main"]["catalog/extensions.json"])
    (entry,) = doc["entries"]
    assert entry["host"] == "yoi" and entry["source"]["type"] == "github_release"
    assert "/releases/download/v1.2.0/" + YOI_NAME in archive_asset(entry)["url"]
    assert first.catalog.changed

    writes = len(fake.writes())
    second = publish(options(archives=[yoi_archive]))
    assert len(fake.writes()) == writes
    assert [a.action for a in second.releases[0].assets] == ["skip"] * 4
    assert not second.catalog.changed


def test_dist_with_both_hosts_archives_is_published_without_naming_them(
    tmp_path, yoi_archive, archive, keys, monkeypatch
):
    assert yoi_archive.parent == archive.parent == tmp_path / "dist"
    monkeypatch.chdir(tmp_path)
    key = load_secret_key_file(keys.secret, None)
    plans = plan_releases([], key=key, tag="{id}-v{version}", env={})
    assert sorted(a.path.name for p in plans for a in p.archives) == sorted(
        [archive.name, YOI_NAME]
    )


def test_a_yoi_package_under_another_name_is_refused_before_anything(tmp_path, yoi_archive, keys):
    renamed = yoi_archive.with_name("example.Echo-1.2.0.insomnia-plugin")
    yoi_archive.rename(renamed)
    key = load_secret_key_file(keys.secret, None)
    with pytest.raises(PublishError) as err:
        plan_releases([renamed], key=key, env={})
    assert err.value.rule == "publish.name-mismatch"
    assert YOI_NAME in str(err.value.hint)


def test_a_yoi_version_that_is_not_semver_is_refused_before_anything(tmp_path, keys, fake, options):
    root = write_yoi_project(tmp_path / "src-loose", "example.Echo", "1.0")  # Yoi accepts it
    loose = pack(root, tmp_path / "loose").path
    with pytest.raises(PublishError) as err:
        publish(options(archives=[loose]))
    assert err.value.rule == "publish.version-not-semver"
    assert fake.writes() == []
