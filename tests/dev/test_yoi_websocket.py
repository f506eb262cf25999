"""The websocket host API of the dev host: granted targets answered from the fixtures, others
refused, as the host checks them (declared by the manifest and covered by a grant)."""

from __future__ import annotations

import json

import pytest

from plugin_kit.dev.component_grants import parse_component_grants
from plugin_kit.dev.component_host import HostApis
from plugin_kit.errors import DevError
from plugin_kit.validators.yoi_manifest import parse_yoi_manifest

MANIFEST = b"""schema_version = 1
id = "ws-test"
name = "WebSocket test"
version = "0.1.0"
permissions = [{ kind = "host_api", api = "websocket" }]

[runtime]
kind = "wasm-component"
component = "plugin.component.wasm"
world = "yoi:plugin/instance@1.0.0"

[[websocket]]
scheme = "wss"
host = "chat.example.com"
path_prefixes = ["/rooms/"]
"""
ROOM = "wss://chat.example.com/rooms/1"


def apis(*grants: str) -> HostApis:
    manifest = parse_yoi_manifest(MANIFEST)
    fixtures = {ROOM: {"messages": ["hello", "bye"]}}
    return HostApis(manifest, parse_component_grants(list(grants), manifest), fixtures)


def test_granted_socket_replays_the_fixture_messages():
    host = apis("websocket=requested")
    handle = json.loads(host.ws_open(json.dumps({"url": ROOM})))["handle"]
    assert json.loads(host.ws_send(handle, "hi")) == {"sent": True, "bytes": 2}
    received = [json.loads(host.ws_recv(handle, 0)) for _ in range(3)]
    assert received == [
        {"type": "text", "text": "hello"},
        {"type": "text", "text": "bye"},
        {"type": "closed"},
    ]
    assert json.loads(host.ws_close(handle)) == {"closed": True}
    with pytest.raises(DevError, match="unknown WebSocket handle"):
        host.ws_recv(handle, 0)


@pytest.mark.parametrize(
    ("grants", "url", "why"),
    [
        ((), ROOM, "granted host_api.websocket permission is missing"),
        (
            ("websocket=requested",),
            "wss://chat.example.com/admin",
            "not declared by the plugin manifest",
        ),
        (
            ("websocket=wss://chat.example.com/rooms/2",),
            ROOM,
            "not covered by enabled websocket grants",
        ),
        # matched as Yoi parses the URL: the path below is /admin
        (("websocket=requested",), ROOM + "/../../admin", "not declared by the plugin manifest"),
        (
            ("websocket=requested",),
            ROOM + "/%2e%2e/%2E%2E/admin",
            "not declared by the plugin manifest",
        ),
    ],
)
def test_socket_not_granted_is_denied(grants, url, why):
    with pytest.raises(DevError, match=why) as err:
        apis(*grants).ws_open(json.dumps({"url": url}))
    assert err.value.rule == "yoi-grant-denied"


@pytest.mark.parametrize(
    "url", ["WSS://Chat.Example.com./rooms/1", "wss://chat.example.com:443/lobby/../rooms/1"]
)
def test_a_socket_is_matched_as_its_url_parses(url):
    host = apis("websocket=requested")
    host.fixtures = {url: {"messages": []}}
    assert json.loads(host.ws_open(json.dumps({"url": url})))["url"] == url


def test_handshake_headers_are_refused():
    with pytest.raises(DevError, match="handshake headers"):
        apis("websocket=requested").ws_open(
            json.dumps({"url": ROOM, "headers": [{"name": "a", "value": "b"}]})
        )
