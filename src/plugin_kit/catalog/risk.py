"""Requests and risk: one rule for the catalog's `risk` and the installer's consent screen.

A host maps what its manifest asks for to `Requests` (host-neutral); `assess` turns
`Requests` into a risk level and a one-line summary. The publisher writes both into the
catalog entry; the installer computes them again from the manifest inside the verified
archive and refuses an entry that claims anything else (docs/security.md).

- high: a process, a wildcard host or secret, a broad network target (Yoi's `is_broad`:
  any scheme, any host or any path), any filesystem write, writes to systems outside the
  host (Yoi's `external_write`), code that runs as a native process outside the host's
  sandbox (Insomnia's `mcp`), or a request this toolchain does not know (it cannot be
  judged, so assume the worst);
- medium: any network host or secret, or reading outside the workspace;
- low: everything else (at most reading the workspace, no network, no secrets).

A second host needs one entry in `_MAPPINGS`: how its manifest states requests (the
catalog's `capabilities` object) and how that maps to `Requests`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from plugin_kit.errors import UsageError
from plugin_kit.hosts import INSOMNIA, YOI, Host
from plugin_kit.textsafe import one_line

__all__ = [
    "RISK_LEVELS",
    "NetworkTarget",
    "Requests",
    "Risk",
    "assess",
    "declared_capabilities",
    "requests_from",
    "requests_of",
]

RISK_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class NetworkTarget:
    host: str
    path_prefix: str = "/"
    scheme: str = ""  # "" where the host fixes it (Insomnia: https)
    port: int | None = None
    methods: tuple[str, ...] = ()  # () where the host does not limit them
    broad: bool = False  # the host itself calls it broad (Yoi: `*` scheme or host, no path)

    def label(self) -> str:
        scheme = f"{self.scheme}://" if self.scheme else ""
        port = f":{self.port}" if self.port is not None else ""
        methods = f"{','.join(self.methods)} " if self.methods else ""
        broad = " [broad]" if self.broad else ""
        return f"{methods}{scheme}{self.host}{port}{self.path_prefix}{broad}"


@dataclass(frozen=True)
class Requests:
    """What a package asks for, whatever its host; requests, never grants."""

    network: tuple[NetworkTarget, ...] = ()
    secrets: tuple[str, ...] = ()
    fs_read: tuple[str, ...] = ()  # scopes: "workspace" or a host-specific root
    fs_write: tuple[str, ...] = ()
    process: bool = False
    external_write: bool = False  # changes systems outside the host (not a file scope)
    native: str | None = None  # runs outside the host's sandbox: the runtime's name
    rate_per_minute: int | None = None
    unknown: tuple[str, ...] = ()  # request kinds this toolchain cannot judge


@dataclass(frozen=True)
class Risk:
    level: str  # one of RISK_LEVELS
    summary: str  # one line: "network: api.x/ · secrets: A_* · process: no"

    def to_dict(self) -> dict[str, str]:
        return {"risk": self.level, "capability_summary": self.summary}


def _high(r: Requests) -> bool:
    return bool(
        r.process
        or r.external_write
        or r.native
        or r.unknown
        or r.fs_write
        or "*" in r.secrets
        or any("*" in n.host or n.broad for n in r.network)
    )


def _medium(r: Requests) -> bool:
    return bool(r.network or r.secrets or any(scope != "workspace" for scope in r.fs_read))


def _summary(r: Requests) -> str:
    nets = [n.label() for n in r.network]
    parts = ["network: " + (", ".join(nets) if nets else "none")]
    if r.secrets:
        parts.append("secrets: " + ", ".join(r.secrets))
    for mode, scopes in (("read", r.fs_read), ("write", r.fs_write)):
        if scopes:
            parts.append(f"fs {mode}: " + ", ".join(scopes))
    parts.append("process: " + ("YES" if r.process else "no"))
    if r.external_write:
        parts.append("external writes: YES")
    if r.rate_per_minute is not None:
        parts.append(f"{r.rate_per_minute} req/min")
    if r.native:
        parts.append(f"native process ({r.native})")
    if r.unknown:
        parts.append("unknown: " + ", ".join(r.unknown))
    return one_line(" · ".join(parts))  # one line whatever a manifest or catalog holds


def assess(requests: Requests) -> Risk:
    """The risk level and summary line of `requests` (the rules in the module docstring)."""
    level = "high" if _high(requests) else "medium" if _medium(requests) else "low"
    return Risk(level, _summary(requests))


def _json_safe(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


# --- Insomnia: plugin.toml [capabilities] and [plugin].runtime -----------------------------

_INSOMNIA_KINDS = frozenset({"network", "secrets", "filesystem", "process", "rate_limits"})
_INSOMNIA_NATIVE = frozenset({"mcp"})  # a stdio server with the user's rights


def _insomnia_capabilities(manifest: Any) -> dict[str, Any]:
    # The catalog is JSON: what TOML could hold (dates) travels as text, as the publisher writes it.
    return _json_safe(dict(manifest.capabilities))


class _Reader:
    """Reads an untrusted `capabilities` object; a part of unexpected shape becomes unknown."""

    def __init__(self, caps: Mapping[str, Any], known: frozenset[str]) -> None:
        self.caps = caps
        self.unknown = set(caps) - known

    def items(self, key: str, value: Any, kind: type) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(v, kind) for v in value):
            return value
        self.unknown.add(key)
        return []

    def table(self, key: str) -> dict[str, Any]:
        value = self.caps.get(key)
        if value is None or isinstance(value, dict):
            return value or {}
        self.unknown.add(key)
        return {}


def _insomnia_requests(caps: Mapping[str, Any], runtime: str) -> Requests:
    read = _Reader(caps, _INSOMNIA_KINDS)
    nets = read.items("network", caps.get("network"), dict)
    fs = read.table("filesystem")
    rate = read.table("rate_limits").get("outbound_per_minute")
    process = caps.get("process")
    if process not in (None, True, False):
        read.unknown.add("process")
    return Requests(
        network=tuple(
            NetworkTarget(str(n.get("host", "")), str(n.get("path_prefix", "/"))) for n in nets
        ),
        secrets=tuple(read.items("secrets", caps.get("secrets"), str)),
        fs_read=tuple(read.items("filesystem", fs.get("read"), str)),
        fs_write=tuple(read.items("filesystem", fs.get("write"), str)),
        process=process is True,
        native=runtime if runtime in _INSOMNIA_NATIVE else None,
        rate_per_minute=rate if isinstance(rate, int) and not isinstance(rate, bool) else None,
        unknown=tuple(sorted(read.unknown)),
    )


# --- Yoi: plugin.toml `permissions`, [[request]] and [[websocket]] ---------------------------
# The host's meaning (HareK02/yoi @ b12e0785): crates/manifest/src/plugin.rs `PluginPermission`
# and its `label`, `PluginRequestGrant`/`PluginWebSocketGrant` and their `is_broad`;
# crates/worker/src/feature/plugin.rs `authorize_plugin_host_api` (fs: read, list and write
# below roots the operator grants; the manifest cannot ask for less than write) and the
# `external_write` check of `authorize_plugin_tool`.

_YOI_KINDS = frozenset({"permissions", "request", "websocket"})
_YOI_NAMED = frozenset({"surfaces", "tool", "tool_namespace", "service", "ingress"})
_YOI_HOST_APIS = frozenset({"request", "websocket", "fs"})
_YOI_FS_SCOPE = "roots the operator grants"


def _yoi_capabilities(manifest: Any) -> dict[str, Any]:
    """The permission requests as the host labels them, and the targets as written."""
    return {
        "permissions": list(manifest.permission_labels),
        "request": _json_safe([dict(t) for t in manifest.request]),
        "websocket": _json_safe([dict(t) for t in manifest.websocket]),
    }


def _yoi_label_known(label: str) -> bool:
    kind, _, value = label.partition(".")
    if label == "external_write":
        return True
    if kind == "host_api":
        return value in _YOI_HOST_APIS
    return kind in _YOI_NAMED and bool(value)


def _yoi_targets(target: Mapping[str, Any], methods_apply: bool) -> list[NetworkTarget]:
    """One NetworkTarget per path prefix of a [[request]] or [[websocket]] target."""
    scheme, host = str(target.get("scheme", "")).strip(), str(target.get("host", "")).strip()
    port = target.get("port")
    port = port if isinstance(port, int) and not isinstance(port, bool) else None
    raw = target.get("methods") if methods_apply else None
    methods = tuple(str(m).strip().upper() for m in raw) if isinstance(raw, list) else ()
    found = target.get("path_prefixes")
    prefixes = [str(p) for p in found] if isinstance(found, list) else []
    broad = scheme == "*" or host == "*" or not prefixes  # is_broad
    return [
        NetworkTarget(host, prefix, scheme, port, methods, broad) for prefix in prefixes or ["/"]
    ]


def _yoi_requests(caps: Mapping[str, Any], runtime: str) -> Requests:
    read = _Reader(caps, _YOI_KINDS)
    labels = read.items("permissions", caps.get("permissions"), str)
    apis = {label.partition(".")[2] for label in labels if label.startswith("host_api.")}
    fs = (_YOI_FS_SCOPE,) if "fs" in apis else ()
    nets = [
        n
        for key, methods in (("request", True), ("websocket", False))
        for t in read.items(key, caps.get(key), dict)
        for n in _yoi_targets(t, methods)
    ]
    unknown = read.unknown | {label for label in labels if not _yoi_label_known(label)}
    return Requests(
        network=tuple(nets),
        fs_read=fs,
        fs_write=fs,
        external_write="external_write" in labels,
        unknown=tuple(sorted(unknown)),
    )


@dataclass(frozen=True)
class _Mapping:
    capabilities: Callable[[Any], dict[str, Any]]  # manifest -> the catalog's `capabilities`
    requests: Callable[[Mapping[str, Any], str], Requests]  # (capabilities, runtime) -> Requests


_MAPPINGS: dict[str, _Mapping] = {
    INSOMNIA.name: _Mapping(_insomnia_capabilities, _insomnia_requests),
    YOI.name: _Mapping(_yoi_capabilities, _yoi_requests),
}


def _mapping(host: Host) -> _Mapping:
    try:
        return _MAPPINGS[host.name]
    except KeyError:
        raise UsageError(
            f"no request mapping for {host.title} manifests yet",
            rule="risk-host-unsupported",
            hint="risk can be computed for: " + ", ".join(_MAPPINGS),
        ) from None


def declared_capabilities(host: Host, manifest: Any) -> dict[str, Any]:
    """What `manifest` requests, as a catalog entry's `capabilities` object carries it."""
    return _mapping(host).capabilities(manifest)


def requests_from(host: Host, capabilities: Mapping[str, Any], runtime: str) -> Requests:
    """`Requests` from a catalog entry's `capabilities` and `runtime` (untrusted: never raises
    on odd shapes; what cannot be read counts as unknown or absent)."""
    return _mapping(host).requests(capabilities, runtime)


def requests_of(host: Host, manifest: Any) -> Requests:
    """`Requests` of a parsed manifest of `host`."""
    return requests_from(host, declared_capabilities(host, manifest), manifest.runtime)
