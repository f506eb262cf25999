"""Yoi's plugin.toml (`PluginPackageManifest`, HareK02/yoi crates/manifest/src/plugin.rs @ b12e0785).

Three phases, each reporting every problem at once with its field path:
1. parse: UTF-8 and TOML, with line and column;
2. shape (validators/yoi_shape.py): what the host's serde structs accept (deny_unknown_fields at
   every level, required fields, types, enum names);
3. rules: what `validate_manifest` checks after parsing (schema_version, `is_safe_id`, non-empty
   name and version, runtime kind/world/component, service and ingress need the instance world,
   paths as `normalize_archive_path` reads them), plus what the host checks when it registers the
   plugin and what `yoi plugin check` reports (crates/worker/src/feature/plugin.rs:
   `validate_tool_name`, `validate_input_schema`, duplicate tool names, the permission requests
   `authorize_plugin_tool|service|ingress|host_api` require).
Against the package's files (semantic phase): referenced files present, and warnings for what the
host accepts but will not run (a placeholder component, targets that match nothing, grants needed).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from plugin_kit.links import docs_url
from plugin_kit.textsafe import visible
from plugin_kit.validators.hostpaths import yoi_name_violation
from plugin_kit.validators.problems import Problem, Severity, problems_error
from plugin_kit.validators.versions import VersionRangeError, parse_version
from plugin_kit.validators.yoi_input_schema import input_schema_problems
from plugin_kit.validators.yoi_shape import Issue, shape_problems
from plugin_kit.validators.yoi_url import prefix_as_parsed

__all__ = [
    "YoiManifest",
    "yoi_manifest_problems",
    "yoi_manifest_from_doc",
    "parse_yoi_manifest",
    "yoi_semantic_problems",
    "yoi_manifest_warnings",
    "is_safe_id",
    "archive_path_ok",
    "TOOL_WORLD",
    "INSTANCE_WORLD",
    "COMPONENT_KIND",
    "SCHEMA_VERSION",
]

SCHEMA_VERSION = 1  # SUPPORTED_PLUGIN_API_VERSION
COMPONENT_KIND = "wasm-component"  # PLUGIN_RUNTIME_COMPONENT_KIND
RETIRED_KIND = "wasm"  # LEGACY_PLUGIN_RUNTIME_WASM_KIND
TOOL_WORLD = "yoi:plugin/tool@1.0.0"
INSTANCE_WORLD = "yoi:plugin/instance@1.0.0"
WORLDS = {TOOL_WORLD: "tool", INSTANCE_WORLD: "instance"}
REQUEST_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # PLUGIN_REQUEST_ALLOWED_METHODS
REQUEST_SCHEMES = ("http", "https", "*")
WEBSOCKET_SCHEMES = ("ws", "wss", "*")

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_DOCS = f"See {docs_url('format.md', 'Yoi plugin.toml')}."


@dataclass(frozen=True)
class YoiManifest:
    id: str
    name: str
    version: str
    description: str
    schema_version: int = SCHEMA_VERSION
    surfaces: list[str] = field(default_factory=list)
    runtime_section: dict[str, Any] = field(default_factory=dict)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    ingresses: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(default_factory=list)  # tables, as written
    request: list[dict[str, Any]] = field(default_factory=list)
    websocket: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def runtime(self) -> str:
        """The component world's short name ("tool" | "instance", hosts.YOI.runtime_kinds), or ""."""
        return WORLDS.get(self.world, "")

    @property
    def world(self) -> str:
        return str(self.runtime_section.get("world", ""))

    @property
    def component(self) -> str | None:
        comp = self.runtime_section.get("component")
        return comp if isinstance(comp, str) else None

    @property
    def permission_labels(self) -> list[str]:
        """Each permission as the host labels it (`PluginPermission::label`): `host_api.request`, ..."""
        return [_label(p) for p in self.permissions]

    @property
    def host_apis(self) -> set[str]:
        """The host APIs requested: a subset of {"request", "websocket", "fs"}."""
        return {p["api"] for p in self.permissions if p.get("kind") == "host_api"}

    def referenced_files(self) -> list[tuple[str, str]]:
        """(field path, package path) of every file the host looks up: the component and hook files."""
        refs = [("runtime.component", self.component)] if self.component is not None else []
        refs += [(f"hooks[{i}].file", h["file"]) for i, h in enumerate(self.hooks)]
        return refs

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "runtime": self.runtime,
            "world": self.world,
            "component": self.component,
            "surfaces": list(self.surfaces),
            "tools": [t["name"] for t in self.tools],
            "services": [s["name"] for s in self.services],
            "ingresses": [i["name"] for i in self.ingresses],
            "hooks": [h["id"] for h in self.hooks],
            "permissions": self.permission_labels,
            "request": [dict(r) for r in self.request],
            "websocket": [dict(w) for w in self.websocket],
        }


def _label(p: dict[str, Any]) -> str:
    kind = p.get("kind", "")
    value = {"surface": "surface", "tool": "name", "tool_namespace": "namespace", "service": "name",
             "ingress": "name", "host_api": "api"}.get(kind)  # fmt: skip
    prefix = "surfaces" if kind == "surface" else kind
    return f"{prefix}.{p.get(value, '')}" if value else kind


# --- helpers shared with the rules ----------------------------------------------------------


def is_safe_id(value: str) -> bool:
    """plugin.rs `is_safe_id`: 1..128 bytes of [A-Za-z0-9._-], not starting or ending with '.'."""
    return bool(_SAFE_ID.fullmatch(value)) and not value.startswith(".") and not value.endswith(".")


def archive_path_ok(raw: str) -> bool:
    """plugin.rs `normalize_archive_path` accepts `raw` unchanged (hostpaths.yoi_name_violation:
    no `/`, `\\`, `~`, drive, `.`, `..`, empty part), and `raw` holds no control character."""
    # Control characters: the host would look up a name no packed file can have (paths.py).
    return yoi_name_violation(raw) is None and not any(c < " " for c in raw)


def _problem(rule: str, where: str, message: str, hint: str = _DOCS, *, place: str,
             phase: str = "schema", severity: Severity = "error") -> Problem:  # fmt: skip
    message = message[:1].upper() + message[1:]  # a sentence, whatever the sub-check wrote
    return Problem(
        rule, message, file=place, field=where, phase=phase, hint=hint, severity=severity
    )


def _tables(doc: dict[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, entry) of the array of tables `key`, skipping what the shape phase already refused."""
    items = doc.get(key)
    if isinstance(items, list):
        yield from ((i, t) for i, t in enumerate(items) if isinstance(t, dict))


def _str(table: dict[str, Any], key: str) -> str | None:
    value = table.get(key)
    return value if isinstance(value, str) else None


# --- parse ---------------------------------------------------------------------------------


_AT = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$")
_AT_END = " (at end of document)"


def _position(message: str, text: str) -> tuple[str, int, int]:
    """(what, line, column) of a tomllib error; "at end of document" is the last line's end."""
    if m := _AT.match(message):
        return m.group(1), int(m.group(2)), int(m.group(3))
    lines = text.split("\n")
    return message.removesuffix(_AT_END), len(lines), len(lines[-1]) + 1


def _parse(data: bytes, place: str) -> tuple[dict[str, Any] | None, Problem | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        msg = f"`plugin.toml` must be UTF-8; the byte at line {line}, column {col} is not."
        return None, _problem(
            "manifest-parse", "", msg, "Save the file as UTF-8.", place=place, phase="parse"
        )
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        what, line, col = _position(str(exc), text)
        where = f" at line {line}, column {col}"
        msg = f"`plugin.toml` is not valid TOML{where}: {what[:1].lower()}{what[1:]}."
        return None, _problem(
            "manifest-parse", "", msg, "Fix the TOML syntax there.", place=place, phase="parse"
        )


# --- rules after the shape ------------------------------------------------------------------


def _identity_problems(doc: dict[str, Any], place: str) -> list[Problem]:
    out = []
    ver = doc.get("schema_version")
    if isinstance(ver, int) and not isinstance(ver, bool) and ver != SCHEMA_VERSION:
        out.append(_problem("manifest-version", "schema_version",
                            f"`schema_version = {ver}` is not supported; the host reads schema_version = {SCHEMA_VERSION}.",
                            "Set schema_version = 1.", place=place))  # fmt: skip
    pid = _str(doc, "id")
    if pid is not None and not is_safe_id(pid):
        out.append(_unsafe("id", pid, "the plugin id", place))
    for key in ("name", "version"):
        value = _str(doc, key)
        if value is not None and not value.strip():
            out.append(_problem("manifest-empty", key, f"`{key}` must not be empty or blank.",
                                f"Give the plugin a {key}.", place=place))  # fmt: skip
    return out


_PROSE = str.maketrans("", "", "\n\t")  # a description may run over several lines


def _control_problem(where: str, value: str, *, prose: bool, place: str) -> Problem | None:
    """Ours, beyond the host: text we show (inspect, list) holds nothing a terminal acts on
    (textsafe.visible's characters; the schema's $defs line and prose say the same)."""
    checked = value.translate(_PROSE) if prose else value
    if visible(checked) == checked:
        return None
    bad = next(c for c in checked if visible(c) != c)
    return _problem("text-control", where,
                    f"`{where}` holds the character {visible(bad)}, which a terminal acts on "
                    "(a control, bidi or line-separator character).",
                    "Remove it: plugin-kit refuses such characters in text it shows, although the "
                    f"host accepts them ({docs_url('security.md')}).", place=place)  # fmt: skip


def _text_problems(doc: dict[str, Any], place: str) -> list[Problem]:
    found = [_control_problem(k, v, prose=False, place=place)
             for k in ("name", "version", "description") if (v := _str(doc, k)) is not None]  # fmt: skip
    for key in ("tools", "services", "ingresses"):
        for i, table in _tables(doc, key):
            if (value := _str(table, "description")) is not None:
                found.append(
                    _control_problem(f"{key}[{i}].description", value, prose=True, place=place)
                )
    return [p for p in found if p is not None]


def _unsafe(where: str, value: str, what: str, place: str) -> Problem:
    return _problem("id-unsafe", where,
                    f"{what} {value!r} is not a safe id: use 1 to 128 characters from A-Z a-z 0-9 . _ -, "
                    "not starting or ending with a dot.", "Rename it.", place=place)  # fmt: skip


def _runtime_problems(doc: dict[str, Any], place: str) -> list[Problem]:
    rt = doc.get("runtime")
    if not isinstance(rt, dict) or not isinstance(rt.get("kind"), str):
        return []
    kind = rt["kind"]
    if kind == RETIRED_KIND:
        return [_problem("runtime-retired", "runtime.kind",
                         '`kind = "wasm"` (raw core WebAssembly, abi "yoi-plugin-wasm-1") is retired and the host refuses it.',
                         f'Build a component and write kind = "{COMPONENT_KIND}", component = "<file>.wasm" '
                         f'and world = "{TOOL_WORLD}" (or "{INSTANCE_WORLD}").', place=place)]  # fmt: skip
    if kind != COMPONENT_KIND:
        return [_problem("runtime-kind", "runtime.kind",
                         f'runtime kind {kind!r} is not supported; the host runs kind = "{COMPONENT_KIND}" only.',
                         f'Write kind = "{COMPONENT_KIND}".', place=place)]  # fmt: skip
    out = [
        _problem("runtime-abi", f"runtime.{key}",
                 f"a {COMPONENT_KIND} runtime must not declare `{key}` (raw WebAssembly metadata).",
                 f"Remove `{key}`.", place=place)
        for key in ("abi", "entry") if key in rt
    ]  # fmt: skip
    world = rt.get("world")
    if isinstance(world, str | type(None)) and world not in WORLDS:
        said = f"world {world!r} is not supported" if world is not None else "`world` is missing"
        out.append(_problem("runtime-world", "runtime.world",
                            f"{said}; the host runs the worlds {TOOL_WORLD} and {INSTANCE_WORLD}.",
                            f'Write world = "{TOOL_WORLD}" (tools only) or "{INSTANCE_WORLD}" (services, ingresses).',
                            place=place))  # fmt: skip
    comp = rt.get("component")
    if comp is None:
        out.append(_problem("runtime-component", "runtime.component",
                            "a component runtime needs `component`, the path of the .wasm component in the package.",
                            'Write component = "plugin.component.wasm".', place=place))  # fmt: skip
    elif isinstance(comp, str) and not archive_path_ok(comp):
        out.append(_path_problem("runtime.component", comp, place))
    return out


def _path_problem(where: str, raw: str, place: str) -> Problem:
    return _problem("manifest-path", where,
                    f"the path {raw!r} is not one the host accepts: write it relative to the package root, "
                    "with / between parts, and no empty, '.' or '..' part, backslash, leading / or ~, or drive letter.",
                    "Write a plain relative path such as dir/file.", place=place)  # fmt: skip


def _surface_problems(doc: dict[str, Any], place: str) -> list[Problem]:
    out = []
    rt = doc.get("runtime")
    instance = (
        isinstance(rt, dict)
        and rt.get("kind") == COMPONENT_KIND
        and rt.get("world") == INSTANCE_WORLD
    )
    for key, what in (("services", "service"), ("ingresses", "ingress")):
        entries = list(_tables(doc, key))
        if entries and not instance:
            out.append(_problem("surface-world", key,
                                f"[[{key}]] need the {INSTANCE_WORLD} component world.",
                                f'Write world = "{INSTANCE_WORLD}" in [runtime].', place=place))  # fmt: skip
        for i, entry in entries:
            name = _str(entry, "name")
            if name is not None and not is_safe_id(name):
                out.append(_unsafe(f"{key}[{i}].name", name, f"the {what} name", place))
    for i, hook in _tables(doc, "hooks"):
        hid, hfile = _str(hook, "id"), _str(hook, "file")
        if hid is not None and not is_safe_id(hid):
            out.append(_unsafe(f"hooks[{i}].id", hid, "the hook id", place))
        if hfile is not None and not archive_path_ok(hfile):
            out.append(_path_problem(f"hooks[{i}].file", hfile, place))
    if "runtime" not in doc and any(
        list(_tables(doc, k)) for k in ("tools", "services", "ingresses")
    ):
        out.append(_problem("runtime-missing", "runtime",
                            "tools, services and ingresses run in a component, but there is no [runtime].",
                            f'Add [runtime] with kind = "{COMPONENT_KIND}", component and world.', place=place))  # fmt: skip
    return out


def _tool_name_problem(name: str) -> str | None:
    """worker plugin.rs `validate_tool_name`."""
    if not name:
        return "a tool name must not be empty."
    if len(name.encode("utf-8")) > 128:
        return "a tool name must be at most 128 bytes."
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in name):
        return "a tool name must not contain whitespace or control characters."
    return None


def _tool_problems(doc: dict[str, Any], place: str) -> list[Problem]:
    out, seen = [], set()
    for i, tool in _tables(doc, "tools"):
        name = _str(tool, "name")
        if name is not None:
            why = _tool_name_problem(name)
            if why:
                out.append(
                    _problem("tool-name", f"tools[{i}].name", why, "Rename the tool.", place=place)
                )
            if name in seen:
                out.append(_problem("tool-duplicate", f"tools[{i}].name", f"tool {name!r} is declared twice.",
                                    "Give each tool its own name.", place=place))  # fmt: skip
            seen.add(name)
        if "input_schema" in tool:
            for where, why in input_schema_problems(
                tool["input_schema"], f"tools[{i}].input_schema"
            ):
                out.append(_problem("tool-schema", where, why[:1].upper() + why[1:],
                                    "The host registers tools whose input_schema uses only the keywords "
                                    f"in {docs_url('format.md', 'Yoi plugin.toml')}.", place=place))  # fmt: skip
    return out


def _permissions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for _, p in _tables(doc, "permissions")]


def _has(perms: list[dict[str, Any]], kind: str, key: str = "", value: str = "") -> bool:
    return any(p.get("kind") == kind and (not key or p.get(key) == value) for p in perms)


def _missing(where: str, perm: str, why: str, place: str) -> Problem:
    return _problem("permission-missing", where,
                    f"{why} needs the permission request {perm} in `permissions`; without it the host never registers it.",
                    f"Add {perm} to permissions.", place=place)  # fmt: skip


def _permission_problems(doc: dict[str, Any], place: str) -> list[Problem]:
    perms, out = _permissions(doc), []
    for key, surface, what in (("tools", "tool", "tool"), ("services", "service", "service"),
                               ("ingresses", "ingress", "ingress")):  # fmt: skip
        entries = list(_tables(doc, key))
        if entries and not _has(perms, "surface", "surface", surface):
            out.append(
                _missing(key, f'{{ kind = "surface", surface = "{surface}" }}', f"[[{key}]]", place)
            )
        for i, entry in entries:
            name = _str(entry, "name")
            if name is None:
                continue
            if what == "tool":
                covered = _has(perms, "tool", "name", name) or any(
                    p.get("kind") == "tool_namespace" and isinstance(p.get("namespace"), str)
                    and p["namespace"] and name.startswith(p["namespace"]) for p in perms
                )  # fmt: skip
                if entry.get("external_write") is True and not _has(perms, "external_write"):
                    out.append(_missing(f"tools[{i}].external_write", '{ kind = "external_write" }',
                                        f"tool {name!r} declares external_write, which", place))  # fmt: skip
            else:
                covered = _has(perms, what, "name", name)
            if not covered:
                perm = f'{{ kind = "{what}", name = "{name}" }}'
                out.append(_missing(f"{key}[{i}]", perm, f"{what} {name!r}", place))
    out += _target_problems(doc, perms, place)
    return out


def _request_usable(t: dict[str, Any]) -> bool:
    """worker plugin.rs `has_declared_request_target` for one target."""
    methods = t.get("methods") if isinstance(t.get("methods"), list) else []
    return (bool(str(t.get("scheme", "")).strip()) and bool(str(t.get("host", "")).strip())
            and any(isinstance(m, str) and m.strip().upper() in REQUEST_METHODS for m in methods))  # fmt: skip


def _websocket_usable(t: dict[str, Any]) -> bool:
    """worker plugin.rs `has_declared_websocket_target` for one target."""
    return (str(t.get("scheme", "")).strip().lower() in WEBSOCKET_SCHEMES
            and bool(str(t.get("host", "")).strip()))  # fmt: skip


def _target_problems(doc: dict[str, Any], perms: list[dict[str, Any]], place: str) -> list[Problem]:
    out = []
    for api, usable, example in (
        (
            "request",
            _request_usable,
            'scheme = "https", host = "api.example.com", methods = ["GET"]',
        ),
        ("websocket", _websocket_usable, 'scheme = "wss", host = "example.com"'),
    ):
        if _has(perms, "host_api", "api", api) and not any(usable(t) for _, t in _tables(doc, api)):
            out.append(_problem(f"{api}-target-missing", api,
                                f"`host_api.{api}` is requested but no [[{api}]] target could ever match, "
                                "so the host refuses every call.",
                                f"Declare a target: [[{api}]] {example}.", place=place))  # fmt: skip
    return out


def _rule_problems(doc: dict[str, Any], place: str) -> list[Problem]:
    return [
        *_identity_problems(doc, place),
        *_text_problems(doc, place),
        *_runtime_problems(doc, place),
        *_surface_problems(doc, place),
        *_tool_problems(doc, place),
        *_permission_problems(doc, place),
    ]


def _shape(issue: Issue, place: str) -> Problem:
    rule, where, message, hint = issue
    return _problem(rule, where, message, hint, place=place)


def yoi_manifest_problems(
    data: bytes, *, place: str = "plugin.toml"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse plugin.toml and return the document (when it parsed) and every problem the host would report."""
    doc, bad = _parse(data, place)
    if doc is None:
        return None, [bad] if bad else []
    return doc, [*(_shape(i, place) for i in shape_problems(doc)), *_rule_problems(doc, place)]


def yoi_manifest_from_doc(doc: dict[str, Any]) -> YoiManifest:
    """The typed manifest of a document that passed `yoi_manifest_problems`."""
    return YoiManifest(
        id=doc["id"],
        name=doc["name"],
        version=doc["version"],
        description=doc.get("description") or "",
        schema_version=doc["schema_version"],
        surfaces=list(doc.get("surfaces", [])),
        runtime_section=dict(doc.get("runtime") or {}),
        hooks=[dict(h) for h in doc.get("hooks", [])],
        tools=[dict(t) for t in doc.get("tools", [])],
        services=[dict(s) for s in doc.get("services", [])],
        ingresses=[dict(i) for i in doc.get("ingresses", [])],
        permissions=[dict(p) for p in doc.get("permissions", [])],
        request=[dict(r) for r in doc.get("request", [])],
        websocket=[dict(w) for w in doc.get("websocket", [])],
        raw=doc,
    )


def parse_yoi_manifest(data: bytes, *, place: str = "plugin.toml") -> YoiManifest:
    """Parse and check plugin.toml bytes; raise ValidationError listing every problem."""
    doc, problems = yoi_manifest_problems(data, place=place)
    if problems or doc is None:
        raise problems_error(problems, place)
    return yoi_manifest_from_doc(doc)


# --- against the package's files --------------------------------------------------------------


def yoi_semantic_problems(
    m: YoiManifest,
    *,
    packed: set[str],
    read: Callable[[str], bytes],
    exists: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """Errors only: every file the manifest references must be in the package (`validate_manifest_path`)."""
    out = []
    for where, path in m.referenced_files():
        if path in packed or not archive_path_ok(path):  # a bad path was reported with the manifest
            continue
        if exists is not None and exists(path):
            msg, hint = (
                f"{path!r} exists but is not packed.",
                "Include it (plugin-kit.toml [package].include).",
            )
        else:
            msg, hint = (
                f"{path!r} is not in the package; the host refuses a manifest that references a missing file.",
                ("Build the file or fix the path."),
            )
        out.append(
            _problem("file-missing", where, msg, hint, place="plugin.toml", phase="semantic")
        )
    return out


def yoi_manifest_warnings(
    m: YoiManifest,
    *,
    packed: set[str],
    read: Callable[[str], bytes],
    exists: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """Warnings: what the host loads but will not run as the author expects."""
    return [
        *_runtime_warnings(m),
        *_target_warnings(m),
        *_grant_warnings(m),
        *_permission_warnings(m),
        *_ingress_warnings(m),
        *_version_warnings(m),
    ]


def _warn(rule: str, where: str, message: str, hint: str, file: str = "plugin.toml") -> Problem:
    return _problem(rule, where, message, hint, place=file, phase="semantic", severity="warning")


def _runtime_warnings(m: YoiManifest) -> list[Problem]:
    if m.runtime_section or m.tools or m.services or m.ingresses:
        return []
    return [_warn("runtime-missing", "runtime",
                  "there is no [runtime]: the host loads this package as metadata only and `yoi plugin check` "
                  "reports it as rejected (hooks in packages are not loaded by the host yet).",
                  f'Add [runtime] kind = "{COMPONENT_KIND}" with a component, or ignore this for a metadata-only package.')]  # fmt: skip


def _target_warnings(m: YoiManifest) -> list[Problem]:
    out = []
    for i, t in enumerate(m.request):
        scheme = str(t.get("scheme", "")).strip().lower()
        methods = [str(x).strip().upper() for x in t.get("methods", [])]
        if not _request_usable(t) or scheme not in REQUEST_SCHEMES:
            out.append(_warn("request-target-unusable", f"request[{i}]",
                             "this request target can never match: it needs scheme http, https or *, a host, "
                             f"and at least one of the methods {', '.join(REQUEST_METHODS)}.",
                             'Write e.g. scheme = "https", host = "api.example.com", methods = ["GET"].'))  # fmt: skip
        elif bad := [x for x in methods if x not in REQUEST_METHODS]:
            out.append(_warn("request-target-unusable", f"request[{i}].methods",
                             f"the host never allows the method(s) {', '.join(bad)}; it allows {', '.join(REQUEST_METHODS)}.",
                             "Remove them."))  # fmt: skip
        out += _prefix_warnings(t, f"request[{i}]")
    for i, t in enumerate(m.websocket):
        if not _websocket_usable(t):
            out.append(_warn("websocket-target-unusable", f"websocket[{i}]",
                             "this WebSocket target can never match: it needs scheme ws, wss or *, and a host.",
                             'Write e.g. scheme = "wss", host = "example.com".'))  # fmt: skip
        out += _prefix_warnings(t, f"websocket[{i}]")
    return out


def _prefix_warnings(t: dict[str, Any], where: str) -> list[Problem]:
    prefixes = t.get("path_prefixes", [])
    bad = [p for p in prefixes if not p.startswith("/")]
    if bad:
        return [_warn("target-path-prefix", f"{where}.path_prefixes",
                      f"path prefixes are compared with the URL path, which starts with '/'; {bad[0]!r} never matches.",
                      "Start each prefix with '/'.")]  # fmt: skip
    # the host compares the prefix as written with the parsed path (yoi_url.py)
    for prefix in prefixes:
        parsed = prefix_as_parsed(prefix)
        if parsed is not None:
            return [_warn("target-path-prefix", f"{where}.path_prefixes",
                          f"path prefixes are compared with the URL path as Yoi parses it (non-ASCII and "
                          f"spaces percent-encoded, '.' and '..' resolved); {prefix!r} never matches.",
                          f"Write it as {parsed!r}.")]  # fmt: skip
    return []


def _grant_warnings(m: YoiManifest) -> list[Problem]:
    apis = sorted(
        m.host_apis
        | ({"request"} if m.request else set())
        | ({"websocket"} if m.websocket else set())
    )
    if not apis:
        return []
    return [_warn("grant-needed", "permissions",
                  f"`host_api.{'`, `host_api.'.join(apis)}` run only with matching grants in the enablement "
                  "([[plugins.enabled]] grants); `yoi plugin check` grants none, so it reports this package as rejected.",
                  "Expected for a plugin that calls host APIs: grant them when you enable it.")]  # fmt: skip


def _permission_warnings(m: YoiManifest) -> list[Problem]:
    out = []
    for i, p in enumerate(m.permissions):
        if p.get("kind") == "external_write" and len(p) > 1:
            extra = ", ".join(sorted(set(p) - {"kind"}))
            out.append(_warn("permission-ignored-field", f"permissions[{i}]",
                             f"the host ignores {extra} in an external_write permission.", "Remove them."))  # fmt: skip
    for api in ("request", "websocket"):
        if getattr(m, api) and api not in m.host_apis:
            out.append(_warn("host-api-unrequested", api,
                             f"[[{api}]] targets are declared but host_api.{api} is not requested, so they are never used.",
                             f'Add {{ kind = "host_api", api = "{api}" }} to permissions.'))  # fmt: skip
    return out


def _ingress_warnings(m: YoiManifest) -> list[Problem]:
    out = []
    for i, ing in enumerate(m.ingresses):
        for j, src in enumerate(ing.get("sources", [])):
            raw = src.strip()
            raw = raw[len("websocket:") :].strip() if raw.startswith("websocket:") else raw
            if not raw.startswith(("ws:", "wss:")) and not src.strip().startswith("websocket:"):
                continue  # not a WebSocket source: the host passes it through
            parts = urlsplit(raw)
            if parts.scheme not in ("ws", "wss") or not parts.hostname:
                out.append(_warn("ingress-source", f"ingresses[{i}].sources[{j}]",
                                 f"{src!r} is not a ws:// or wss:// URL with a host, so the host cannot connect it.",
                                 'Write "websocket:wss://host/path".'))  # fmt: skip
    return out


def _version_warnings(m: YoiManifest) -> list[Problem]:
    try:
        parse_version(m.version)  # the semver library: catalogs and upgrades order by it
    except VersionRangeError:
        pass
    else:
        return []
    return [_warn("version-semver", "version",
                  f"version {m.version!r} is not SemVer; the host compares versions as exact strings, "
                  "but catalogs and upgrades order versions by SemVer.", "Use a version such as 1.2.3.")]  # fmt: skip
