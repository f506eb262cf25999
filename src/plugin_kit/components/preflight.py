"""Pre-flight of a Yoi component: would Yoi start it? Read, never run; warn in words an author can act on.

Each rule mirrors a refusal of Yoi's runtime (HareK02/yoi @ b12e0785,
`crates/worker/src/feature/plugin.rs`): `Component::new` ("component is incompatible"),
`validate_component_imports` and `authorize_plugin_host_api` (imports and the manifest's
permissions and targets), the `get_typed_func` lookups of the world's exports, and
`wasm_component_store_limits` (instances, tables, memories, memory size, table elements), which
fail at instantiation. `yoi plugin check` calls a text placeholder "partial"; so do we.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.components.binary import ComponentFormatError, ComponentInfo, read_component
from plugin_kit.components.runtime import HOST_APIS, WORLD_EXPORTS, YOI_LIMITS, RuntimeLimits
from plugin_kit.hosts import YOI
from plugin_kit.validators.problems import Problem

__all__ = ["PreflightReport", "preflight", "preflight_file", "PREFLIGHT_RULES"]

PREFLIGHT_RULES = (
    "component-placeholder",
    "component-core-module",
    "component-malformed",
    "component-unread",
    "component-world",
    "component-export-missing",
    "component-export-type",
    "component-import-unknown",
    "component-import-permission",
    "component-import-targets",
    "component-limit-instances",
    "component-limit-tables",
    "component-limit-memories",
    "component-limit-memory-size",
    "component-limit-table-elements",
)


@dataclass
class PreflightReport:
    place: str  # the component's path in the package
    info: ComponentInfo | None
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.warnings

    def to_dict(self) -> dict[str, object]:
        return {
            "place": self.place,
            "ok": self.ok,
            "component": self.info.to_dict() if self.info else None,
            "warnings": [w.to_dict() for w in self.warnings],
        }


def preflight(
    data: bytes,
    manifest: Any,
    *,
    place: str = "plugin.component.wasm",
    limits: RuntimeLimits = YOI_LIMITS,
) -> PreflightReport:
    """Check component bytes against a parsed Yoi manifest (`YoiManifest`) and Yoi's limits."""
    warn = _Warner(place)
    try:
        info = read_component(data)
    except ComponentFormatError as exc:
        warn(exc.rule, exc.message, exc.hint or "")
        return PreflightReport(place, None, warn.out)
    if info.kind == "not-wasm":
        _not_wasm(warn, data, place)
    elif info.kind == "core-module":
        warn("component-core-module",
             f"{place} is a core WebAssembly module, not a component; Yoi runs only components "
             "(runtime.kind = \"wasm-component\") and refuses it as incompatible",
             "Wrap it: `wasm-tools component embed WIT_DIR --world tool module.wasm -o core.wasm` "
             f"then `wasm-tools component new core.wasm -o {place}`.")  # fmt: skip
    else:
        if info.unread:
            warn("component-unread",
                 f"the pre-flight could not read all of {place} ({info.unread}); the checks "
                 "below cover only the part before it",
                 f"See the whole world with `wasm-tools component wit {place}`.")  # fmt: skip
        _exports(warn, info, str(getattr(manifest, "world", "")), complete=not info.unread)
        _imports(warn, info, manifest)
        _limits(warn, info, limits)
    return PreflightReport(place, info, warn.out)


def preflight_file(path: Path, manifest: Any, *, place: str) -> PreflightReport | None:
    """The pre-flight of the component file at `path`; None when it cannot be read or is larger
    than Yoi loads at all (the package limits report that), so memory stays bounded."""
    try:
        if path.stat().st_size > YOI.limits.max_file_size:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return preflight(data, manifest, place=place)


class _Warner:
    def __init__(self, place: str) -> None:
        self.place, self.out = place, []  # type: list[Problem]

    def __call__(self, rule: str, message: str, hint: str) -> None:
        self.out.append(Problem(rule, message, file=self.place, field="runtime.component",
                                phase="preflight", hint=hint, severity="warning"))  # fmt: skip


def _not_wasm(warn: _Warner, data: bytes, place: str) -> None:
    head = data[:64].decode("utf-8", "replace").splitlines()
    what = (
        f"text ({head[0].strip()[:60]!r} ...)" if head and data[:1].isascii() else "not WebAssembly"
    )
    warn("component-placeholder",
         f"{place} is {what}, a placeholder rather than a built component; Yoi reports such a "
         "package as partial and will not start it",
         "Build the component (`plugin pack` runs [build] command from plugin-kit.toml first), "
         "then pack again.")  # fmt: skip


def _exports(warn: _Warner, info: ComponentInfo, world: str, *, complete: bool) -> None:
    wanted = WORLD_EXPORTS.get(world)
    if wanted is None:  # an unknown world is the manifest check's to report
        return
    have = {e.name: e for e in info.exports}
    missing = [name for name in wanted if name not in have]
    if missing and complete:
        other = next(
            (w for w, exp in WORLD_EXPORTS.items() if w != world and set(exp) <= set(have)), None
        )
        if other:
            warn("component-world",
                 f"the component exports the {other} world ({', '.join(WORLD_EXPORTS[other])}) "
                 f"but runtime.world is {world}; Yoi looks for {', '.join(missing)} and fails",
                 f"Set runtime.world = \"{other}\" in plugin.toml, or build for {world}.")  # fmt: skip
        else:
            found = ", ".join(sorted(have)) or "nothing"
            warn("component-export-missing",
                 f"the component does not export {', '.join(missing)}, which Yoi calls for the "
                 f"{world} world; it exports {found}",
                 "Export " + "; ".join(f"`{n}: {wanted[n]}`" for n in missing)
                 + " (the world's WIT is in wit/).")  # fmt: skip
    for name, sig in wanted.items():
        export = have.get(name)
        if export is None:
            continue
        if export.kind != "func" or (export.signature and not export.signature.same_shape(sig)):
            got = export.signature if export.kind == "func" else f"a {export.kind}"
            warn("component-export-type",
                 f"`{name}` is {got}, but the {world} world says `{sig}`; Yoi cannot call it",
                 f"Give `{name}` the world's type: rebuild against the WIT in wit/.")  # fmt: skip


def _imports(warn: _Warner, info: ComponentInfo, manifest: Any) -> None:
    requested = _host_apis(getattr(manifest, "permissions", []))
    for imp in info.imports:
        api = HOST_APIS.get(imp.name)
        if api is None:
            warn("component-import-unknown",
                 f"the component imports `{imp.name}`, which Yoi does not provide: it links only "
                 f"{', '.join(HOST_APIS)} (no WASI), so it refuses to start the component",
                 "Remove the import; reach files and the network only through the yoi:host "
                 "APIs. A WASI import usually means the build targeted WASI.")  # fmt: skip
            continue
        extra = [f for f in imp.functions if f not in api.functions]
        if extra:
            warn("component-import-unknown",
                 f"the component imports {', '.join(extra)} from {imp.name}, which has only "
                 f"{', '.join(api.functions)}; Yoi cannot link it",
                 "Build against the host's WIT in wit/deps/yoi-host/.")  # fmt: skip
        if api.api not in requested:
            warn("component-import-permission",
                 f"the component imports {imp.name} but plugin.toml does not request it; Yoi "
                 f"refuses to start it (\"requested host_api.{api.api} permission is missing\")",
                 f"Add {{ kind = \"host_api\", api = \"{api.api}\" }} to permissions, or drop "
                 "the import.")  # fmt: skip
        if api.targets and not getattr(manifest, api.targets, None):
            warn("component-import-targets",
                 f"the component imports {imp.name} but plugin.toml declares no "
                 f"[[{api.targets}]] targets; Yoi refuses to start it",
                 f"Add a [[{api.targets}]] entry for each endpoint it calls.")  # fmt: skip


def _host_apis(permissions: Iterable[Any]) -> set[str]:
    """The `host_api` permissions requested: tables `{kind, api}`, labels `host_api.X` or objects."""
    out = set()
    for p in permissions or ():
        if isinstance(p, dict):
            kind, api = p.get("kind"), p.get("api")
        elif isinstance(p, str):
            kind, _, api = p.partition(".")
        else:
            kind, api = getattr(p, "kind", None), getattr(p, "api", None)
        if kind == "host_api" and api:
            out.add(str(getattr(api, "value", api)))
    return out


def _limits(warn: _Warner, info: ComponentInfo, limits: RuntimeLimits) -> None:
    if info.core_instances > limits.instances:
        why = (
            " `wasm-tools component new` links a component that imports a host API as 3 (its "
            "module, an indirection table module and a fix-up module), and lowering a host "
            "import needs the module's memory before the module exists, so no component that "
            "imports a yoi:host API fits this limit today"
            if info.imports
            else ""
        )
        warn("component-limit-instances",
             f"the component instantiates {info.core_instances} core modules; Yoi allows "
             f"{limits.instances} per plugin and fails to instantiate it.{why}",
             "Keep host API calls out of the component until Yoi raises its instance limit "
             "(try it meanwhile with `plugin dev --limits relaxed`)" if info.imports
             else "Build one core module, instantiated once.")  # fmt: skip
    if len(info.tables) > limits.tables:
        warn("component-limit-tables",
             f"the component defines {len(info.tables)} tables; Yoi allows {limits.tables} and "
             "fails to instantiate it",
             "Define at most one table (Rust builds often bring a second one).")  # fmt: skip
    if len(info.memories) > limits.memories:
        warn("component-limit-memories",
             f"the component defines {len(info.memories)} memories; Yoi allows {limits.memories} "
             "and fails to instantiate it",
             "Use one linear memory.")  # fmt: skip
    for size in info.memories:
        if size > limits.memory_bytes:
            warn("component-limit-memory-size",
                 f"a memory starts at {size // 65536} pages ({size} bytes); Yoi allows "
                 f"{limits.memory_bytes} bytes per memory and fails to instantiate it",
                 f"Start with at most {limits.memory_bytes // 65536} pages of 64 KiB.")  # fmt: skip
    for elements in info.tables:
        if elements > limits.table_elements:
            warn("component-limit-table-elements",
                 f"a table starts with {elements} elements; Yoi allows {limits.table_elements} "
                 "and fails to instantiate it",
                 f"Start the table with at most {limits.table_elements} elements.")  # fmt: skip
