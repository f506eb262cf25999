"""`plugin catalog build` over real signed releases: checks on the way in, signed output, re-runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from catalog.releases import make_release
from helpers.keys import forge_key_id
from signing.minisign_cli import minisign, needs_minisign

from plugin_kit.errors import EXIT_VERIFY, PluginKitError
from plugin_kit.publisher.catalog_build import build_catalog
from plugin_kit.signing.keys import generate_keypair


@pytest.fixture
def two_releases(tmp_path: Path, publisher_key) -> list[Path]:
    return [
        make_release(tmp_path / "rel", publisher_key, "alpha-one", "1.0.0"),
        make_release(
            tmp_path / "rel",
            publisher_key,
            "beta-two",
            "2.1.0",
            "process = true",
            tag="beta-two-v2.1.0",
        ),
    ]


def _build(tmp_path, releases, catalog_key, publisher_key, **kw):
    return build_catalog(
        tmp_path / "site" / "catalog",
        releases,
        catalog_key,
        catalog_id="acme",
        publisher_keys=[publisher_key.public_key],
        **kw,
    )


def test_build_lists_every_plugin_and_signs(
    tmp_path, two_releases, catalog_key, publisher_key
) -> None:
    result = _build(
        tmp_path, two_releases, catalog_key, publisher_key, base_url="https://p.example"
    )
    doc = json.loads(result.path.read_bytes())
    assert [(e["name"], e["version"], e["risk"]) for e in doc["entries"]] == [
        ("alpha-one", "1.0.0", "low"),
        ("beta-two", "2.1.0", "high"),
    ]
    assert doc["entries"][1]["source"]["tag"] == "beta-two-v2.1.0"
    again = _build(tmp_path, two_releases, catalog_key, publisher_key, base_url="https://p.example")
    assert not again.changed and again.serial == result.serial


def test_default_urls_point_at_the_files(
    tmp_path, two_releases, catalog_key, publisher_key
) -> None:
    result = _build(tmp_path, two_releases[:1], catalog_key, publisher_key)
    (entry,) = json.loads(result.path.read_bytes())["entries"]
    archive = next(a for a in entry["source"]["assets"] if "digest" in a)
    assert archive["url"] == (two_releases[0] / archive["asset"]).resolve().as_uri()


def test_github_repo_gives_github_release_sources(
    tmp_path, two_releases, catalog_key, publisher_key
) -> None:
    result = _build(tmp_path, two_releases[:1], catalog_key, publisher_key, repo="acme/alpha")
    src = json.loads(result.path.read_bytes())["entries"][0]["source"]
    assert src["type"] == "github_release" and src["repo"] == "acme/alpha"
    assert src["assets"][0]["url"].startswith(
        "https://github.com/acme/alpha/releases/download/v1.0.0/"
    )


def _expect(rule: str, tmp_path, releases, catalog_key, publisher_key) -> None:
    with pytest.raises(PluginKitError) as info:
        _build(tmp_path, releases, catalog_key, publisher_key)
    assert info.value.rule == rule
    assert not (tmp_path / "site" / "catalog" / "extensions.json").exists()


def test_tampered_archive_is_refused(tmp_path, two_releases, catalog_key, publisher_key) -> None:
    archive = next(two_releases[0].glob("*.insomnia-plugin"))
    raw = bytearray(archive.read_bytes())
    raw[-5] ^= 0xFF
    archive.write_bytes(bytes(raw))
    with pytest.raises(PluginKitError):
        _build(tmp_path, two_releases, catalog_key, publisher_key)
    assert not (tmp_path / "site").exists()


def test_release_signed_by_an_unknown_key_is_refused(
    tmp_path, two_releases, catalog_key, publisher_key
) -> None:
    with pytest.raises(PluginKitError) as info:
        build_catalog(
            tmp_path / "out", two_releases, catalog_key, catalog_id="acme"
        )  # default: catalog key
    assert info.value.rule == "signing.wrong-key"


def test_a_key_with_the_same_key_id_does_not_hide_the_real_one(
    tmp_path, two_releases, catalog_key, publisher_key
) -> None:
    """Keys are tried whole: a listed key that only shares the publisher's id is skipped."""
    forged = forge_key_id(publisher_key.public_key.base64).public_key
    result = build_catalog(
        tmp_path / "site" / "catalog",
        two_releases[:1],
        catalog_key,
        catalog_id="acme",
        publisher_keys=[forged, publisher_key.public_key],
    )
    (entry,) = json.loads(result.path.read_bytes())["entries"]
    assert entry["signatures"]["minisign_pubkey"] == publisher_key.public_key.base64
    with pytest.raises(PluginKitError) as err:
        build_catalog(
            tmp_path / "other" / "catalog",
            two_releases[:1],
            catalog_key,
            catalog_id="acme",
            publisher_keys=[forged],
        )
    assert err.value.rule == "signing.bad-signature"


def test_signature_moved_from_another_archive_is_refused(
    tmp_path, two_releases, catalog_key, publisher_key
) -> None:
    a = next(two_releases[0].glob("*.insomnia-plugin"))
    b = next(two_releases[1].glob("*.insomnia-plugin"))
    shutil.copy(b.with_name(b.name + ".minisig"), a.with_name(a.name + ".minisig"))
    _expect("signing.bad-signature", tmp_path, two_releases, catalog_key, publisher_key)


def test_sums_that_do_not_list_the_archive_are_refused(
    tmp_path, two_releases, catalog_key, publisher_key
) -> None:
    from plugin_kit.signing.release import asset_trusted_comment
    from plugin_kit.signing.signatures import write_signature
    from plugin_kit.signing.sums import format_sums

    sums = two_releases[0] / "SHA256SUMS"
    sums.write_bytes(format_sums({"other.bin": "0" * 64}))
    write_signature(
        sums,
        publisher_key,
        trusted_comment=asset_trusted_comment("SHA256SUMS", "alpha-one", "1.0.0"),
    )
    _expect("catalog.sums-mismatch", tmp_path, two_releases, catalog_key, publisher_key)


def test_missing_sums_signature_is_refused(
    tmp_path, two_releases, catalog_key, publisher_key
) -> None:
    (two_releases[0] / "SHA256SUMS.minisig").unlink()
    _expect("catalog.release-incomplete", tmp_path, two_releases, catalog_key, publisher_key)


@needs_minisign
def test_cli_build_then_verify_with_minisign_and_plugin_verify(
    plugin, tmp_path, two_releases, publisher_key
) -> None:
    pair = generate_keypair(tmp_path / "catalog-cli", None)
    secret_line = pair.secret_key.read_text().splitlines()[1]
    args = [
        "catalog",
        "build",
        "site",
        "--key",
        str(pair.secret_key),
        "--catalog-id",
        "acme",
        "--publisher-pubkey",
        publisher_key.public_key.base64,
        "--base-url",
        "https://p.example",
        "--json",
    ]
    args[3:3] = [x for r in two_releases for x in ("--from", str(r))]
    code, out, err = plugin(*args)
    assert code == 0, err
    first = json.loads(out)
    assert first["changed"] is True and first["entries"] == ["alpha-one 1.0.0", "beta-two 2.1.0"]
    code, out, err2 = plugin(*args)
    assert (
        code == 0
        and json.loads(out)["changed"] is False
        and json.loads(out)["serial"] == first["serial"]
    )
    done = minisign(
        "-V", "-H", "-p", str(pair.public_key), "-m", "site/extensions.json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert f"serial:{first['serial']}" in done.stdout
    code, out, _ = plugin(
        "verify", "site/extensions.json", "--pubkey-file", str(pair.public_key), "--json"
    )
    assert code == 0 and json.loads(out)["catalog"]["serial"] == first["serial"]
    catalog = tmp_path / "site" / "extensions.json"
    catalog.write_bytes(catalog.read_bytes().replace(b'"risk": "high"', b'"risk": "low"'))
    code, out, _ = plugin(
        "verify", "site/extensions.json", "--pubkey-file", str(pair.public_key), "--json"
    )
    assert code == EXIT_VERIFY and json.loads(out)["error"]["rule"] == "signing.bad-signature"
    assert secret_line not in out + err + err2


def test_build_over_a_published_dir_site_changes_nothing(plugin, tmp_path) -> None:
    """`plugin publish --target dir:` and `plugin catalog build` make the same entry: a build
    over the published release leaves the catalog byte for byte as publish wrote it."""
    from catalog.releases import write_project

    write_project(tmp_path / "proj", "weather-tools", "0.3.1", 'secrets = ["W_*"]')
    assert plugin("keygen", "-o", "k", "--no-password")[0] == 0
    assert plugin("pack", "proj", "-o", "dist", "--no-build")[0] == 0
    code, _, err = plugin(
        "publish",
        "dist/weather-tools-0.3.1.insomnia-plugin",
        "--target",
        "dir:site",
        "--key",
        "k.key",
    )
    assert code == 0, err
    catalog = tmp_path / "site" / "catalog" / "extensions.json"
    before = (catalog.read_bytes(), catalog.with_name("extensions.json.minisig").read_bytes())
    catalog_id = json.loads(before[0])["catalog_id"]
    code, out, err = plugin(
        "catalog",
        "build",
        "site/catalog",
        "--from",
        "site/releases/download/v0.3.1",
        "--key",
        "k.key",
        "--catalog-id",
        catalog_id,
        "--base-url",
        (tmp_path / "site").as_uri(),
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["changed"] is False
    assert (
        catalog.read_bytes(),
        catalog.with_name("extensions.json.minisig").read_bytes(),
    ) == before
