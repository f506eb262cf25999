"""Yoi's own status words for packages and enablement entries, computed the host's way.

Read from HareK02/yoi @ b12e0785 and followed step by step, so a host written in Python sees
what `yoi plugin list` shows:
- crates/manifest/src/plugin.rs `resolve_enabled_plugins`: per `[[plugins.enabled]]` entry, in
  this order, a source-qualified id, exactly one discovered package, the digest pin, the exact
  version, `PluginGrantConfig::binding_error`, then the selected surfaces;
- crates/worker/src/feature/plugin.rs `inspect_resolved_plugin_static`: runtime, host APIs
  (`authorize_plugin_host_api`), request and websocket targets against grants
  (`request_target_covers`, `request_targets_intersect`, ...), tools, services, ingresses;
- crates/yoi/src/plugin_cli.rs `snapshot_from_resolution` and `ItemBuilder::finish`: active,
  disabled, missing, rejected, partial.
The manifests given here passed our strict reader, which already refuses what the host's
`validate_plugin_tool_definition` reports (tool names, input schemas, duplicates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.installer.yoi_grants import GrantSet, Permission, RequestGrant, WebSocketGrant
from plugin_kit.validators.yoi_manifest import (
    COMPONENT_KIND,
    INSTANCE_WORLD,
    REQUEST_METHODS,
    WORLDS,
    YoiManifest,
    is_safe_id,
)

__all__ = [
    "STATUSES",
    "YoiStorePackage",
    "YoiPluginStatus",
    "declared_surfaces",
    "enabled_entries",
    "plugins_switch_on",
    "grant_binding_error",
    "yoi_statuses",
]

STATUSES = ("active", "disabled", "missing", "rejected", "partial")
SURFACE_ORDER = ("hook", "tool", "service", "ingress", "wasm")  # PluginSurface's Ord
SOURCES = ("user", "project", "builtin")  # PluginSourceKind


@dataclass(frozen=True)
class YoiStorePackage:
    """A package a store holds: what discovery hands to resolution."""

    source: str  # "user" | "project"
    manifest: YoiManifest
    digest: str  # "sha256:<hex>", the host's deterministic digest
    path: Path | None = None

    @property
    def reference(self) -> str:
        return f"{self.source}:{self.manifest.id}"


@dataclass(frozen=True)
class YoiPluginStatus:
    reference: str  # "user:example.echo"
    status: str  # one of STATUSES
    reasons: tuple[str, ...] = ()  # the host's diagnostic messages, in its order
    configured: bool = False
    discovered: bool = False
    version: str | None = None
    digest: str | None = None
    enabled_surfaces: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "status": self.status,
            "reasons": list(self.reasons),
            "configured": self.configured,
            "discovered": self.discovered,
            "version": self.version,
            "digest": self.digest,
            "enabled_surfaces": list(self.enabled_surfaces),
        }


def declared_surfaces(m: YoiManifest) -> tuple[str, ...]:
    """plugin.rs `declared_surfaces`: the listed ones plus those implied by hooks, tools, ..."""
    found = set(m.surfaces)
    implied = {"hook": m.hooks, "tool": m.tools, "service": m.services, "ingress": m.ingresses}
    found |= {name for name, items in implied.items() if items}
    if m.runtime_section:
        found.add("wasm")
    return tuple(s for s in SURFACE_ORDER if s in found)


def enabled_entries(profile: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A Profile's `[[plugins.enabled]]` tables."""
    plugins = profile.get("plugins")
    enabled = plugins.get("enabled") if isinstance(plugins, Mapping) else None
    return [e for e in enabled or [] if isinstance(e, Mapping)]


def plugins_switch_on(profile: Mapping[str, Any]) -> bool:
    """config.rs `FeatureConfigPartial.plugins`: `[feature.plugins] enabled = true`."""
    feature = profile.get("feature")
    flag = feature.get("plugins") if isinstance(feature, Mapping) else None
    return isinstance(flag, Mapping) and flag.get("enabled") is True


def _parse_id(value: str) -> tuple[str, str] | None:
    """plugin.rs `SourceQualifiedPluginId::parse`."""
    source, sep, local = value.partition(":")
    if not sep or source not in SOURCES or ":" in local or not is_safe_id(local):
        return None
    return source, local


def _digest_matches(expected: str, actual: str) -> bool:
    """plugin.rs `digest_matches`: `sha256:` and the same hex, case and all."""
    return expected.startswith("sha256:") and actual.startswith("sha256:") and expected == actual


def grant_binding_error(
    grants: Mapping[str, Any], reference: str, digest: str, version: str
) -> str | None:
    """plugin.rs `PluginGrantConfig::binding_error`, with its messages."""
    if GrantSet.from_tables(grants).is_empty():
        return None
    gid = grants.get("id")
    if gid is None:
        return "plugin grant is missing a source-qualified package id binding"
    if _parse_id(gid) is None:
        return "plugin grant package id binding is not a valid source-qualified plugin id"
    if gid != reference:
        return "plugin grant package id binding does not match enabled package"
    if grants.get("digest") is None:
        return "plugin grant is missing a deterministic digest binding"
    if not _digest_matches(grants["digest"], digest):
        return "plugin grant digest binding does not match enabled package digest"
    if grants.get("version") is None:
        return "plugin grant is missing an exact package version binding"
    if grants["version"] != version:
        return "plugin grant version binding does not match enabled package version"
    return None


def _resolve_entry(
    entry: Mapping[str, Any], found: list[YoiStorePackage]
) -> tuple[list[str], tuple[str, ...] | None]:
    """`resolve_enabled_plugins` for one entry: (diagnostics, enabled surfaces if resolved)."""
    if not found:
        return ["enabled plugin package was not discovered"], None
    if len(found) > 1:
        return ["enabled plugin package identity resolved to multiple discovered packages"], None
    pkg = found[0]
    if entry.get("digest") is not None and not _digest_matches(entry["digest"], pkg.digest):
        return ["enabled plugin digest pin does not match discovered package digest"], None
    if entry.get("version") is not None and entry["version"] != pkg.manifest.version:
        return ["enabled plugin exact version requirement does not match discovered package version"], None  # fmt: skip
    grants = entry.get("grants") or {}
    if err := grant_binding_error(grants, pkg.reference, pkg.digest, pkg.manifest.version):
        return [err], None
    declared = declared_surfaces(pkg.manifest)
    selected = set(entry.get("surfaces") or declared)
    for surface in SURFACE_ORDER:
        if surface in selected and surface not in declared:
            return [f"enabled plugin requested undeclared surface `{surface}`"], None
    return [], tuple(s for s in SURFACE_ORDER if s in selected)


# --- coverage of request/websocket targets (feature/plugin.rs) -------------------------------


def _host(h: str) -> str:
    """`normalize_host_literal`."""
    return h.rstrip(".").lstrip("[").rstrip("]").lower()


def _meets(a: str, b: str, norm: Any, covers: bool) -> bool:
    a, b = norm(a), norm(b)
    if not a or not b:
        return False
    return a == "*" or a == b or (not covers and b == "*")


def _scheme(s: str) -> str:
    return s.strip().lower()


def _port(a: int | None, b: int | None, covers: bool) -> bool:
    if covers:  # `request_port_covers(a, b)`
        return a is None or a == b
    return a is None or b is None or a == b


def _methods(a: Sequence[str], b: Sequence[str], covers: bool) -> bool:
    if not a or not b:
        return False

    def same(x: str, y: str) -> bool:  # `eq_ignore_ascii_case` after `trim`
        return x.strip().lower() == y.strip().lower()

    if covers:  # every covered method is among the covering ones
        return all(any(same(x, y) for x in a) for y in b)
    return any(same(x, y) for x in a for y in b)


def _paths(a: Sequence[str], b: Sequence[str], covers: bool) -> bool:
    if covers:  # `request_paths_cover(a, b)`
        if not a:
            return True
        return bool(b) and all(y and any(x and y.startswith(x) for x in a) for y in b)
    return (
        not a
        or not b
        or any(x and y and (x.startswith(y) or y.startswith(x)) for x in a for y in b)
    )


def _target_match(a: Any, b: Any, covers: bool) -> bool:
    """`request_target_covers(a, b)` / `request_targets_intersect(a, b)` and the websocket ones."""
    ok = (
        _meets(a.scheme, b.scheme, _scheme, covers)
        and _meets(a.host, b.host, _host, covers)
        and _port(a.port, b.port, covers)
        and _paths(a.path_prefixes, b.path_prefixes, covers)
    )
    if isinstance(a, RequestGrant):
        ok = ok and _methods(a.methods, b.methods, covers)
    return ok


@dataclass
class _Inspection:
    """What `inspect_resolved_plugin_static` finds, reduced to what `finish` reads."""

    diagnostics: list[str] = field(default_factory=list)
    runtime_ok: bool = True
    apis_ok: bool = True  # every host API line eligible and without a diagnostic
    apis_eligible: bool = True
    tools: list[tuple[bool, bool]] = field(default_factory=list)  # (eligible, has diagnostic)
    others_eligible: bool = True  # services and ingresses

    def api(self, eligible: bool, diagnostic: str | None) -> None:
        self.apis_eligible &= eligible
        self.apis_ok &= eligible and diagnostic is None
        if diagnostic:
            self.diagnostics.append(diagnostic)


def _targets(ins: _Inspection, kind: str, declared: Sequence[Any], granted: Sequence[Any]) -> None:
    """`append_request_target_inspection` / `append_websocket_target_inspection`."""
    for target in declared:
        covering = next((g for g in granted if _target_match(g, target, True)), None)
        granted_any = covering is not None or any(_target_match(target, g, False) for g in granted)
        diag = None
        if not granted_any:
            diag = f"missing enabled {kind} grant for manifest target" + ("; broad/arbitrary target" if target.broad else "")  # fmt: skip
        elif covering is None:
            diag = f"partially covered by enabled {kind} grant; " + (
                "broad manifest target is constrained by narrower grants" if target.broad
                else "only intersecting URLs are allowed"
            )  # fmt: skip
        elif covering.broad:
            diag = f"covered by broad/arbitrary enabled {kind} grant"
        ins.api(granted_any, diag)
    for grant in granted:
        match = next((t for t in declared if _target_match(t, grant, False)), None)
        if match is None:
            broad = "; broad/arbitrary target" if grant.broad else ""
            ins.api(False, f"enabled {kind} grant has no matching manifest declaration{broad}")
        elif grant.broad:
            ins.api(
                True,
                f"broad/arbitrary enabled {kind} grant is constrained by manifest declarations",
            )
        elif not _target_match(match, grant, True):
            ins.api(
                True,
                f"enabled {kind} grant is only usable where it intersects manifest declarations",
            )
        else:
            ins.api(True, None)


def _usable_request(targets: Sequence[RequestGrant]) -> bool:
    return any(
        t.scheme.strip()
        and t.host.strip()
        and any(m.strip().upper() in REQUEST_METHODS for m in t.methods)
        for t in targets
    )


def _usable_websocket(targets: Sequence[WebSocketGrant]) -> bool:
    return any(t.scheme.strip().lower() in ("ws", "wss", "*") and t.host.strip() for t in targets)


def _host_api_error(
    m: YoiManifest, requested: set[Permission], grants: GrantSet, api: str
) -> str | None:
    """`authorize_plugin_host_api` after the binding check."""
    perm = Permission("host_api", api)
    if perm not in requested:
        return f"requested host_api.{api} permission is missing"
    if perm not in grants.permissions:
        return f"granted host_api.{api} permission is missing"
    if api == "fs":
        usable = any(f.root.strip() and f.root.startswith("/") and f.operations for f in grants.fs)
        return None if usable else "granted host_api.fs scope allowlist is missing"
    cls, usable_any = (
        (RequestGrant, _usable_request) if api == "request" else (WebSocketGrant, _usable_websocket)
    )
    if not usable_any([cls.from_table(t) for t in getattr(m, api)]):
        return f"manifest host_api.{api} target declaration is missing"
    return (
        None if usable_any(getattr(grants, api)) else f"enabled host_api.{api} grants are missing"
    )


def _require(
    perms: set[Permission] | Sequence[Permission], want: Permission, msg: str
) -> list[str]:
    return [] if want in perms else [msg]


def _tool_errors(
    requested: set[Permission], grants: GrantSet, tool: Mapping[str, Any]
) -> list[str]:
    """`authorize_plugin_tool` (first failure only, as the host returns early)."""
    name = tool["name"]

    def allows(perms: Sequence[Permission] | set[Permission]) -> bool:
        return any(
            (p.kind == "tool" and p.value == name)
            or (p.kind == "tool_namespace" and p.value and name.startswith(p.value))
            for p in perms
        )

    checks = [
        _require(
            requested,
            Permission("surface", "tool"),
            "requested surfaces.tool permission is missing",
        ),
        _require(
            grants.permissions,
            Permission("surface", "tool"),
            "granted surfaces.tool permission is missing",
        ),
        [] if allows(requested) else [f"requested tool permission for `{name}` is missing"],
        [] if allows(grants.permissions) else [f"granted tool permission for `{name}` is missing"],
    ]
    if tool.get("external_write"):
        ew = Permission("external_write")
        checks.append(_require(requested, ew, "requested external_write permission is missing"))
        checks.append(
            _require(grants.permissions, ew, "granted external_write permission is missing")
        )
    return next((c for c in checks if c), [])


def _surface_errors(
    m: YoiManifest, requested: set[Permission], grants: GrantSet, kind: str, name: str
) -> list[str]:
    """`authorize_plugin_service` / `authorize_plugin_ingress`, plus the instance-world check."""
    out = [] if m.world == INSTANCE_WORLD else [f"{kind} requires instance-capable component world"]
    surface, perm = Permission("surface", kind), Permission(kind, name)
    checks = [
        _require(requested, surface, f"requested surfaces.{kind} permission is missing"),
        _require(grants.permissions, surface, f"granted surfaces.{kind} permission is missing"),
        _require(requested, perm, f"requested {kind} permission for `{name}` is missing"),
        _require(grants.permissions, perm, f"granted {kind} permission for `{name}` is missing"),
    ]
    return out + next((c for c in checks if c), [])


def _runtime_problem(m: YoiManifest) -> str | None:
    """The runtime part of `inspect_resolved_plugin_static`, with its messages."""
    kind = m.runtime_section.get("kind")
    if kind is None:
        return "plugin runtime is not declared"
    if kind == COMPONENT_KIND:
        ok = m.world in WORLDS and m.component is not None
        return None if ok else "unsupported or missing plugin component world"
    if kind == "wasm":
        return "legacy raw wasm plugin runtime is not an active execution path; use wasm-component"
    return f"unsupported plugin runtime kind `{kind}`"


def _inspect(m: YoiManifest, grants: GrantSet, surfaces: tuple[str, ...]) -> _Inspection:
    ins = _Inspection()
    if problem := _runtime_problem(m):
        ins.runtime_ok = False
        ins.diagnostics.append(problem)
    requested = {Permission.from_table(p) for p in m.permissions}
    for api in ("request", "websocket", "fs"):
        perm = Permission("host_api", api)
        if perm in requested or perm in grants.permissions:
            ins.api(
                *((False, e) if (e := _host_api_error(m, requested, grants, api)) else (True, None))
            )
    _targets(ins, "request", [RequestGrant.from_table(t) for t in m.request], grants.request)
    _targets(
        ins, "WebSocket", [WebSocketGrant.from_table(t) for t in m.websocket], grants.websocket
    )
    if "tool" in surfaces:
        for tool in m.tools:
            errs = _tool_errors(requested, grants, tool)
            ins.tools.append((not errs, bool(errs)))
            ins.diagnostics += errs
    for kind, items in (("service", m.services), ("ingress", m.ingresses)):
        if kind in surfaces:
            for item in items:
                errs = _surface_errors(m, requested, grants, kind, item["name"])
                ins.others_eligible &= not errs
                ins.diagnostics += errs
    return ins


def _resolved_status(ins: _Inspection, surfaces: tuple[str, ...]) -> str:
    """`ItemBuilder::finish` for a resolved item."""
    usable_tool = any(eligible for eligible, _ in ins.tools)
    rejected_tool = any(not eligible or diag for eligible, diag in ins.tools)
    has_diagnostic = bool(ins.diagnostics) or rejected_tool or not ins.runtime_ok or not ins.apis_ok
    eligible = ins.runtime_ok and ins.apis_eligible and not rejected_tool and ins.others_eligible
    if usable_tool and has_diagnostic:
        return "partial"
    if usable_tool or (eligible and surfaces):
        return "active"
    return "rejected"


def _entry_status(entry: Mapping[str, Any], packages: Sequence[YoiStorePackage]) -> YoiPluginStatus:
    ref = str(entry.get("id", ""))
    parsed = _parse_id(ref)
    if parsed is None:
        why = ("plugin enablement id must be source-qualified as user:<id>, project:<id>, or builtin:<id>"
               if ":" not in ref else "plugin enablement id is not a valid source-qualified plugin id")  # fmt: skip
        return YoiPluginStatus(ref, "rejected", (why,), configured=True)
    found = [p for p in packages if p.reference == ref]
    diags, surfaces = _resolve_entry(entry, found)
    pkg = found[0] if found else None
    facts = {"version": pkg.manifest.version, "digest": pkg.digest} if pkg else {}
    if not found:
        return YoiPluginStatus(ref, "missing", tuple(diags), configured=True)
    if surfaces is None:
        return YoiPluginStatus(ref, "rejected", tuple(diags), True, True, **facts)
    assert pkg is not None
    ins = _inspect(pkg.manifest, GrantSet.from_tables(entry.get("grants") or {}), surfaces)
    status = _resolved_status(ins, surfaces)
    reasons = tuple(sorted(ins.diagnostics))  # `finish` sorts them
    return YoiPluginStatus(ref, status, reasons, True, True, enabled_surfaces=surfaces, **facts)


def yoi_statuses(
    entries: Sequence[Mapping[str, Any]],
    packages: Sequence[YoiStorePackage],
    refused: Mapping[str, str] | None = None,
) -> list[YoiPluginStatus]:
    """One status per reference, as `yoi plugin list` shows them, sorted by reference.

    `entries` are the Profile's `[[plugins.enabled]]` tables; `packages` what the stores hold;
    `refused` maps the reference of a store file the strict reader refused (`project:<file
    stem>`) to why: the host lists such a file `rejected`, enabled or not. Several entries for
    one reference each resolve; the host lists one item, and here the last entry's outcome
    is shown unless an earlier one was rejected."""
    out: dict[str, YoiPluginStatus] = {}
    for entry in entries:
        status = _entry_status(entry, packages)
        previous = out.get(status.reference)
        if previous is None or previous.status != "rejected":
            out[status.reference] = status
    for pkg in packages:
        disabled = YoiPluginStatus(
            pkg.reference, "disabled", (), False, True, pkg.manifest.version, pkg.digest
        )
        out.setdefault(pkg.reference, disabled)
    for ref, why in (refused or {}).items():
        configured = ref in out and out[ref].configured
        out[ref] = YoiPluginStatus(ref, "rejected", (why,), configured=configured)
    return [out[k] for k in sorted(out)]
