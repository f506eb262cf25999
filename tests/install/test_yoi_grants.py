"""The Yoi grant model: `KIND=VALUE` reads back what `spec` writes, the host's tables round-trip,
and grants add up and revoke in order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin_kit.errors import UsageError
from plugin_kit.installer.yoi_grants import (
    FsGrant,
    GrantSet,
    Permission,
    RequestGrant,
    WebSocketGrant,
    parse_grant,
)

# Names may hold what the host accepts in a permission value: dots, dashes, case, non-ASCII.
NAME = st.text(alphabet=st.sampled_from(list("aZ09-._é/ü")), min_size=1, max_size=10)
HOST = st.text(alphabet=st.sampled_from(list("aZ09-.é*")), min_size=1, max_size=10)
PREFIX = st.text(alphabet=st.sampled_from(list("aZ09-._/é%~ ")), min_size=1, max_size=8).filter(
    lambda p: p.strip() == p and p != "*"
)
PORT = st.none() | st.integers(0, 65535)
PERMISSION = st.one_of(
    st.just(Permission("external_write")),
    st.builds(Permission, st.sampled_from(["tool", "tool_namespace", "service", "ingress"]), NAME),
    st.builds(
        Permission,
        st.just("surface"),
        st.sampled_from(["hook", "tool", "service", "ingress", "wasm"]),
    ),
    st.builds(Permission, st.just("host_api"), st.sampled_from(["request", "websocket", "fs"])),
)
REQUEST = st.builds(
    RequestGrant,
    scheme=st.sampled_from(["https", "http", "*"]),
    host=HOST,
    port=PORT,
    methods=st.lists(
        st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
        min_size=1,
        max_size=3,
        unique=True,
    ).map(tuple),
    path_prefixes=st.lists(PREFIX.filter(lambda p: "," not in p and " " not in p), max_size=3).map(
        tuple
    ),
)
WEBSOCKET = st.builds(
    WebSocketGrant,
    scheme=st.sampled_from(["wss", "ws", "*"]),
    host=HOST,
    port=PORT,
    path_prefixes=st.lists(PREFIX.filter(lambda p: "," not in p), max_size=3).map(tuple),
)
FS = st.builds(
    FsGrant,
    root=st.text(alphabet=st.sampled_from(list("aZ09-._/é: ")), max_size=12).map(lambda r: "/" + r),
    operations=st.lists(st.sampled_from(["read", "list", "write"]), min_size=1, unique=True).map(
        tuple
    ),
)
GRANT = st.one_of(PERMISSION, REQUEST, WEBSOCKET, FS)


def _unmatchable(grant) -> bool:  # type: ignore[no-untyped-def]
    """A host or prefix Yoi compares as written with a parsed URL that never looks so: a
    non-ASCII host (parsed: IDNA), a prefix with a non-ASCII character or a space (parsed:
    percent-encoded) or a `.`/`..` segment before its last `/` (parsed: resolved)."""
    if not isinstance(grant, RequestGrant | WebSocketGrant):
        return False
    return not grant.host.isascii() or any(
        p.startswith("/") and ("é" in p or " " in p or {".", ".."} & set(p.split("/")[:-1]))
        for p in grant.path_prefixes
    )


@given(GRANT)
def test_spec_reads_back(grant) -> None:
    """What `spec` writes reads back, except a grant Yoi could never match, which is refused."""
    if _unmatchable(grant):
        with pytest.raises(UsageError) as err:
            parse_grant(grant.spec)
        assert err.value.rule == "yoi-grant-unmatchable"
    else:
        assert parse_grant(grant.spec) == grant


@pytest.mark.parametrize(
    ("spec", "fix"),
    [
        ("request=https://bücher.example GET /b/", "'xn--bcher-kva.example'"),
        ("request=https://api.example GET /bücher/", "'/b%C3%BCcher/'"),
        ("request=https://api.example GET /api/../admin/", "'/admin/'"),
        ("websocket=wss://api.example /a/./b/", "'/a/b/'"),
    ],
)
def test_a_grant_yoi_could_never_match_is_refused_with_the_form_that_matches(
    spec: str, fix: str
) -> None:
    with pytest.raises(UsageError) as err:
        parse_grant(spec)
    assert err.value.rule == "yoi-grant-unmatchable" and fix in str(err.value.hint)


@given(st.lists(GRANT, max_size=8))
def test_tables_round_trip(grants) -> None:
    gs = GrantSet().add(grants)
    assert GrantSet.from_tables(gs.to_tables()) == gs


@given(st.lists(GRANT, max_size=8), st.lists(GRANT, max_size=8))
def test_add_keeps_order_without_repeats_and_remove_takes_out(first, second) -> None:
    gs = GrantSet().add(first).add(second)
    items = gs.items()
    assert len(items) == len(set(items)) and set(items) == set(first) | set(second)
    assert set(gs.remove(second).items()) == set(first) - set(second)


def test_request_paths_left_out_or_star_mean_any_path() -> None:
    a = parse_grant("request=HTTPS://API.example.com:8443 get,Post")
    assert a == RequestGrant(
        scheme="https", host="API.example.com", port=8443, methods=("GET", "POST")
    )
    assert a.broad and parse_grant("request=https://API.example.com:8443 GET,POST *") == a
    assert a.to_table() == {"scheme": "https", "host": "API.example.com", "port": 8443,
                            "path_prefixes": [], "methods": ["GET", "POST"]}  # fmt: skip
    assert parse_grant("websocket=wss://[::1]:9 /a/,/b/").to_table() == {
        "scheme": "wss", "host": "[::1]", "port": 9, "path_prefixes": ["/a/", "/b/"],
    }  # fmt: skip
    assert Permission.from_table({"kind": "external_write", "note": "ignored"}).to_table() == {
        "kind": "external_write"
    }
