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


@pytest.fixture
def trickler():
    """A loopback server that promises 4 KiB and sends one byte every 50 ms until hung up on."""
    import http.server
    import threading

    stop = threading.Event()

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "4096")
            self.end_headers()
            try:
                while not stop.wait(0.05):
                    self.wfile.write(b"x")
                    self.wfile.flush()
            except OSError:
                pass  # the client gave up: that is the point

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/w-1.0.0.insomnia-plugin"
    stop.set()
    server.shutdown()
    server.server_close()


def test_a_trickling_server_is_stopped_by_the_download_deadline(
    trickler: str, plugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plugin_kit.installer.paths import downloads_dir

    monkeypatch.setenv("PLUGIN_KIT_FETCH_DEADLINE", "1")
    r = plugin("install", trickler, "--sha256", "ab" * 32, "--yes")
    assert r.code == 1 and "fetch-deadline" in r.err, r.err
    assert not list(downloads_dir().glob("*.part"))


def test_small_documents_have_the_deadline_too(
    trickler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plugin_kit.errors import InstallError
    from plugin_kit.installer.fetch import fetch_bytes

    monkeypatch.setenv("PLUGIN_KIT_FETCH_DEADLINE", "1")
    with pytest.raises(InstallError) as err:
        fetch_bytes(trickler, max_bytes=2 << 20)
    assert err.value.rule == "fetch-deadline"
