"""Yoi packages for the enablement tests: manifests as the host accepts them, and an isolated host."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from plugin_kit.installer.yoi_status import YoiStorePackage
from plugin_kit.validators.yoi_manifest import parse_yoi_manifest

RUNTIME = (
    '[runtime]\nkind = "wasm-component"\ncomponent = "plugin.component.wasm"\n'
    'world = "yoi:plugin/tool@1.0.0"\n'
)
SCHEMA = '{ type = "object", properties = { text = { type = "string" } } }'


def tool(name: str, *, external_write: bool = False) -> str:
    ew = "external_write = true\n" if external_write else ""
    return f'[[tools]]\nname = "{name}"\ndescription = "{name}"\ninput_schema = {SCHEMA}\n{ew}'


def manifest(
    pid: str = "example.echo", version: str = "1.0.0", *, perms: str = "", body: str = ""
) -> str:
    head = f'schema_version = 1\nid = "{pid}"\nname = "Echo"\nversion = "{version}"\n'
    return head + (f"permissions = [{perms}]\n" if perms else "") + RUNTIME + body


TOOL_PERMS = '{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" }'
MANIFESTS = {
    # A component with no tools and no permission requests: only the `wasm` surface.
    "no-permissions": manifest(),
    "request+websocket": manifest(
        perms=TOOL_PERMS
        + ', { kind = "host_api", api = "request" }, { kind = "host_api", api = "websocket" }',
        body=tool("echo")
        + '[[request]]\nscheme = "https"\nhost = "api.example.com"\nmethods = ["GET", "POST"]\npath_prefixes = ["/v1/"]\n'
        + '[[websocket]]\nscheme = "wss"\nhost = "stream.example.com"\nport = 8443\npath_prefixes = ["/live/"]\n',
    ),
    "fs": manifest(perms=TOOL_PERMS + ', { kind = "host_api", api = "fs" }', body=tool("echo")),
    "external-write": manifest(
        perms=TOOL_PERMS + ', { kind = "tool", name = "write" }, { kind = "external_write" }',
        body=tool("echo") + tool("write", external_write=True),
    ),
}


def package(text: str, source: str = "user", *, digest: str | None = None) -> YoiStorePackage:
    m = parse_yoi_manifest(text.encode())
    return YoiStorePackage(
        source, m, digest or "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    )


def isolate_yoi(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Yoi's config folder inside the isolated home: XDG_CONFIG_HOME/yoi (no YOI_* overrides)."""
    for var in ("YOI_CONFIG_DIR", "YOI_HOME", "YOI_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    return {"HOME": str(isolated_home), "XDG_CONFIG_HOME": str(isolated_home / ".config")}
