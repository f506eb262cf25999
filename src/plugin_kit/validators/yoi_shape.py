"""The shape of Yoi's plugin.toml as the host's serde structs accept it: fields, types, enums.

Read from HareK02/yoi crates/manifest/src/plugin.rs @ b12e0785: `PluginPackageManifest` and the
structs under it are all `#[serde(deny_unknown_fields)]`, so a key the host does not know is an
error at any level. Fields that are `Option<T>`, `Vec<T>` or `#[serde(default)]` may be left out;
the others are required. `PluginPermission` is tagged by `kind` (snake_case variant names); its
unit variant `external_write` ignores any other key (serde's internally tagged unit visitor).

`shape_problems` walks a parsed TOML document against this table and reports every mismatch,
with the field path, as (rule, path, message, hint) tuples; it never stops at the first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from plugin_kit.links import docs_url

__all__ = ["SURFACES", "HOST_APIS", "PERMISSION_KINDS", "Issue", "shape_problems", "render_path"]

SURFACES = ("hook", "tool", "service", "ingress", "wasm")  # PluginSurface
HOST_APIS = ("request", "websocket", "fs")  # PluginHostApi

Issue = tuple[str, str, str, str]  # (rule, field path, message, hint)


@dataclass(frozen=True)
class Scalar:
    kind: str  # "string" | "bool" | "any"
    label: str


@dataclass(frozen=True)
class Int:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Enum:
    values: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class Table:
    title: str  # how people see the table: "[runtime]", "a [[tools]] entry"
    fields: dict[str, Any]
    required: frozenset[str] = field(default_factory=frozenset)
    ignore_unknown: bool = False  # serde's internally tagged unit variant skips other keys


@dataclass(frozen=True)
class Tagged:
    tag: str
    variants: dict[str, Table]


STRING = Scalar("string", "a string")
BOOL = Scalar("bool", "true or false")
ANY = Scalar("any", "any value")
STRINGS = ListOf(STRING)


def _table(title: str, required: tuple[str, ...], **fields: Any) -> Table:
    return Table(title, fields, frozenset(required))


RUNTIME = _table(
    "[runtime]", ("kind",), kind=STRING, entry=STRING, abi=STRING, component=STRING, world=STRING
)
HOOK = _table("a [[hooks]] entry", ("id", "file"), id=STRING, file=STRING)
TOOL = _table(
    "a [[tools]] entry",
    ("name", "description", "input_schema"),
    name=STRING,
    description=STRING,
    input_schema=ANY,
    external_write=BOOL,
)
SERVICE = _table(
    "a [[services]] entry",
    ("name", "description"),
    name=STRING,
    description=STRING,
    lifecycle=STRING,
    status_schema=ANY,
    side_effects=STRINGS,
)
INGRESS = _table(
    "an [[ingresses]] entry",
    ("name", "description"),
    name=STRING,
    description=STRING,
    event_kinds=STRINGS,
    input_schema=ANY,
    sources=STRINGS,
    side_effects=STRINGS,
)
PORT = Int(0, 65535, "a port number from 0 to 65535")
REQUEST = _table(  # PluginRequestGrant: #[serde(default)], so every field may be left out
    "a [[request]] entry",
    (),
    scheme=STRING,
    host=STRING,
    port=PORT,
    methods=STRINGS,
    path_prefixes=STRINGS,
)
WEBSOCKET = _table(
    "a [[websocket]] entry", (), scheme=STRING, host=STRING, port=PORT, path_prefixes=STRINGS
)
PERMISSION = Tagged(
    "kind",
    {
        "surface": _table(
            "a `surface` permission",
            ("surface",),
            surface=Enum(SURFACES, "a surface"),
        ),
        "tool": _table("a `tool` permission", ("name",), name=STRING),
        "tool_namespace": _table("a `tool_namespace` permission", ("namespace",), namespace=STRING),
        "service": _table("a `service` permission", ("name",), name=STRING),
        "ingress": _table("an `ingress` permission", ("name",), name=STRING),
        "external_write": Table("an `external_write` permission", {}, ignore_unknown=True),
        "host_api": _table("a `host_api` permission", ("api",), api=Enum(HOST_APIS, "a host API")),
    },
)
PERMISSION_KINDS = tuple(PERMISSION.variants)

MANIFEST = _table(
    "plugin.toml",
    ("schema_version", "id", "name", "version"),
    schema_version=Int(0, 2**32 - 1, "an integer"),
    id=STRING,
    name=STRING,
    version=STRING,
    description=STRING,
    surfaces=ListOf(Enum(SURFACES, "a surface")),
    runtime=RUNTIME,
    hooks=ListOf(HOOK),
    tools=ListOf(TOOL),
    services=ListOf(SERVICE),
    ingresses=ListOf(INGRESS),
    permissions=ListOf(PERMISSION),
    request=ListOf(REQUEST),
    websocket=ListOf(WEBSOCKET),
)

_FIX = f"See {docs_url('format.md', 'Yoi plugin.toml')} for every field the host reads."
_SIDECAR_KEYS = {"package", "build"}  # ours in an Insomnia plugin.toml; Yoi keeps them aside


def render_path(path: tuple[str | int, ...]) -> str:
    """`("tools", 0, "input_schema")` -> `tools[0].input_schema`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _what(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, dt.date | dt.time):
        return "a date or time"
    return type(value).__name__


def _type_issue(path: tuple[str | int, ...], want: str, value: Any) -> Issue:
    where = render_path(path)
    return ("manifest-type", where, f"`{where}` must be {want}, not {_what(value)}.", _FIX)


def _check(value: Any, spec: Any, path: tuple[str | int, ...]) -> list[Issue]:
    if isinstance(spec, Table):
        return _check_table(value, spec, path)
    if isinstance(spec, Tagged):
        return _check_tagged(value, spec, path)
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [_type_issue(path, "an array", value)]
        return [i for n, item in enumerate(value) for i in _check(item, spec.item, (*path, n))]
    if isinstance(spec, Int):
        if isinstance(value, bool) or not isinstance(value, int):
            return [_type_issue(path, spec.label, value)]
        if not spec.low <= value <= spec.high:
            where = render_path(path)
            return [("manifest-type", where, f"`{where}` must be {spec.label}; {value} is out of range.", _FIX)]  # fmt: skip
        return []
    if isinstance(spec, Enum):
        if not isinstance(value, str):
            return [_type_issue(path, f"{spec.label} (a string)", value)]
        if value not in spec.values:
            where = render_path(path)
            return [("manifest-enum", where,
                     f"`{where}` is {value!r}, which is not {spec.label} the host knows; use one of: {', '.join(spec.values)}.",
                     _FIX)]  # fmt: skip
        return []
    if spec.kind == "string" and not isinstance(value, str):
        return [_type_issue(path, spec.label, value)]
    if spec.kind == "bool" and not isinstance(value, bool):
        return [_type_issue(path, spec.label, value)]
    return []


def _check_table(
    value: Any, spec: Table, path: tuple[str | int, ...], skip: str = ""
) -> list[Issue]:
    if not isinstance(value, dict):
        return [_type_issue(path, f"a table ({spec.title})", value)]
    out: list[Issue] = []
    for key in sorted(spec.required - set(value)):
        where = render_path((*path, key))
        out.append(("manifest-missing-field", where, f"`{key}` is required in {spec.title}.", _FIX))
    for key, item in value.items():
        if key == skip:
            continue
        if key in spec.fields:
            out.extend(_check(item, spec.fields[key], (*path, key)))
        elif not spec.ignore_unknown:
            out.append(_unknown(spec, key, (*path, key), not path))
    return out


def _unknown(spec: Table, key: str, path: tuple[str | int, ...], top: bool) -> Issue:
    where = render_path(path)
    allowed = ", ".join(spec.fields) or "no other key"
    msg = f"`{key}` is not a field of {spec.title}; the host refuses unknown fields. Allowed: {allowed}."
    hint = _FIX
    if top and key in _SIDECAR_KEYS:
        hint = f"Move [{key}] into plugin-kit.toml beside plugin.toml; it is never packed."
    return ("manifest-unknown-field", where, msg, hint)


def _check_tagged(value: Any, spec: Tagged, path: tuple[str | int, ...]) -> list[Issue]:
    if not isinstance(value, dict):
        return [_type_issue(path, "a table with a `kind` key", value)]
    tag = value.get(spec.tag)
    where = render_path((*path, spec.tag))
    if spec.tag not in value:
        return [("manifest-missing-field", where, f"`{spec.tag}` is required in each permission.", _FIX)]  # fmt: skip
    if not isinstance(tag, str):
        return [_type_issue((*path, spec.tag), "a string", tag)]
    if tag not in spec.variants:
        return [("manifest-enum", where,
                 f"`{where}` is {tag!r}, which is not a permission kind the host knows; use one of: "
                 f"{', '.join(spec.variants)}.", _FIX)]  # fmt: skip
    return _check_table(value, spec.variants[tag], path, skip=spec.tag)


def shape_problems(doc: dict[str, Any]) -> list[Issue]:
    """Every place where `doc` does not have the shape the host's serde structs accept."""
    return _check_table(doc, MANIFEST, ())
