"""Request grants are matched against the URL as Yoi parses it (Rust `url` crate, WHATWG), not
the URL as the component wrote it: `..` and `%2e%2e` segments resolved, non-ASCII percent-encoded,
the host lower-cased, IDNA-encoded and without its trailing dot, the default port dropped
(HareK02/yoi crates/worker/src/feature/plugin.rs `request_target_allows`)."""

from __future__ import annotations

import json

import pytest
from dev.yoi_components import core_wat, yoi_project
from hypothesis import given
from hypothesis import strategies as st

from plugin_kit.dev.adapters.base import HostOptions
from plugin_kit.dev.component_grants import parse_component_grants, target_allows
from plugin_kit.dev.session import DevSession, Probe
from plugin_kit.errors import DevError, UsageError
from plugin_kit.validators.yoi_url import normalize_path, parse_url, prefix_as_parsed

API = {"scheme": "https", "host": "api.example.com", "methods": ["GET"],
       "path_prefixes": ["/api/", "/b%C3%BCcher/", "/ünï/"]}  # fmt: skip
IDN = {"scheme": "https", "host": "xn--bcher-kva.example", "methods": ["GET"],
       "path_prefixes": ["/api/"]}  # fmt: skip
ALLOWED = [
    "https://api.example.com/api/x",
    "https://api.example.com/admin/../api/x",  # raw, it does not start with /api/
    "https://api.example.com/admin/%2E%2e/api/x",
    "https://api.example.com/api/./x",
    "https://api.example.com/bücher/x",  # sent as /b%C3%BCcher/x
    "https://API.Example.COM./api/x",
    "https://api.example.com:443/api/x",
    "https://bücher.example/api/x",  # the host is xn--bcher-kva.example
    "HTTPS:\\\\api.example.com\\api\\x",
]
DENIED = [
    "https://api.example.com/api/../admin",  # raw, it starts with /api/
    "https://api.example.com/api/%2e%2e/admin",
    "https://api.example.com/api/.%2E/admin",
    "https://api.example.com/api\\..\\admin",
    "https://api.example.com/api/x/../../admin",
    "https://api.example.com/ünï/x",  # a prefix written with non-ASCII matches no parsed path
    "https://api.example.com/api",
]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    """A tool component whose `fetch` tool passes its input to yoi:host/request, granted what
    its manifest declares; every URL here has a fixture, so only the grant check decides."""
    root = yoi_project(tmp_path_factory.mktemp("grantpath") / "plugin",
                       core_wat("tool", imports=("request",)), tools=("fetch",),
                       apis=("request",), request=(API, IDN))  # fmt: skip
    fixtures = {url: "ok" for url in ALLOWED + DENIED}
    options = HostOptions(grants=("request=requested",), fixtures=fixtures, limits="relaxed")
    session = DevSession(root, probe=Probe(), options=options)
    events: list = []
    session.cycle(events.append)
    assert events[-1].event == "reloaded", events[-1].error
    yield session.host.current.plugin
    session.close()


@pytest.mark.parametrize("url", ALLOWED)
def test_a_url_whose_parsed_path_is_granted_is_allowed(plugin, url):
    result = plugin.call("fetch", {"method": "GET", "url": url})
    assert json.loads(result.output["content"])["body"] == "ok"


@pytest.mark.parametrize("url", DENIED)
def test_a_url_whose_parsed_path_is_not_granted_is_denied(plugin, url):
    with pytest.raises(DevError, match="is not declared by the plugin manifest") as err:
        plugin.call("fetch", {"method": "GET", "url": url})
    assert err.value.rule == "yoi-grant-denied"


@pytest.mark.parametrize(
    ("path", "parsed"),
    [
        ("", "/"),
        ("/", "/"),
        ("/a/..", "/"),
        ("/a/.", "/a/"),
        ("/..", "/"),
        ("/../../a", "/a"),
        ("/a//../b", "/a/b"),
        ("/a/%2e%2E/b", "/b"),
        ("/a/%2e/b", "/a/b"),
        ("/a/%2e%2", "/a/%2e%2"),
        ("/a/...", "/a/..."),
        ("/a\\b", "/a/b"),
        ("/é 日", "/%C3%A9%20%E6%97%A5"),
        ('/"<>`{}', "/%22%3C%3E%60%7B%7D"),
        ("/%7e%zz~'!$&()*+,;=:@[]|^", "/%7e%zz~'!$&()*+,;=:@[]|^"),  # kept as written
    ],
)
def test_paths_are_normalised_as_the_url_standard_says(path, parsed):
    assert normalize_path(path) == parsed
    assert parse_url("http://h" + path).path == parsed


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("https://API.Example.com:443/", "api.example.com", 443),
        ("http://ex%41mple.com:0080/", "example.com", 80),
        ("ws://h:8080", "h", 8080),
        ("http://0x7f.1/", "127.0.0.1", 80),
        ("http://2130706433/", "127.0.0.1", 80),
        ("http://[0:0::1]/", "[::1]", 80),
        ("http://[1:0:0:2:0:0:0:3]/", "[1:0:0:2::3]", 80),
        ("https://Faß.example/", "xn--fa-hia.example", 443),
        ("http:example.com/x", "example.com", 80),
        ("http://XN--BCHER-KVA.example/", "xn--bcher-kva.example", 80),
        ("http://\u0915\u094d\u200d\u0937/", "xn--11b2ezcw70k", 80),  # a joiner after a virama
    ],
)
def test_hosts_and_ports_are_parsed_as_the_url_standard_says(url, host, port):
    parsed = parse_url(url)
    assert (parsed.host, parsed.port_or_default) == (host, port)


@pytest.mark.parametrize(
    "url",
    ["http://h:65536/", "http://h:8o/", "http:///", "http://a b/", "http://1.2.3.256/",
     "http://[::1/", "http://[fe80::1%25eth0]/", "/relative", "http://0x1.0x2.0x3.0x4.0x5/",
     "http://0..1/", "http://.1.2/", "http://xn--a/", "http://a.xn--/", "http://XN--AB.x/",
     "http://\u0301a/", "http://a\u200db/", "http://a\u200cb.x/"],
)  # fmt: skip
def test_urls_the_parser_refuses_are_refused(url):
    with pytest.raises(ValueError):
        parse_url(url)


def test_a_url_grant_is_written_as_the_paths_it_must_match():
    [target] = parse_component_grants(
        ["request=https://Bücher.example/bücher/./x/.."], None
    ).request
    assert (target["host"], target["port"], target["path_prefixes"]) == (
        "xn--bcher-kva.example", None, ["/b%C3%BCcher/"])  # fmt: skip
    assert target_allows(target, "GET", parse_url("https://bücher.example/bücher/a"))
    # no port written: any port, as `plugin enable --grant` writes it for Yoi
    assert target_allows(target, "GET", parse_url("https://bücher.example:8443/bücher/a"))
    [pinned] = parse_component_grants(["request=https://h.example:8443/x/"], None).request
    assert pinned["port"] == 8443
    assert not target_allows(pinned, "GET", parse_url("https://h.example/x/a"))
    # the scheme's default written pins it too, as `plugin enable --grant` writes `:443`
    [default] = parse_component_grants(["request=https://h.example:0443/x/"], None).request
    assert default["port"] == 443
    assert not target_allows(default, "GET", parse_url("https://h.example:8443/x/a"))
    assert target_allows(default, "GET", parse_url("https://h.example/x/a"))


@pytest.mark.parametrize(
    ("url", "credentials"),
    [
        ("http://u:p@h/", (True, "p")),
        ("http://:@h/", (False, None)),
        ("http://a@b@h/", (True, None)),
    ],
)
def test_credentials_are_what_precedes_the_last_at(url, credentials):
    parsed = parse_url(url)  # the host refuses a URL with either
    assert (parsed.host, bool(parsed.username), parsed.password) == ("h", *credentials)


def test_the_query_is_encoded_as_a_special_url_query():
    assert parse_url("https://h/p?a='b c'&d=é#frag").target == "/p?a=%27b%20c%27&d=%C3%A9"


PATHS = st.lists(st.sampled_from([*"-./%\\aAeE2zé日", "%2e", "%2E", ".."]), max_size=24).map(
    "".join
)
PREFIXES = st.text(st.sampled_from(list("-./%aAeE2é")), max_size=8).map(lambda s: "/" + s)


@given(path=PATHS, prefix=PREFIXES)
def test_the_verdict_is_the_match_on_the_normalised_path(path, prefix):
    target = dict(API, path_prefixes=[prefix])
    url = parse_url("https://api.example.com/" + path)
    assert target_allows(target, "GET", url) == normalize_path("/" + path).startswith(prefix)


@given(path=PATHS)
def test_normalising_is_idempotent_and_leaves_no_dot_segment(path):
    once = normalize_path(path)
    assert normalize_path(once) == once
    assert once.startswith("/") and once.isascii()
    segments = [s.lower() for s in once.split("/")]
    assert not {".", "..", "%2e", "%2e%2e", ".%2e", "%2e."} & set(segments)


@given(prefix=PREFIXES, path=PATHS)
def test_a_prefix_the_validator_flags_matches_no_parsed_path(prefix, path):
    written = prefix_as_parsed(prefix)
    if normalize_path(path).startswith(prefix):
        assert written is None
    if written is not None:
        assert prefix_as_parsed(written) is None  # the hint is itself a prefix that can match


@pytest.mark.parametrize(
    ("prefix", "written"),
    [
        ("/v1/", None),
        ("/v1/.", None),
        ("/v1/./", "/v1/"),
        ("/bü/", "/b%C3%BC/"),
        ("/a b", "/a%20b"),
    ],
)
def test_the_validator_hint_is_the_prefix_as_parsed(prefix, written):
    assert prefix_as_parsed(prefix) == written


@pytest.mark.parametrize("url", ["https://./api/x", "https://.../api/x", "https://%2E/api/x"])
def test_a_host_of_dots_alone_is_no_host_even_for_a_wildcard_grant(plugin, url):
    """plugin.rs `canonical_host`: the host without its trailing dots must not be empty."""
    assert parse_url(url).host  # the URL Standard keeps the dots
    assert not target_allows(dict(API, host="*", path_prefixes=[]), "GET", parse_url(url))
    with pytest.raises(DevError, match="must have a host"):
        plugin.call("fetch", {"method": "GET", "url": url})
    with pytest.raises(UsageError, match="not a http or https URL"):
        parse_component_grants([f"request={url}"], None)
