"""plugin.toml: parse, check against the shipped JSON Schema, and expose a typed Manifest."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from plugin_kit.errors import ValidationError
from plugin_kit.links import docs_url
from plugin_kit.validators.problems import Problem, field_path, problems_error, schema_message
from plugin_kit.validators.schemacheck import schema_errors

__all__ = [
    "Manifest",
    "parse_manifest",
    "load_manifest",
    "manifest_problems",
    "manifest_schema",
    "manifest_from_doc",
]

MANIFEST_VERSION = 1
RUNTIME_KEYS = {"wasm": "module", "hooks": "file", "mcp": "command"}


@dataclass(frozen=True)
class Manifest:
    id: str
    version: str
    api: str
    runtime: str
    description: str
    license: str
    display_name: str = ""
    authors: list[str] = field(default_factory=list)
    repository: str = ""
    keywords: list[str] = field(default_factory=list)
    runtime_section: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    capabilities: dict[str, Any] = field(default_factory=dict)
    package: dict[str, Any] = field(default_factory=dict)
    build: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def archive_name(self) -> str:
        return f"{self.id}-{self.version}.insomnia-plugin"

    def referenced_files(self) -> list[tuple[str, str]]:
        """(field path, member path) of every file the manifest points at."""
        refs: list[tuple[str, str]] = []
        for key in ("module", "file"):
            if isinstance(self.runtime_section.get(key), str):
                refs.append((f"runtime.{key}", self.runtime_section[key]))
        for i, tool in enumerate(self.tools):
            if "input_schema" in tool:
                refs.append((f"tools[{i}].input_schema", tool["input_schema"]))
        for i, hook in enumerate(self.hooks):
            refs.append((f"hooks[{i}].file", hook["file"]))
        if "schema" in self.config:
            refs.append(("config.schema", self.config["schema"]))
        return refs

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "api": self.api,
            "runtime": self.runtime,
            "display_name": self.display_name,
            "description": self.description,
            "license": self.license,
            "tools": [t["name"] for t in self.tools],
            "hooks": [h["event"] for h in self.hooks],
            "capabilities": self.capabilities,
        }


@lru_cache(maxsize=1)
def manifest_schema() -> dict[str, Any]:
    from importlib.resources import files

    text = files("plugin_kit.validators").joinpath("schemas/plugin.schema.json").read_text("utf-8")
    return json.loads(text)


def _decode(data: bytes, place: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        return tomllib.loads(data.decode("utf-8")), []
    except UnicodeDecodeError as exc:
        msg = f"not valid UTF-8 at byte {exc.start}"
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        return None, [
            Problem("manifest-parse", f"not valid TOML: {exc}", file=place, phase="parse",
                    hint="Fix the TOML syntax at the line and column shown.",
                    line=int(at[1]) if at else None, column=int(at[2]) if at else None)
        ]  # fmt: skip
    return None, [
        Problem("manifest-parse", msg, file=place, phase="parse", hint="Fix the TOML syntax.")
    ]


def _schema_problems(doc: dict[str, Any], place: str) -> list[Problem]:
    from plugin_kit.validators.compiled import plugin_schema

    out = []
    for err in schema_errors(doc, plugin_schema.validate, manifest_schema):
        out.append(
            Problem(
                "manifest-schema",
                schema_message(err),
                file=place,
                field=field_path(err.absolute_path),
                phase="schema",
                hint=f"See {docs_url('format.md', '1. The manifest: plugin.toml')} for the allowed keys and values.",
            )
        )
    return out


def manifest_problems(
    data: bytes, *, place: str = "plugin.toml"
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse and schema-check; return the document (when it parsed) and every problem found."""
    doc, problems = _decode(data, place)
    if doc is None:
        return None, problems
    version = doc.get("manifest_version")
    if version != MANIFEST_VERSION:
        return doc, [
            Problem(
                "manifest-version",
                f"manifest_version {version!r} is not supported (this toolchain reads {MANIFEST_VERSION})",
                file=place,
                field="manifest_version",
                phase="parse",
                hint="Set manifest_version = 1, or upgrade insomnia-plugin-kit.",
            )
        ]
    return doc, _schema_problems(doc, place)


def manifest_from_doc(doc: dict[str, Any]) -> Manifest:
    p = doc["plugin"]
    return Manifest(
        id=p["id"],
        version=p["version"],
        api=p["api"],
        runtime=p["runtime"],
        description=p["description"],
        license=p["license"],
        display_name=p.get("display_name", ""),
        authors=list(p.get("authors", [])),
        repository=p.get("repository", ""),
        keywords=list(p.get("keywords", [])),
        runtime_section=dict(doc.get("runtime", {})),
        tools=[dict(t) for t in doc.get("tools", [])],
        hooks=[dict(h) for h in doc.get("hooks", [])],
        config=dict(doc.get("config", {})),
        capabilities=dict(doc.get("capabilities", {})),
        package=dict(doc.get("package", {})),
        build=dict(doc["build"]) if "build" in doc else None,
        raw=doc,
    )


def parse_manifest(data: bytes, *, place: str = "plugin.toml") -> Manifest:
    """Parse and schema-check plugin.toml bytes; raise ValidationError listing every problem."""
    doc, problems = manifest_problems(data, place=place)
    if problems or doc is None:
        raise problems_error(problems, place)
    return manifest_from_doc(doc)


def load_manifest(project_dir: Path) -> Manifest:
    path = Path(project_dir) / "plugin.toml"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"cannot read {path}: {exc.strerror}",
            rule="manifest-missing",
            place=str(path),
            hint="Run `create-plugin` to scaffold a plugin, or pass the plugin's folder.",
        ) from exc
    return parse_manifest(data, place=str(path))
