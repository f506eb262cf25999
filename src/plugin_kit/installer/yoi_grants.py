"""Yoi grants: what an operator lets one package do, in the host's own shapes.

The shapes are those of HareK02/yoi crates/manifest/src/plugin.rs @ b12e0785: `PluginPermission`
(a table tagged by `kind`), `PluginRequestGrant`, `PluginWebSocketGrant`, `PluginFsGrant` and
`PluginFsOperation`. A grant set is written under `[plugins.enabled.grants]` beside its binding
(`id`, `version`, `digest`; `PluginGrantConfig::binding_error`), which yoi_enable.py adds.

One grant on the command line is `KIND=VALUE`, each VALUE in the form the host prints it
(`PluginPermission::label`, `PluginRequestGrant::label`, ... as `yoi plugin show` shows them),
except fs, whose root may hold spaces (`ROOT:OPERATIONS`); every grant's `spec` reads back:

    permission=host_api.request          permission=tool.echo        permission=external_write
    request=https://api.example.com GET,POST /v1/,/v2/    (paths `*` or left out: any path)
    websocket=wss://stream.example.com:8443 /live/
    fs=/srv/data:read,list
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

from plugin_kit.errors import UsageError
from plugin_kit.validators.yoi_manifest import REQUEST_METHODS, YoiManifest
from plugin_kit.validators.yoi_shape import HOST_APIS, SURFACES

__all__ = [
    "Permission",
    "RequestGrant",
    "WebSocketGrant",
    "FsGrant",
    "Grant",
    "GrantSet",
    "FS_OPERATIONS",
    "parse_grant",
    "requested_grants",
]

FS_OPERATIONS = ("read", "list", "write")  # PluginFsOperation
# PluginPermission's variants: label prefix -> (kind, field holding the value).
_VALUED = {
    "surfaces": ("surface", "surface"),
    "tool": ("tool", "name"),
    "tool_namespace": ("tool_namespace", "namespace"),
    "service": ("service", "name"),
    "ingress": ("ingress", "name"),
    "host_api": ("host_api", "api"),
}
_ENUMS = {"surface": SURFACES, "host_api": HOST_APIS}
_URL = re.compile(r"(?P<scheme>[^:/\s]+)://(?P<host>\[[^\]]*\]|[^:/\s]+)(?::(?P<port>\d+))?$")
_SYNTAX = (
    "Use permission=LABEL (host_api.request, tool.NAME, surfaces.tool, external_write, ...), "
    "request=SCHEME://HOST[:PORT] METHODS [PATHS|*], websocket=SCHEME://HOST[:PORT] [PATHS|*] "
    "or fs=/ABS/ROOT:read,list,write."
)


def _bad(spec: str, why: str) -> UsageError:
    return UsageError(
        f"grant {spec!r}: {why}", rule="yoi-grant-syntax", place="--grant", hint=_SYNTAX
    )


def _matchable(spec: str, host: str, paths: tuple[str, ...]) -> None:
    """Yoi compares a grant's host and path prefixes with the parsed URL as they are written
    (plugin.rs `request_target_allows`, `websocket_target_allows`): a non-ASCII host, or a
    prefix a parsed path never starts with, would be written to the Profile and match nothing."""
    from plugin_kit.validators.yoi_url import parse_url, prefix_as_parsed

    if not host.isascii():
        try:
            first: tuple[str, str | None] | None = (host, parse_url(f"http://{host}/").host)
        except ValueError:
            first = (host, None)
    else:
        first = next(((p, fix) for p in paths if (fix := prefix_as_parsed(p)) is not None), None)
    if first is not None:
        written, fixed = first
        raise UsageError(
            f"grant {spec!r}: Yoi compares {written!r} with the parsed URL as it is written, so"
            " it would match nothing",
            rule="yoi-grant-unmatchable",
            place="--grant",
            hint=f"write {fixed!r}, as a URL parses it" if fixed else "write an ASCII host",
        )


@dataclass(frozen=True, order=True)
class Permission:
    """`PluginPermission`: `kind` and, except for `external_write`, one valued field."""

    KIND: ClassVar[str] = "permission"

    kind: str
    value: str = ""

    @property
    def label(self) -> str:
        """`PluginPermission::label`."""
        prefix = next((p for p, (k, _) in _VALUED.items() if k == self.kind), None)
        return f"{prefix}.{self.value}" if prefix else self.kind

    @property
    def spec(self) -> str:
        """The `KIND=VALUE` text `parse_grant` reads back."""
        return f"permission={self.label}"

    def to_table(self) -> dict[str, str]:
        key = dict(_VALUED.values()).get(self.kind)
        return {"kind": self.kind, key: self.value} if key else {"kind": self.kind}

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Permission:
        kind = str(table.get("kind", ""))
        key = dict(_VALUED.values()).get(kind)
        # external_write carries no field; the host ignores any other key there (yoi_shape.py).
        return cls(kind, str(table.get(key, ""))) if key else cls(kind)

    @classmethod
    def parse(cls, text: str, spec: str) -> Permission:
        if text == "external_write":
            return cls("external_write")
        prefix, _, value = text.partition(".")
        if prefix not in _VALUED or not value:
            raise _bad(spec, f"{text!r} is not a permission the host knows")
        kind = _VALUED[prefix][0]
        allowed = _ENUMS.get(kind)
        if allowed and value not in allowed:
            raise _bad(spec, f"{value!r} is not one of {', '.join(allowed)}")
        return cls(kind, value)


def _paths(text: str) -> tuple[str, ...]:
    # The host prints an empty prefix list as `*`: any absolute path.
    return () if text in ("", "*") else tuple(p for p in text.split(",") if p)


def _url(text: str, spec: str) -> tuple[str, str, int | None]:
    m = _URL.match(text)
    if not m:
        raise _bad(spec, f"{text!r} is not SCHEME://HOST[:PORT]")
    port = int(m["port"]) if m["port"] else None
    if port is not None and port > 65535:
        raise _bad(spec, f"port {port} is out of range")
    return m["scheme"].lower(), m["host"], port


class _Table:
    """A grant that is one table of the host's: fields in, fields out (None left out)."""

    def to_table(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is not None:  # TOML has no null: left out means None
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Any:
        kw = {}
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name in table:
                value = table[f.name]
                kw[f.name] = tuple(str(v) for v in value) if isinstance(value, list) else value
        return cls(**kw)


@dataclass(frozen=True, order=True)
class _Target(_Table):
    scheme: str = ""
    host: str = ""
    port: int | None = None
    path_prefixes: tuple[str, ...] = ()

    @property
    def broad(self) -> bool:
        """`PluginRequestGrant::is_broad` / `PluginWebSocketGrant::is_broad`."""
        return "*" in (str(self.scheme).strip(), str(self.host).strip()) or not self.path_prefixes

    def _where(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}"

    def _paths_label(self) -> str:
        return ",".join(self.path_prefixes) or "*"


@dataclass(frozen=True, order=True)
class RequestGrant(_Target):
    """`PluginRequestGrant`: an empty `path_prefixes` allows any path (the host calls that broad)."""

    KIND: ClassVar[str] = "request"

    methods: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self._where()} {','.join(self.methods)} {self._paths_label()}"

    @property
    def spec(self) -> str:
        """The `KIND=VALUE` text `parse_grant` reads back."""
        return f"request={self.label}"

    @classmethod
    def parse(cls, text: str, spec: str) -> RequestGrant:
        parts = text.split(maxsplit=2)
        if len(parts) < 2:
            raise _bad(spec, "a request grant needs a URL and its methods")
        scheme, host, port = _url(parts[0], spec)
        methods = tuple(m.upper() for m in parts[1].split(",") if m)
        if not methods or any(m not in REQUEST_METHODS for m in methods):
            raise _bad(spec, f"methods must be from {', '.join(REQUEST_METHODS)}")
        paths = _paths(parts[2] if len(parts) > 2 else "")
        return cls(scheme=scheme, host=host, port=port, path_prefixes=paths, methods=methods)


@dataclass(frozen=True, order=True)
class WebSocketGrant(_Target):
    """`PluginWebSocketGrant`."""

    KIND: ClassVar[str] = "websocket"

    @property
    def label(self) -> str:
        return f"{self._where()} {self._paths_label()}"

    @property
    def spec(self) -> str:
        """The `KIND=VALUE` text `parse_grant` reads back."""
        return f"websocket={self.label}"

    @classmethod
    def parse(cls, text: str, spec: str) -> WebSocketGrant:
        parts = text.split(maxsplit=1)
        if not parts:
            raise _bad(spec, "a websocket grant needs a URL")
        scheme, host, port = _url(parts[0], spec)
        if scheme not in ("ws", "wss", "*"):
            raise _bad(spec, "the scheme must be ws, wss or *")
        return cls(scheme, host, port, _paths(parts[1] if len(parts) > 1 else ""))


@dataclass(frozen=True, order=True)
class FsGrant(_Table):
    """`PluginFsGrant`: an absolute root and the operations allowed below it."""

    KIND: ClassVar[str] = "fs"

    root: str = ""
    operations: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.root} {','.join(self.operations)}"

    @property
    def spec(self) -> str:
        """The `KIND=VALUE` text `parse_grant` reads back."""
        return f"fs={self.root}:{','.join(self.operations)}"

    @classmethod
    def parse(cls, text: str, spec: str) -> FsGrant:
        root, sep, ops = text.rpartition(":")  # operations never hold ':'; a root may
        operations = tuple(o for o in ops.split(",") if o)
        if not sep or not root.startswith("/"):
            raise _bad(spec, "an fs grant is /ABSOLUTE/ROOT:OPERATIONS")
        if not operations or any(o not in FS_OPERATIONS for o in operations):
            raise _bad(spec, f"operations must be from {', '.join(FS_OPERATIONS)}")
        return cls(root, operations)


Grant = Permission | RequestGrant | WebSocketGrant | FsGrant
_KINDS: dict[str, type] = {c.KIND: c for c in (Permission, RequestGrant, WebSocketGrant, FsGrant)}


def parse_grant(spec: str, *, revoking: bool = False) -> Grant:
    """One `KIND=VALUE` grant; UsageError (rule yoi-grant-syntax) names what is wrong. A grant
    Yoi could never match is refused (yoi-grant-unmatchable) unless `revoking`: one an earlier
    version or a hand edit wrote must still be revocable by the spec the plan shows."""
    kind, sep, value = spec.partition("=")
    cls = _KINDS.get(kind.strip())
    if not sep or cls is None:
        raise _bad(spec, f"the kind must be one of {', '.join(_KINDS)}")
    grant: Grant = cls.parse(value.strip(), spec)  # type: ignore[attr-defined]
    if not revoking and isinstance(grant, RequestGrant | WebSocketGrant):
        _matchable(spec, grant.host, grant.path_prefixes)
    return grant


def _add(items: tuple, new: Iterable) -> tuple:  # type: ignore[type-arg]
    out = list(items)
    out += [n for n in new if n not in out]
    return tuple(out)


@dataclass(frozen=True)
class GrantSet:
    """The four lists of `PluginGrantConfig` (the binding is the entry's, see yoi_enable.py)."""

    permissions: tuple[Permission, ...] = ()
    request: tuple[RequestGrant, ...] = ()
    websocket: tuple[WebSocketGrant, ...] = ()
    fs: tuple[FsGrant, ...] = ()

    def _field(self, grant: Grant) -> str:
        return "permissions" if grant.KIND == "permission" else grant.KIND

    def add(self, grants: Iterable[Grant]) -> GrantSet:
        out = self
        for g in grants:
            name = out._field(g)
            out = replace(out, **{name: _add(getattr(out, name), [g])})
        return out

    def remove(self, grants: Iterable[Grant]) -> GrantSet:
        out = self
        for g in grants:
            name = out._field(g)
            out = replace(out, **{name: tuple(x for x in getattr(out, name) if x != g)})
        return out

    def items(self) -> list[Grant]:
        return [*self.permissions, *self.request, *self.websocket, *self.fs]

    def is_empty(self) -> bool:
        return not self.items()

    def to_tables(self) -> dict[str, list[dict[str, Any]]]:
        """The four lists as the host's serde reads them."""
        return {
            "permissions": [p.to_table() for p in self.permissions],
            "request": [r.to_table() for r in self.request],
            "websocket": [w.to_table() for w in self.websocket],
            "fs": [f.to_table() for f in self.fs],
        }

    @classmethod
    def from_tables(cls, grants: Mapping[str, Any]) -> GrantSet:
        return cls(
            tuple(Permission.from_table(p) for p in grants.get("permissions", ())),
            tuple(RequestGrant.from_table(r) for r in grants.get("request", ())),
            tuple(WebSocketGrant.from_table(w) for w in grants.get("websocket", ())),
            tuple(FsGrant.from_table(f) for f in grants.get("fs", ())),
        )


def requested_grants(manifest: YoiManifest) -> GrantSet:
    """What the manifest requests: its permissions and its request and websocket targets.

    fs has no manifest targets in the host; `host_api.fs` needs an explicit `fs=` grant."""
    return GrantSet(
        tuple(dict.fromkeys(Permission.from_table(p) for p in manifest.permissions)),
        tuple(dict.fromkeys(RequestGrant.from_table(r) for r in manifest.request)),
        tuple(dict.fromkeys(WebSocketGrant.from_table(w) for w in manifest.websocket)),
    )
