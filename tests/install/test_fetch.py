"""Fetch policy: which asset URLs a catalog may name, redirects, and the download deadline."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin_kit.errors import VerificationError
from plugin_kit.installer._http import _CheckedRedirect
from plugin_kit.installer.fetch import check_url
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


LOOPBACK_HTTPS = [
    "https://127.0.0.1/w",
    "https://127.8.9.10:8443/w",
    "https://[::1]/w",
    "https://[::ffff:127.0.0.1]/w",
    "https://localhost/w",
    "https://LocalHost./w",
    "https://api.localhost/w",
    "https://0.0.0.0/w",
    "https://127.1/w",
    "https://2130706433/w",
]


@pytest.mark.parametrize("asset", LOOPBACK_HTTPS)
def test_https_to_a_loopback_host_counts_as_loopback(asset: str) -> None:
    with pytest.raises(VerificationError) as err:
        check_url(asset, within="https://cat.example.org/extensions.json")
    assert err.value.rule == "url-more-local"
    handler = _CheckedRedirect()
    with pytest.raises(VerificationError):
        handler.redirect_request(urllib.request.Request(HTTPS), None, 302, "Found", {}, asset)
    check_url(asset, within="http://127.0.0.1:9/extensions.json")  # loopback to loopback: fine


@given(
    st.integers(0, (1 << 24) - 1),
    st.sampled_from(
        ["{a}", "{n}", "[::ffff:{a}]", "{a}.", "x.{label}.localhost", "{label}.localhost."]
    ),
    st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?", fullmatch=True),
)
def test_every_spelling_of_a_loopback_host_is_loopback(low: int, shape: str, label: str) -> None:
    addr = f"127.{low >> 16}.{(low >> 8) & 255}.{low & 255}"
    host = shape.format(a=addr, n=(127 << 24) | low, label=label)
    with pytest.raises(VerificationError):
        check_url(f"https://{host}/w", within="https://cat.example.org/extensions.json")


@pytest.mark.parametrize(
    "host", ["https://localhost.example.org/w", "https://127.0.0.1.example.org/w", HTTPS]
)
def test_names_that_only_look_local_are_remote(host: str) -> None:
    check_url(host, within="https://cat.example.org/extensions.json")


def test_an_https_catalog_naming_a_loopback_https_asset_is_refused(site, plugin) -> None:
    doc = site.bumped()
    for entry in doc["entries"]:
        for asset in entry["source"]["assets"]:
            asset["url"] = "https://127.0.0.1:8443/" + asset["asset"]
    site.write_catalog(doc)
    assert plugin("catalog", "refresh", "acme").code == 0
    toml = config_dir() / "catalogs.toml"
    toml.write_text(
        toml.read_text().replace(site.url, "https://plugins.example.org/catalog/extensions.json")
    )
    r = plugin("install", "weather-tools", "--dry-run")
    assert r.code == 3 and "url-more-local" in r.err, r.err


@pytest.fixture
def header_trickler():
    """A raw loopback server that sends its status line and headers one byte every 20 ms and
    never finishes them; it stops when the client hangs up, the test ends, or after 30 s."""
    import socket
    import threading

    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 100_000

    def serve() -> None:
        conns = []
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conns.append(conn)
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()
        for conn in conns:
            conn.close()

    def trickle(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for i in range(len(head)):
                if stop.wait(0.02):
                    return
                try:
                    conn.sendall(head[i : i + 1])
                except OSError:
                    return  # the client gave up: that is the point

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    timer = threading.Timer(30, stop.set)
    timer.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/w-1.0.0.insomnia-plugin"
    stop.set()
    timer.cancel()
    thread.join()
    listener.close()


def test_headers_sent_a_byte_at_a_time_are_stopped_by_the_deadline(
    header_trickler: str, plugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plugin_kit.errors import InstallError
    from plugin_kit.installer.fetch import fetch_bytes

    monkeypatch.setenv("PLUGIN_KIT_FETCH_DEADLINE", "1")
    with pytest.raises(InstallError) as err:
        fetch_bytes(header_trickler, max_bytes=1 << 20)
    assert err.value.rule == "fetch-deadline"
    r = plugin("install", header_trickler, "--sha256", "ab" * 32, "--yes")
    assert r.code == 1 and "fetch-deadline" in r.err, r.err


def test_the_deadline_timer_starts_with_the_first_socket_only() -> None:
    """A file:// fetch has no socket to shut down, so it starts no timer thread (a thread
    per fetch, eight per install); an http fetch arms the timer as its socket connects."""
    import socket

    from plugin_kit.installer.fetch import _Deadline

    deadline = _Deadline()
    deadline.extend_for(1 << 20)
    assert deadline._timer is None
    a, b = socket.socketpair()
    try:
        deadline.watch(a)
        assert deadline._timer is not None and deadline._timer.is_alive()
    finally:
        deadline.close()
        a.close()
        b.close()
