"""`plugin publish` through the CLI: the dir: target, real sha256sum/minisign, tampering, secrets."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli
from plugin_kit.publisher.catalog import load_catalog_bytes
from plugin_kit.signing.keys import generate_keypair

RELEASE = "releases/download/v0.3.1"


def plugin(*args: str) -> int:
    return run(cli, list(args), prog_name="plugin")


def to_dir(site: Path, keys, archive: Path, *extra: str) -> int:
    return plugin(
        "publish", str(archive), "--target", f"dir:{site}", "--key", str(keys.secret), *extra
    )


def test_dir_target_layout_verifies_with_real_tools_and_reruns_idempotently(
    tmp_path, archive, keys, capsys
):
    site = tmp_path / "site"
    assert to_dir(site, keys, archive, "--json") == 0
    first = json.loads(capsys.readouterr().out)
    folder = site / RELEASE
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        a["name"] for a in first["releases"][0]["assets"]
    )
    subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, check=True, capture_output=True)
    for name in ("SHA256SUMS", archive.name):
        subprocess.run(
            ["minisign", "-V", "-H", "-p", keys.public, "-m", folder / name],
            check=True,
            capture_output=True,
        )
    catalog = site / "catalog" / "extensions.json"
    subprocess.run(
        ["minisign", "-V", "-H", "-p", keys.public, "-m", catalog], check=True, capture_output=True
    )
    doc = load_catalog_bytes(catalog.read_bytes())  # validates against the shipped schema
    assert (folder / archive.name).as_uri() in json.dumps(doc)

    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in site.rglob("*") if p.is_file()}
    assert to_dir(site, keys, archive, "--json") == 0
    second = json.loads(capsys.readouterr().out)
    assert [a["action"] for a in second["releases"][0]["assets"]] == ["skip"] * 4
    assert not second["catalog"]["changed"]
    assert before == {
        p: (p.stat().st_mtime_ns, p.read_bytes()) for p in site.rglob("*") if p.is_file()
    }


def test_base_url_goes_into_the_catalog(tmp_path, archive, keys):
    site = tmp_path / "site"
    base = "https://plugins.example.org/acme"
    assert to_dir(site, keys, archive, "--base-url", base) == 0
    text = (site / "catalog" / "extensions.json").read_text()
    assert f"{base}/{RELEASE}/{archive.name}" in text and "file://" not in text


@pytest.mark.parametrize("victim", ["archive", "SHA256SUMS", "signature", "catalog"])
def test_tampering_after_publishing_is_caught_by_plugin_verify(
    tmp_path, archive, keys, victim, capsys
):
    site = tmp_path / "site"
    assert to_dir(site, keys, archive) == 0
    folder = site / RELEASE
    catalog = site / "catalog" / "extensions.json"
    checks = [folder / "SHA256SUMS", folder / archive.name, catalog]
    for path in checks:
        assert plugin("verify", str(path), "--pubkey-file", str(keys.public)) == 0
    target = {
        "archive": folder / archive.name,
        "SHA256SUMS": folder / "SHA256SUMS",
        "signature": folder / (archive.name + ".minisig"),
        "catalog": catalog,
    }[victim]
    data = bytearray(target.read_bytes())
    index = (
        len(data) // 2 if victim != "signature" else data.index(b"\n") + 5
    )  # inside the signature line
    data[index] ^= 0x01
    target.write_bytes(bytes(data))
    capsys.readouterr()
    codes = [plugin("verify", str(path), "--pubkey-file", str(keys.public)) for path in checks]
    assert 3 in codes, (victim, codes)


def test_a_dir_release_with_other_bytes_is_refused_without_force(
    tmp_path, archive, keys, make_archive
):
    site = tmp_path / "site"
    assert to_dir(site, keys, archive) == 0
    saved = (site / RELEASE / archive.name).read_bytes()
    changed = make_archive(readme="# other bytes\n")
    assert to_dir(site, keys, changed) == 1
    assert (site / RELEASE / archive.name).read_bytes() == saved


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, archive, keys, capsys):
    site = tmp_path / "site"
    assert to_dir(site, keys, archive, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "upload" in out and archive.name in out and "+++ b/extensions.json" in out
    assert not site.exists()


def test_github_actions_outputs_summary_and_annotations(
    tmp_path, archive, keys, fake, github_env, monkeypatch, capsys, fast_cli, read_outputs
):
    outputs, summary = tmp_path / "out", tmp_path / "summary.md"
    for name, value in {**github_env, "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary),
                        "GITHUB_ACTIONS": "true"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    assert plugin("publish", str(archive), "--key", str(keys.secret)) == 0
    got = read_outputs(outputs)
    assert got["tag"] == "v0.3.1"
    assert (
        got["catalog_commit"]
        == fake.snapshot()["repos"]["acme/weather-tools"]["commits"][-1]["sha"]
    )
    assets = json.loads(got["assets"])
    assert {a["name"] for a in assets} >= {archive.name, "SHA256SUMS"}
    with urllib.request.urlopen(
        next(a["url"] for a in assets if a["name"] == archive.name)
    ) as resp:
        assert resp.read() == archive.read_bytes()  # the URL the catalog records serves the bytes
    assert "sha256sum -c SHA256SUMS" in summary.read_text()
    capsys.readouterr()
    assert plugin("publish", str(archive), "--key", str(keys.secret), "--tag", "v9.9.9") == 1
    err = capsys.readouterr().err
    assert "\n::error title=plugin publish%3A publish.tag-mismatch::" in err
    assert "### `plugin publish` failed" in summary.read_text()


def test_planted_token_password_and_key_never_appear(
    tmp_path, archive, fake, github_env, monkeypatch, capfd, fast_cli
):
    password = "PLANTED-password-7b1c"
    (tmp_path / "enc").mkdir()
    pair = generate_keypair(
        tmp_path / "enc" / "release", password, opslimit=1 << 15, memlimit=1 << 20
    )
    key_text = pair.secret_key.read_text()
    outputs, summary = tmp_path / "out", tmp_path / "summary.md"
    env = {**github_env, "MINISIGN_SECRET_KEY": key_text, "MINISIGN_PASSWORD": password, "GITHUB_ACTIONS": "true",
           "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runs = [
        ["publish", str(archive), "--dry-run", "--json"],
        ["publish", str(archive)],
        ["publish", str(archive), "--json"],
        ["publish", str(archive), "--repo", "acme/missing"],  # a GitHub error
        ["publish", str(archive), "--tag", "v0.0.0"],  # a preflight error
    ]
    codes = [plugin(*args) for args in runs]
    assert codes[:3] == [0, 0, 0] and codes[3] != 0 and codes[4] != 0
    monkeypatch.setenv("MINISIGN_PASSWORD", "wrong-" + password)
    assert plugin("publish", str(archive)) != 0
    captured = capfd.readouterr()
    seen = captured.out + captured.err + outputs.read_text() + summary.read_text()
    secret_line = key_text.strip().splitlines()[-1]
    for secret in (github_env["GITHUB_TOKEN"], password, secret_line, secret_line[10:40]):
        assert secret not in seen
    assert "RW" in seen  # the public key is shown; only secrets are hidden


def test_help_has_examples():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["publish", "--help"])
    assert result.exit_code == 0 and "Examples:" in result.output and "--dry-run" in result.output


@pytest.mark.parametrize(
    ("folder", "extra"),
    [("My Site", ()), ("site", ("--catalog-id", "Acme Plugins"))],
)
def test_an_unusable_catalog_id_is_a_usage_error_before_anything_is_written(
    tmp_path, archive, keys, capsys, folder, extra
):
    site = tmp_path / folder
    assert to_dir(site, keys, archive, *extra) == 2
    err = capsys.readouterr().err
    assert "publish.bad-catalog-id" in err and "--catalog-id" in err
    assert "Traceback" not in err and "does not match" not in err  # not a raw schema error
    assert not site.exists()
    # The folder name is only a default: naming the catalog makes the same folder work.
    assert to_dir(site, keys, archive, "--catalog-id", "my-site") == 0
    assert '"catalog_id": "my-site"' in (site / "catalog" / "extensions.json").read_text()


def test_dir_target_honours_catalog_path_relative_to_the_folder(tmp_path, archive, keys, capsys):
    site = tmp_path / "site"
    assert to_dir(site, keys, archive, "--catalog-path", "index/plugins.json", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    catalog = site / "index" / "plugins.json"
    assert result["catalog"]["path"] == str(catalog)
    assert result["catalog"]["url"] == (site.resolve().as_uri() + "/index/plugins.json")
    assert not (site / "catalog").exists()
    subprocess.run(
        ["minisign", "-V", "-H", "-p", keys.public, "-m", catalog], check=True, capture_output=True
    )
    assert plugin("publish", str(archive), "--target", f"dir:{site}", "--key", str(keys.secret),
                  "--catalog-path", "index/plugins.json", "--dry-run") == 0  # fmt: skip
    assert "unchanged" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["../outside.json", "/tmp/abs.json", "catalog/../../x.json", ""])
def test_dir_target_refuses_a_catalog_path_outside_the_folder(tmp_path, archive, keys, capsys, bad):
    site = tmp_path / "site"
    assert to_dir(site, keys, archive, "--catalog-path", bad) == 2
    assert "publish.bad-catalog-path" in capsys.readouterr().err
    assert not site.exists() and not (tmp_path / "outside.json").exists()
