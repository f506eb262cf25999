"""`--upstream`: granted requests of a Yoi component forwarded to a real loopback HTTP server,
with the host's request rules applied first and its response bounds after; targets not granted,
requests the host refuses and non-loopback upstreams never reach a server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dev.yoi_components import core_wat, yoi_project
from hypothesis import given
from hypothesis import strategies as st

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli
from plugin_kit.dev.adapters.base import HostOptions
from plugin_kit.dev.component_request import UPSTREAM_RULE, parse_upstream, redact
from plugin_kit.dev.session import DevSession, Probe
from plugin_kit.errors import DevError, UsageError
from plugin_kit.validators.yoi_url import parse_url

API = {"scheme": "https", "host": "api.example.com", "methods": ["GET", "POST"],
       "path_prefixes": ["/v1/"]}  # fmt: skip
FORECAST = "https://api.example.com/v1/forecast"


class Recorder(ThreadingHTTPServer):
    """A loopback server that records each request and answers with `self.reply`."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[dict] = []
        self.reply: tuple[int, list[tuple[str, str]], bytes] = (200, [], b"")
        self.release = threading.Event()  # a handler told to hang waits for this
        self.drip = 0.0  # seconds between the body's bytes (0: all at once)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        server: Recorder = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        server.seen.append({"method": self.command, "path": self.path,
                            "headers": dict(self.headers.items()),
                            "body": self.rfile.read(length).decode()})  # fmt: skip
        status, headers, body = server.reply
        if status == 0:  # hang until released
            server.release.wait()
            return
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not server.drip:
            self.wfile.write(body)
            return
        for byte in body:  # one byte at a time, each well within a socket time-out
            if server.release.wait(server.drip):
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    srv = Recorder()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join()


@pytest.fixture
def plugin_with(tmp_path):
    """A loaded tool component whose `fetch` tool passes its input to yoi:host/request."""
    sessions: list[DevSession] = []

    def load(upstream: str | None, *, fixtures: dict | None = None, timeout: float = 5.0):
        root = yoi_project(tmp_path / "plugin", core_wat("tool", imports=("request",)),
                           tools=("fetch",), apis=("request",), request=(API,))  # fmt: skip
        options = HostOptions(grants=(f"request={FORECAST}",), fixtures=fixtures or {},
                              limits="relaxed",
                              upstream=parse_upstream(upstream, timeout=timeout) if upstream else None)  # fmt: skip
        session = DevSession(root, probe=Probe(), options=options)
        sessions.append(session)
        events: list = []
        session.cycle(events.append)
        assert events[-1].event == "reloaded", events[-1].error
        return session.host.current.plugin

    yield load
    for s in sessions:
        s.close()


def fetch(plugin, **descriptor) -> dict:
    result = plugin.call("fetch", descriptor)
    return json.loads(result.output["content"])


def test_a_granted_request_reaches_the_upstream_and_its_answer_the_component(server, plugin_with):
    server.reply = (201, [("Content-Type", "application/json"), ("Set-Cookie", "s=1"),
                          ("X-Note", "token=abc123, kept")], b'{"sky": "clear"}')  # fmt: skip
    plugin = plugin_with(server.url)
    answer = fetch(plugin, method="POST", url=FORECAST + "?days=3",
                   headers=[{"name": "X-Trace", "value": "t-1"}], body='{"place": "Oslo"}')  # fmt: skip
    [seen] = server.seen
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/v1/forecast?days=3", '{"place": "Oslo"}')  # fmt: skip
    assert seen["headers"]["Host"] == "api.example.com"  # the target the component named
    assert seen["headers"]["X-Trace"] == "t-1"
    assert seen["headers"]["User-Agent"] == "yoi-plugin-request-host-api/0.1"
    assert answer["status"] == 201
    assert answer["body"] == '{"sky": "clear"}' and answer["truncated"] is False
    headers = {h["name"]: h["value"] for h in answer["headers"]}
    assert "Set-Cookie" not in headers  # credential-like response headers are dropped
    assert headers["X-Note"] == "token=<redacted>, kept"
    assert headers["Content-Type"] == "application/json"


def test_the_upstream_path_is_a_prefix(server, plugin_with):
    plugin = plugin_with(server.url + "/mock/")
    assert fetch(plugin, method="GET", url=FORECAST)["status"] == 200
    assert server.seen[0]["path"] == "/mock/v1/forecast"


def test_an_upstream_path_is_encoded_as_the_targets_below_it(server, plugin_with):
    plugin = plugin_with(server.url + "/mö ck/./")
    assert fetch(plugin, method="GET", url=FORECAST)["status"] == 200
    assert server.seen[0]["path"] == "/m%C3%B6%20ck/v1/forecast"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://evil.example.org/v1/forecast", "is not declared by the plugin manifest"),
        ("https://api.example.com/v2/forecast", "is not declared by the plugin manifest"),
        ("https://api.example.com/v1/other", "is not covered by enabled request grants"),
    ],
)
def test_a_target_not_granted_is_denied_and_the_upstream_sees_nothing(
    server, plugin_with, url, why
):
    plugin = plugin_with(server.url)
    with pytest.raises(DevError, match=why) as err:
        plugin.call("fetch", {"method": "GET", "url": url})
    assert err.value.rule == "yoi-grant-denied"
    assert server.seen == []


@pytest.mark.parametrize(
    ("descriptor", "why"),
    [
        ({"headers": [{"name": "Authorization", "value": "Bearer x"}]}, "credential-like"),
        ({"headers": [{"name": "X-Api-Key", "value": "k"}]}, "credential-like"),
        ({"headers": [{"name": "Upgrade", "value": "websocket"}]}, "upgrade headers"),
        ({"headers": [{"name": "Connection", "value": "keep-alive, Upgrade"}]}, "upgrade headers"),
        ({"headers": [{"name": "Accept", "value": "text/event-stream"}]}, "SSE/event-stream"),
        ({"headers": [{"name": "X" * 65, "value": "v"}]}, "header name is invalid"),
        ({"headers": [{"name": "Bad Name", "value": "v"}]}, "header name is invalid"),
        ({"headers": [{"name": "X-A", "value": "v" * 1025}]}, "exceeds 1024 bytes"),
        ({"headers": [{"name": "X-A", "value": "a\nb"}]}, "invalid request header value"),
        ({"headers": [{"name": "X-A", "value": "v", "extra": 1}]}, "nothing else"),
        ({"headers": [{"name": f"X-{i}", "value": "v"} for i in range(17)]}, "too many headers"),
        ({"body": "x" * (32 * 1024 + 1), "method": "POST"}, "request body exceeds 32768 bytes"),
        ({"method": "get"}, "request method `get` is not allowed"),
        ({"method": "HEAD"}, "request method `HEAD` is not allowed"),
        ({"url": "wss://api.example.com/v1/forecast"}, "WebSocket URLs are not supported"),
        ({"url": "https://api.example.com:99999/v1/forecast"}, "invalid request URL"),
    ],
)
def test_requests_the_host_refuses_never_reach_the_upstream(server, plugin_with, descriptor, why):
    plugin = plugin_with(server.url)
    with pytest.raises(DevError, match=why) as err:
        plugin.call("fetch", {"method": "GET", "url": FORECAST, **descriptor})
    assert err.value.rule == "yoi-host-call-failed"
    assert server.seen == []


def test_a_fixture_answers_before_the_upstream(server, plugin_with):
    plugin = plugin_with(server.url, fixtures={FORECAST: {"status": 203, "body": "fixture"}})
    assert fetch(plugin, method="GET", url=FORECAST)["status"] == 203
    assert server.seen == []


@pytest.mark.parametrize(
    "fixture",
    [{"status": "abc"}, 5, [1, 2], {"headers": [1]}, {"headers": {"X": "v"}, "status": None},
     {"messages": 5}],
)  # fmt: skip
def test_a_fixture_that_is_not_a_response_is_refused_before_anything_runs(tmp_path, fixture):
    # these once raised ValueError or TypeError out of the component's request call
    from plugin_kit.dev.component_host import load_fixtures

    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps({FORECAST: fixture}))
    with pytest.raises(UsageError, match="not a response") as err:
        load_fixtures(path)
    assert err.value.rule == "usage" and err.value.place == f"{path}: {FORECAST}"


def test_the_response_is_bounded_as_the_host_bounds_it(server, plugin_with):
    headers = [(f"X-H{i:02}", "v") for i in range(20)]
    server.reply = (200, headers, "é".encode() * 40_000)  # 80 000 bytes
    answer = fetch(plugin_with(server.url), method="GET", url=FORECAST)
    assert answer["truncated"] is True
    assert len(answer["body"].encode()) == 64 * 1024
    assert len(answer["headers"]) == 16


def test_a_redirect_is_handed_back_not_followed(server, plugin_with):
    server.reply = (302, [("Location", "https://evil.example.org/")], b"")
    answer = fetch(plugin_with(server.url), method="GET", url=FORECAST)
    assert answer["status"] == 302
    assert len(server.seen) == 1


def test_non_ascii_in_the_url_and_header_values_is_sent_as_utf8(server, plugin_with):
    # Yoi accepts both (HeaderValue::from_str takes bytes past ASCII; the URL parser
    # percent-encodes the path and query); they reached http.client as str and raised past the call
    plugin = plugin_with(server.url)
    answer = fetch(plugin, method="GET", url=FORECAST + "/é?q=日本 x",
                   headers=[{"name": "X-Place", "value": "Zürich 日本"}])  # fmt: skip
    assert answer["status"] == 200
    [seen] = server.seen
    assert seen["path"] == "/v1/forecast/%C3%A9?q=%E6%97%A5%E6%9C%AC%20x"
    assert seen["headers"]["X-Place"].encode("latin-1").decode() == "Zürich 日本"


def test_the_path_query_and_host_are_sent_as_parsed(server, plugin_with):
    # granted as Yoi parses it (/v1/forecast) and sent as reqwest sends it
    plugin = plugin_with(server.url)
    url = "https://API.example.com:443/v1/x/%2E%2E/forecast/./?q='a b'#frag"
    assert fetch(plugin, method="GET", url=url)["status"] == 200
    [seen] = server.seen
    assert seen["path"] == "/v1/forecast/?q=%27a%20b%27"
    assert seen["headers"]["Host"] == "api.example.com"


def test_an_international_host_name_is_sent_as_idna(server):
    upstream = parse_upstream(server.url)
    upstream.forward("GET", parse_url("https://bücher.example/v1/x"), [], None)
    assert server.seen[0]["headers"]["Host"] == "xn--bcher-kva.example"
    with pytest.raises(DevError, match="host is invalid"):  # a label IDNA cannot encode
        upstream.forward("GET", parse_url("https://" + "ü" * 70 + ".example/v1/x"), [], None)
    assert len(server.seen) == 1


def test_an_upstream_that_does_not_answer_in_time_fails_the_call(server, plugin_with):
    server.reply = (0, [], b"")  # the handler hangs
    plugin = plugin_with(server.url, timeout=0.2)
    with pytest.raises(DevError, match="timed out") as err:
        plugin.call("fetch", {"method": "GET", "url": FORECAST})
    assert err.value.rule == "yoi-host-call-failed"


def test_the_time_out_holds_for_the_whole_request_not_each_read(server, plugin_with):
    server.reply = (200, [], b"x" * 200)
    server.drip = 0.05  # 200 bytes, 10 s in all; no single read waits long
    plugin = plugin_with(server.url, timeout=0.5)
    with pytest.raises(DevError, match="timed out"):
        plugin.call("fetch", {"method": "GET", "url": FORECAST})


def test_an_upstream_that_is_not_listening_fails_the_call(plugin_with):
    probe = Recorder()  # bound, then closed: a loopback port nobody listens on
    url = probe.url
    probe.server_close()
    with pytest.raises(DevError, match="is not answering") as err:
        plugin_with(url).call("fetch", {"method": "GET", "url": FORECAST})
    assert err.value.rule == "yoi-host-call-failed"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://127.9.8.7:1", "http://[::1]:9", "http://localhost:9",
            "http://LOCALHOST:9/base/"],
)  # fmt: skip
def test_loopback_upstreams_are_accepted(url):
    upstream = parse_upstream(url)
    assert upstream.addresses and upstream.url == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://192.0.2.1:8080", "192.0.2.1 is not a loopback address"),
        ("http://0.0.0.0:8080", "0.0.0.0 is not a loopback address"),
        ("http://[::2]:8080", ":2 is not a loopback address"),
        ("http://[::ffff:127.0.0.1]:8080", "is not a loopback address"),
        ("http://example.com:8080", "example.com is a host name"),
        ("http://localhost.example.com:80", "is a host name"),
        ("https://127.0.0.1:8443", "must be an http:// URL"),
        ("127.0.0.1:8080", "must be an http:// URL"),
        ("http://user:pw@127.0.0.1:8080", "credentials"),
        ("http://127.0.0.1:8080/?q=1", "a query"),
        ("http://127.0.0.1:99999", "not a URL"),
        ("http://127.0.0.1:0", "port 0"),
    ],
)
def test_other_upstreams_are_refused_naming_the_rule(url, why):
    with pytest.raises(UsageError, match=why) as err:
        parse_upstream(url)
    assert err.value.rule == UPSTREAM_RULE
    assert "127.0.0.0/8, ::1 or localhost" in err.value.message


def test_a_non_loopback_upstream_is_refused_before_anything_runs(tmp_path, capsys):
    root = yoi_project(tmp_path / "plugin", core_wat("tool", imports=("request",)),
                       tools=("fetch",), apis=("request",), request=(API,))  # fmt: skip
    code = run(cli, ["dev", str(root), "--call", "fetch", "--grant", "request=requested",
                     "--upstream", "http://192.0.2.1:8080"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert UPSTREAM_RULE in err and "192.0.2.1 is not a loopback address" in err
    assert not (root / "plugin.component.wasm").exists()  # not even built


SECRET = st.text(st.characters(blacklist_characters=" ,;\n\r=:\t", blacklist_categories=("Cs",)),
                 min_size=1)  # fmt: skip
WORDS = st.sampled_from(["token", "Secret", "PASSWORD", "x-api-key", "Cookie", "authorization"])


@given(prefix=st.text(alphabet="abc -./:ÄéZ", max_size=12), word=WORDS,
       sep=st.sampled_from(["", "=", ": ", "\t"]), secret=SECRET)  # fmt: skip
def test_redaction_hides_what_follows_a_secret_word(prefix, word, sep, secret):
    out = redact(f"{prefix}{word}{sep}{secret}, next")
    assert out.endswith(f"{word}{sep}<redacted>, next")


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzAÄé -./:=,;0123456789"))
def test_text_without_a_secret_word_is_left_alone(text):
    if not any(w in text.lower() for w in ("token", "secret", "password", "cookie", "authorization",
                                           "api-key", "x-auth-token")):  # fmt: skip
        assert redact(text) == text
