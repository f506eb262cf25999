"""A test-side reader of Yoi Profiles that applies the host's rules as its code states them.

Written from HareK02/yoi @ b12e0785, independently of plugin_kit's writer (it reads with tomllib
and json only):
- crates/manifest/src/profile.rs: `read_profile_artifact_file` (.toml or .json),
  `reject_manifest_shaped_profile` (`manifest`, `config`, `worker`, `scope.allow`, `scope.deny`),
  `ProfileConfig` (deny_unknown_fields: the keys in PROFILE_KEYS), `load_profile_registry_file`
  and `ProfileRegistryDocument` / `ProfileEntryConfig`;
- crates/manifest/src/config.rs: `FeatureConfigPartial.plugins: Option<FeatureFlagConfigPartial>`
  (a table whose `enabled` is a bool);
- crates/manifest/src/plugin.rs: `PluginConfig`, `PluginEnablementConfig`, `PluginGrantConfig`,
  `PluginPermission` (tagged by `kind`), `PluginRequestGrant`, `PluginWebSocketGrant`,
  `PluginFsGrant`, `PluginFsOperation`, `PluginSurface` (all deny_unknown_fields),
  `SourceQualifiedPluginId::parse`, `is_safe_id`, `digest_matches` and `binding_error`.
Beyond serde, `check_pinned_entry` asks what our writer promises: a source-qualified id, an exact
version and a `sha256:<64 hex>` digest on every entry, and grants bound to the package.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

PROFILE_KEYS = {
    "slug", "description", "model", "engine", "scope", "delegation_scope", "session",
    "permissions", "feature", "plugins", "mcp", "compaction", "web", "memory", "skills",
}  # fmt: skip
SURFACES = {"hook", "tool", "service", "ingress", "wasm"}
HOST_APIS = {"request", "websocket", "fs"}
FS_OPERATIONS = {"read", "list", "write"}
PERMISSION_FIELDS = {
    "surface": {"surface"},
    "tool": {"name"},
    "tool_namespace": {"namespace"},
    "service": {"name"},
    "ingress": {"name"},
    "external_write": set(),
    "host_api": {"api"},
}
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class HostRefused(Exception):
    """What the host would refuse, with the rule (a short id) and where."""

    def __init__(self, rule: str, where: str, message: str = "") -> None:
        super().__init__(f"[{rule}] {where}: {message}")
        self.rule = rule
        self.where = where


def _keys(table: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise HostRefused("type", where, "must be a table")
    for key in table:
        if key not in allowed:
            raise HostRefused("unknown-field", f"{where}.{key}", "deny_unknown_fields")
    return table


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise HostRefused("type", where, "must be a string")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise HostRefused("type", where, "must be an array")
    return [_string(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _port(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise HostRefused("type", where, "must be a u16")


def check_permission(p: Any, where: str) -> None:
    if not isinstance(p, dict) or "kind" not in p:
        raise HostRefused("missing-field", f"{where}.kind", "permissions are tagged by kind")
    kind = p["kind"]
    if kind not in PERMISSION_FIELDS:
        raise HostRefused("permission-kind", f"{where}.kind", f"unknown variant {kind!r}")
    fields = PERMISSION_FIELDS[kind]
    if fields:  # a unit variant ignores other keys; struct variants deny them
        _keys(p, fields | {"kind"}, where)
    for f in fields:
        if f not in p:
            raise HostRefused("missing-field", f"{where}.{f}")
        _string(p[f], f"{where}.{f}")
    if kind == "surface" and p["surface"] not in SURFACES:
        raise HostRefused("surface-enum", f"{where}.surface")
    if kind == "host_api" and p["api"] not in HOST_APIS:
        raise HostRefused("host-api-enum", f"{where}.api")


def _check_target(t: Any, where: str, *, methods: bool) -> None:
    fields = {"scheme", "host", "port", "path_prefixes"} | ({"methods"} if methods else set())
    _keys(t, fields, where)
    for key in ("scheme", "host"):
        if key in t:
            _string(t[key], f"{where}.{key}")
    if "port" in t:
        _port(t["port"], f"{where}.port")
    for key in ("methods", "path_prefixes"):
        if key in t:
            _strings(t[key], f"{where}.{key}")


def _check_fs(f: Any, where: str) -> None:
    _keys(f, {"root", "operations"}, where)
    if "root" in f:
        _string(f["root"], f"{where}.root")
    for i, op in enumerate(_strings(f.get("operations", []), f"{where}.operations")):
        if op not in FS_OPERATIONS:
            raise HostRefused("fs-operation", f"{where}.operations[{i}]")


def check_grants(g: Any, where: str) -> None:
    _keys(g, {"id", "version", "digest", "permissions", "request", "websocket", "fs"}, where)
    for key in ("id", "version", "digest"):
        if key in g:
            _string(g[key], f"{where}.{key}")
    for i, p in enumerate(g.get("permissions", [])):
        check_permission(p, f"{where}.permissions[{i}]")
    for i, t in enumerate(g.get("request", [])):
        _check_target(t, f"{where}.request[{i}]", methods=True)
    for i, t in enumerate(g.get("websocket", [])):
        _check_target(t, f"{where}.websocket[{i}]", methods=False)
    for i, f in enumerate(g.get("fs", [])):
        _check_fs(f, f"{where}.fs[{i}]")


def check_entry(e: Any, where: str) -> None:
    """`PluginEnablementConfig` as serde reads it."""
    _keys(e, {"id", "version", "digest", "surfaces", "grants", "config"}, where)
    for key in ("id", "version", "digest"):
        if key in e:
            _string(e[key], f"{where}.{key}")
    for i, s in enumerate(_strings(e.get("surfaces", []), f"{where}.surfaces")):
        if s not in SURFACES:
            raise HostRefused("surface-enum", f"{where}.surfaces[{i}]")
    check_grants(e.get("grants", {}), f"{where}.grants")


def parse_qualified_id(value: str) -> tuple[str, str] | None:
    """`SourceQualifiedPluginId::parse`."""
    source, sep, local = value.partition(":")
    ok = sep and source in ("user", "project", "builtin") and ":" not in local
    ok = (
        ok
        and bool(SAFE_ID.fullmatch(local))
        and not local.startswith(".")
        and not local.endswith(".")
    )
    return (source, local) if ok else None


def binding_error(g: dict[str, Any], reference: str, digest: str, version: str) -> str | None:
    """`PluginGrantConfig::binding_error`: the rule ids of its checks, in its order."""
    if not any(g.get(k) for k in ("permissions", "request", "websocket", "fs")):
        return None
    if "id" not in g:
        return "grant-id-missing"
    if parse_qualified_id(g["id"]) is None:
        return "grant-id-invalid"
    if g["id"] != reference:
        return "grant-id-mismatch"
    if "digest" not in g:
        return "grant-digest-missing"
    if not (g["digest"].startswith("sha256:") and g["digest"] == digest):
        return "grant-digest-mismatch"
    if "version" not in g:
        return "grant-version-missing"
    if g["version"] != version:
        return "grant-version-mismatch"
    return None


def check_pinned_entry(e: dict[str, Any], where: str) -> None:
    """What our writer promises on top of serde: every pin present, grants bound to it."""
    for key in ("id", "version", "digest"):
        if key not in e:
            raise HostRefused("missing-field", f"{where}.{key}")
    if parse_qualified_id(e["id"]) is None:
        raise HostRefused("id-not-qualified", f"{where}.id")
    if not DIGEST.fullmatch(e["digest"]):
        raise HostRefused("digest-form", f"{where}.digest")
    grants = e.get("grants", {})
    for key in ("id", "version", "digest") if grants else ():  # no grants table: nothing to bind
        if key not in grants:
            raise HostRefused(f"grant-{key}-missing", f"{where}.grants.{key}")
    err = binding_error(grants, e["id"], e["digest"], e["version"])
    if err:
        raise HostRefused(err, f"{where}.grants")


def check_profile(doc: Any) -> dict[str, Any]:
    """A Profile artifact as `resolve_profile_value` accepts it; returns it."""
    if not isinstance(doc, dict):
        raise HostRefused("type", "profile", "a Profile artifact must be an object")
    for key in ("manifest", "config", "worker"):
        if key in doc:
            raise HostRefused("manifest-shaped", key)
    scope = doc.get("scope")
    if isinstance(scope, dict) and {"allow", "deny"} & set(scope):
        raise HostRefused("manifest-shaped", "scope")
    _keys(doc, PROFILE_KEYS, "profile")
    feature = doc.get("feature", {})
    if not isinstance(feature, dict):
        raise HostRefused("type", "feature")
    if "plugins" in feature:
        flag = feature["plugins"]
        if not isinstance(flag, dict):
            raise HostRefused("feature-switch-form", "feature.plugins", "must be a table")
        if "enabled" in flag and not isinstance(flag["enabled"], bool):
            raise HostRefused("feature-switch-form", "feature.plugins.enabled")
    plugins = _keys(doc.get("plugins", {}), {"enabled", "resolved", "diagnostics"}, "plugins")
    enabled = plugins.get("enabled", [])
    if not isinstance(enabled, list):
        raise HostRefused("type", "plugins.enabled", "must be an array")
    for i, e in enumerate(enabled):
        check_entry(e, f"plugins.enabled[{i}]")
        check_pinned_entry(e, f"plugins.enabled[{i}]")
    return doc


def read_profile(path: Path) -> dict[str, Any]:
    """`read_profile_artifact_file`, then `check_profile`."""
    text = path.read_text("utf-8")
    if path.suffix == ".toml":
        return check_profile(tomllib.loads(text))
    if path.suffix == ".json":
        return check_profile(json.loads(text))
    raise HostRefused("profile-type", str(path))


def read_registry(path: Path) -> dict[str, Path]:
    """`load_profile_registry_file`: user Profile name -> artifact path; plus `default`."""
    doc = tomllib.loads(path.read_text("utf-8"))
    out: dict[str, Path] = {}
    for name, value in doc.get("profile", doc.get("entries", {})).items():
        raw = value["path"] if isinstance(value, dict) else value
        out[name] = path.parent / _string(raw, f"profile.{name}")
    return out


def switch_on(doc: dict[str, Any]) -> bool:
    return doc.get("feature", {}).get("plugins", {}).get("enabled") is True
