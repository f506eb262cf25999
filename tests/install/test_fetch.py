"""Fetch policy: which asset URLs a catalog may name, redirects, and the download deadline."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from plugin_kit.errors import VerificationError
from plugin_kit.installer.fetch import _CheckedRedirect, check_url
from plugin_kit.installer.paths import config_dir

HTTPS = "https://cdn.example.org/r/w.insomnia-plugin"
LOOP = "http://127.0.0.1:8080/r/w.insomnia-plugin"
FILE = "file:///srv/r/w.insomnia-plugin"


@pytest.mark.parametrize(
    ("catalog", "asset", "allowed"),
    [
        ("https://cat.example.org/extensions.json", HTTPS, True),
        ("https://cat.example.org/extensions.json", LOOP, False),
        ("https://cat.example.org/extensions.json", FILE, False),
        ("http://localhost:9/extensions.json", HTTPS, True),
        ("http://localhost:9/extensions.json", LOOP, True),
        ("http://localhost:9/extensions.json", FILE, False),
        ("file:///srv/extensions.json", HTTPS, True),
        ("file:///srv/extensions.json", LOOP, True),
        ("file:///srv/extensions.json", FILE, True),
    ],
)
def test_an_asset_url_is_never_more_local_than_its_catalog(
    catalog: str, asset: str, allowed: bool
) -> None:
    if allowed:
        check_url(asset, within=catalog)
    else:
        with pytest.raises(VerificationError) as err:
            check_url(asset, within=catalog)
        assert err.value.rule == "url-more-local" and err.value.exit_code == 3


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (HTTPS, LOOP, False),
        (HTTPS, "https://objects.example.net/w", True),
        (LOOP, HTTPS, True),
        (LOOP, "http://127.0.0.1:9/w", True),
    ],
)
def test_a_redirect_is_never_more_local_than_the_url_it_leaves(
    start: str, target: str, allowed: bool
) -> None:
    handler = _CheckedRedirect()
    req = urllib.request.Request(start)
    if allowed:
        assert handler.redirect_request(req, None, 302, "Found", {}, target).full_url == target
    else:
        with pytest.raises(VerificationError) as err:
            handler.redirect_request(req, None, 302, "Found", {}, target)
        assert err.value.rule == "url-more-local"


def test_an_https_catalog_naming_a_file_asset_is_refused(site, plugin) -> None:
    # The catalog is registered over file://; pretend it was fetched over https.
    toml = config_dir() / "catalogs.toml"
    text = toml.read_text()
    assert site.url in text
    toml.write_text(text.replace(site.url, "https://plugins.example.org/catalog/extensions.json"))
    for args in (("--dry-run",), ("--yes",)):
        r = plugin("install", "weather-tools", *args)
        assert r.code == 3 and "url-more-local" in r.err, r.err
    assert not list(Path(config_dir() / "plugins").glob("*.insomnia-plugin"))
