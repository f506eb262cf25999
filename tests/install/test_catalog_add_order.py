"""`plugin catalog add`: query-token URLs (signature beside the path, token never shown) and
verify-before-parse (a hostile document is never interpreted before its signature holds)."""

from __future__ import annotations

import json

import pytest

from plugin_kit.installer.catalogs import registry
from plugin_kit.signing.signatures import sign_bytes

TOKEN = "s3cr3t-Tok3n"


def test_a_query_token_catalog_is_added_and_refreshed(
    publisher, make_archive, plugin, http_folder
) -> None:
    publisher.release(make_archive())
    url = f"{http_folder(publisher.root, token=TOKEN)}/catalog/extensions.json?token={TOKEN}"
    r = plugin("catalog", "add", url, "--name", "acme", "--pubkey", publisher.catalog_key.public)
    assert r.code == 0, r.err
    assert registry()["acme"].url == url  # the token is kept: refresh needs it
    assert plugin("catalog", "refresh", "acme").code == 0


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("breakage", ["wrong-key", "no-signature", "not-json", "no-key"])
def test_catalog_add_errors_never_show_the_query_token(
    publisher, make_archive, plugin, http_folder, keys, breakage: str, as_json: bool
) -> None:
    publisher.release(make_archive())
    if breakage == "no-signature":
        publisher.catalog_path.with_name("extensions.json.minisig").unlink()
    if breakage == "not-json":
        data = b"{not json"
        publisher.catalog_path.write_bytes(data)
        publisher.catalog_path.with_name("extensions.json.minisig").write_text(
            sign_bytes(data, publisher.catalog_key.secret, trusted_comment="catalog")
        )
    url = f"{http_folder(publisher.root, token=TOKEN)}/catalog/extensions.json?token={TOKEN}"
    key = [] if breakage == "no-key" else ["--pubkey", publisher.catalog_key.public]
    if breakage == "wrong-key":
        key = ["--pubkey", keys["other"].public]
    r = plugin("catalog", "add", url, *key, *(["--json"] if as_json else []))
    assert r.code in (1, 3), r.err
    rule = {
        "wrong-key": "signing.wrong-key",
        "no-signature": "fetch-failed",
        "not-json": "catalog-invalid",
        "no-key": "catalog-no-key",
    }[breakage]
    shown = r.json()["error"]["rule"] if as_json else r.err
    assert rule in shown
    assert TOKEN not in r.out + r.err and "extensions.json" in r.out + r.err


def _deep(depth: int = 200_000) -> bytes:
    return b'{"catalog_id": "acme", "x": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("signer", ["catalog", "other"])
def test_a_deeply_nested_catalog_is_our_error_and_the_signature_comes_first(
    publisher, plugin, keys, signer: str
) -> None:
    data = _deep()
    publisher.catalog_path.parent.mkdir(parents=True)
    publisher.catalog_path.write_bytes(data)
    publisher.catalog_path.with_name("extensions.json.minisig").write_text(
        sign_bytes(data, keys[signer].secret, trusted_comment="catalog")
    )
    r = plugin("catalog", "add", publisher.url, "--pubkey", keys["catalog"].public, "--json")
    assert r.code == 3
    error = r.json()["error"]
    # Signed by another key: refused for the signature, before any parsing.
    assert error["rule"] == ("catalog-invalid" if signer == "catalog" else "signing.wrong-key")
    assert registry() == {}
    tofu = plugin("catalog", "add", publisher.url, "--yes")
    assert tofu.code == 3 and "catalog-no-key" in tofu.err and "Traceback" not in tofu.err


def test_bad_utf8_in_a_signed_catalog_is_our_error(publisher, plugin, keys) -> None:
    data = json.dumps({"catalog_id": "acme"}).encode()[:-1] + b', "x": "\xff\xfe"}'
    publisher.catalog_path.parent.mkdir(parents=True)
    publisher.catalog_path.write_bytes(data)
    publisher.catalog_path.with_name("extensions.json.minisig").write_text(
        sign_bytes(data, keys["catalog"].secret, trusted_comment="catalog")
    )
    r = plugin("catalog", "add", publisher.url, "--pubkey", keys["catalog"].public)
    assert r.code == 3 and "catalog-invalid" in r.err


def test_install_url_with_a_query_token_fetches_its_signature_beside_the_path(
    publisher, make_archive, plugin, http_folder, keys
) -> None:
    built = make_archive("weather-tools", "1.0.0")
    publisher.release(built)
    base = http_folder(publisher.root, token=TOKEN)
    url = f"{base}/releases/weather-tools/1.0.0/{built.path.name}?token={TOKEN}"
    wrong = plugin("install", url, "--pubkey", keys["other"].public, "--yes")
    assert wrong.code == 3 and TOKEN not in wrong.out + wrong.err, wrong.err
    r = plugin("install", url, "--pubkey", keys["release"].public, "--yes", "--json")
    assert r.code == 0, r.err
    assert TOKEN not in r.out
