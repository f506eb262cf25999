"""Yoi's plugin.toml (`PluginPackageManifest`, HareK02/yoi crates/manifest/src/plugin.rs @ b12e0785).

SKELETON: only the shape every layer relies on. The full rules (deny_unknown_fields at every
level, validate_manifest, tool input_schema keywords, permissions) are still to be written.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plugin_kit.errors import ValidationError
from plugin_kit.validators.problems import Problem

__all__ = [
    "YoiManifest",
    "yoi_manifest_problems",
    "yoi_manifest_from_doc",
    "parse_yoi_manifest",
    "yoi_semantic_problems",
    "TOOL_WORLD",
    "INSTANCE_WORLD",
]

TOOL_WORLD = "yoi:plugin/tool@1.0.0"
INSTANCE_WORLD = "yoi:plugin/instance@1.0.0"


@dataclass(frozen=True)
class YoiManifest:
    id: str
    name: str
    version: str
    description: str
    runtime_section: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    request: list[dict[str, Any]] = field(default_factory=list)
    websocket: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def runtime(self) -> str:
        return str(self.runtime_section.get("kind", ""))

    @property
    def world(self) -> str:
        return str(self.runtime_section.get("world", ""))

    def referenced_files(self) -> list[tuple[str, str]]:
        comp = self.runtime_section.get("component")
        return [("runtime.component", comp)] if isinstance(comp, str) else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "runtime": self.runtime,
            "world": self.world,
            "tools": [t.get("name") for t in self.tools],
            "permissions": list(self.permissions),
            "request": list(self.request),
            "websocket": list(self.websocket),
        }


def yoi_manifest_problems(
    data: bytes, *, place: str = "plugin.toml"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return None, [
            Problem("manifest-parse", f"not valid TOML: {exc}", file=place, phase="parse")
        ]
    out = []
    if doc.get("schema_version") != 1:
        out.append(Problem("manifest-version", "schema_version must be 1", file=place,
                           field="schema_version", phase="parse"))  # fmt: skip
    for key in ("id", "name", "version"):
        if not isinstance(doc.get(key), str):
            out.append(Problem("manifest-schema", f"{key} is required", file=place, field=key))
    return doc, out


def yoi_manifest_from_doc(doc: dict[str, Any]) -> YoiManifest:
    return YoiManifest(
        id=doc["id"],
        name=doc["name"],
        version=doc["version"],
        description=doc.get("description") or "",
        runtime_section=dict(doc.get("runtime") or {}),
        tools=[dict(t) for t in doc.get("tools", [])],
        permissions=list(doc.get("permissions", [])),
        request=[dict(r) for r in doc.get("request", [])],
        websocket=[dict(w) for w in doc.get("websocket", [])],
        raw=doc,
    )


def parse_yoi_manifest(data: bytes, *, place: str = "plugin.toml") -> YoiManifest:
    doc, problems = yoi_manifest_problems(data, place=place)
    if problems or doc is None:
        first = problems[0]
        raise ValidationError(
            f"{len(problems)} problem(s) in {place}; first: {first}",
            rule=first.rule,
            place=f"{place}:{first.field}" if first.field else place,
            hint=first.hint,
            problems=problems,
        )
    return yoi_manifest_from_doc(doc)


def yoi_semantic_problems(
    m: YoiManifest,
    *,
    packed: set[str],
    read: Callable[[str], bytes],
    exists: Callable[[str], bool] | None = None,
) -> list[Problem]:
    out = []
    for fld, path in m.referenced_files():
        if path not in packed:
            out.append(Problem("file-missing", f"{path} is not in the package", field=fld,
                               phase="semantic"))  # fmt: skip
    return out
