"""The grants a Yoi component runs with in the dev host, and the checks the host makes with them.

The shapes are the host's `PluginGrantConfig` (HareK02/yoi crates/manifest/src/plugin.rs @
b12e0785): `request` and `websocket` targets (scheme, host, port, methods, path_prefixes), `fs`
roots with explicit operations (write implies nothing else), and the `host_api` permissions.
The checks follow `authorize_plugin_host_api`, `request_target_allows` and
`websocket_target_allows` in crates/worker/src/feature/plugin.rs: an API is usable only when the
manifest requests it and the grant gives it, and a target must be declared by the manifest and
covered by a grant. The URL is matched as the host parses it (yoi_url.py), the targets as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.errors import DevError, UsageError
from plugin_kit.validators.yoi_url import (
    ParsedUrl,
    ascii_lower,
    normalize_host_literal,
    parse_url,
    written_port,
)

__all__ = [
    "HOST_APIS",
    "REQUEST_METHODS",
    "FS_OPERATIONS",
    "ComponentGrants",
    "parse_component_grants",
    "requested_apis",
    "denied",
    "target_allows",
]

HOST_APIS = ("request", "websocket", "fs")
REQUEST_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # PLUGIN_REQUEST_ALLOWED_METHODS
FS_OPERATIONS = ("read", "list", "write")

GRANT_HELP = (
    "fs=ROOT[:read,list,write] (default read,list), request=URL or request=requested, "
    "websocket=URL or websocket=requested"
)


def denied(message: str, place: str) -> DevError:
    """A host call the grants do not allow: the host traps the call with this message."""
    return DevError(
        message,
        rule="yoi-grant-denied",
        place=place,
        hint=f"Grant it for the dev host with --grant ({GRANT_HELP}), or to the plugin in "
        "Yoi's Profile with `plugin enable` (used when there is no --grant).",
    )


@dataclass
class ComponentGrants:
    """What the author granted with --grant: the host APIs and their targets and roots."""

    apis: set[str] = field(default_factory=set)
    request: list[dict[str, Any]] = field(default_factory=list)
    websocket: list[dict[str, Any]] = field(default_factory=list)
    fs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "apis": sorted(self.apis),
            "request": self.request,
            "websocket": self.websocket,
            "fs": self.fs,
        }


def requested_apis(permissions: list[Any]) -> set[str]:
    """The host APIs a manifest's `permissions` request: `{kind = "host_api", api = "fs"}` entries
    (the host's tagged form), or their labels (`host_api.fs`)."""
    out = set()
    for p in permissions:
        if isinstance(p, Mapping) and p.get("kind") == "host_api":
            out.add(str(p.get("api")))
        elif isinstance(p, str) and p.startswith("host_api."):
            out.add(p.removeprefix("host_api."))
    return out


def _url_target(text: str, *, websocket: bool) -> dict[str, Any]:
    """A grant for the URL as Yoi would parse it: its host in ASCII (IDNA), its port and its
    path normalised, so the prefix is written as the request paths it must match are. No port
    written grants any port, a port written (the scheme's default too) pins it, as the same
    `--grant` of `plugin enable` writes it in the Profile (installer/yoi_grants.py; plugin.rs:
    a grant without a port matches any)."""
    schemes = ("ws", "wss") if websocket else ("http", "https")
    try:
        url, port = parse_url(text), written_port(text)
    except ValueError:
        url = port = None
    if url is None or url.scheme not in schemes or not normalize_host_literal(url.host):
        raise UsageError(
            f"not a {' or '.join(schemes)} URL: {text!r}",
            rule="usage",
            place="--grant",
            hint=f"Use {GRANT_HELP}.",
        )
    target: dict[str, Any] = {
        "scheme": url.scheme,
        "host": normalize_host_literal(url.host),
        "port": port,
        "path_prefixes": [url.path],
    }
    if not websocket:
        target["methods"] = list(REQUEST_METHODS)
    return target


def _fs_grant(value: str) -> dict[str, Any]:
    root, sep, ops_text = value.rpartition(":")
    if not sep or not set(ops_text.split(",")) <= set(FS_OPERATIONS):
        root, ops_text = value, "read,list"
    ops = [op for op in FS_OPERATIONS if op in ops_text.split(",")]
    path = Path(root).expanduser().absolute()  # not resolved: a symlinked root is refused per call
    if not path.is_dir():
        raise UsageError(f"fs grant root is not a folder: {root}", rule="usage", place="--grant",
                         hint="Grant an existing folder: --grant fs=ROOT[:read,list,write].")  # fmt: skip
    return {"root": str(path), "operations": ops}


def parse_component_grants(items: list[str], manifest: Any) -> ComponentGrants:
    """`--grant KIND=VALUE` items; `request=requested` grants every target the manifest declares."""
    grants = ComponentGrants()
    for item in items:
        kind, sep, value = item.partition("=")
        if not sep or kind not in HOST_APIS or not value:
            raise UsageError(
                f"not a grant for a Yoi component: {item!r}",
                rule="usage",
                place="--grant",
                hint=f"Use {GRANT_HELP}.",
            )
        grants.apis.add(kind)
        if kind == "fs":
            grants.fs.append(_fs_grant(value))
        elif value == "requested":
            declared = manifest.request if kind == "request" else manifest.websocket
            getattr(grants, kind).extend(dict(t) for t in declared)
        else:
            getattr(grants, kind).append(_url_target(value, websocket=kind == "websocket"))
    return grants


def target_allows(target: Mapping[str, Any], method: str | None, url: ParsedUrl) -> bool:
    """One request/websocket target against a parsed URL (and method, for requests), as the host
    matches: the grant's host, scheme and prefixes as written, the URL as parsed (yoi_url.py), so
    `/v1/../admin` is `/admin` and a prefix is compared with the percent-encoded path."""
    scheme = ascii_lower(str(target.get("scheme", "")).strip())
    if not scheme or scheme not in ("*", url.scheme):
        return False
    url_host = normalize_host_literal(url.host)  # `canonical_host`: none when empty
    host = normalize_host_literal(str(target.get("host", "")))
    if not url_host or not host or host not in ("*", url_host):
        return False
    port = target.get("port")
    if port is not None and url.port_or_default != port:
        return False
    if method is not None:
        methods = [ascii_lower(str(m).strip()) for m in target.get("methods") or []]
        if ascii_lower(method) not in methods:
            return False
    prefixes = target.get("path_prefixes") or []
    return not prefixes or any(p and url.path.startswith(p) for p in prefixes)
