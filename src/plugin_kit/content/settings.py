"""Where `plugin pack` finds its settings: [package] include/exclude and [build] command.

Our own manifest carries them. A host whose plugin.toml refuses unknown keys (Yoi: every struct
of `PluginPackageManifest` is `deny_unknown_fields`, plugin.rs) gets them from the sidecar file
`plugin-kit.toml` beside plugin.toml instead, in the same shapes; the sidecar is never packed.
`Host.pack_settings` says which file it is.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.errors import ValidationError
from plugin_kit.fsio import read_bounded
from plugin_kit.hosts import Host
from plugin_kit.validators.manifest import manifest_schema
from plugin_kit.validators.models import PluginManifest
from plugin_kit.validators.paths import MANIFEST_NAME
from plugin_kit.validators.problems import Problem, field_path
from plugin_kit.validators.schemacheck import schema_errors

__all__ = ["PackSettings", "pack_settings", "read_sidecar", "sidecar_problems"]

# plugin-kit.toml holds a few patterns and a command: a larger one is not a sidecar.
SIDECAR_CAP = 64 << 10


@dataclass(frozen=True)
class PackSettings:
    include: list[str] | None = None  # None: everything
    exclude: list[str] = field(default_factory=list)
    build: list[str] | None = None  # the build command, when there is one


def _sidecar_schema() -> dict[str, Any]:
    # The same shapes as our plugin.toml's [package] and [build]: one definition, two files.
    props = manifest_schema()["properties"]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {"package": props["package"], "build": props["build"]},
    }


def sidecar_problems(data: bytes, *, place: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse and schema-check a plugin-kit.toml; every problem at once."""
    from plugin_kit.validators.compiled import sidecar_schema as compiled

    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return None, [Problem("sidecar-parse", f"not valid TOML: {exc}", file=place, phase="parse")]
    problems = [
        Problem("sidecar-schema", e.message, file=place, field=field_path(e.absolute_path),
                hint="plugin-kit.toml holds only [package] include/exclude and [build] command.")
        for e in schema_errors(doc, compiled.validate, _sidecar_schema)
    ]  # fmt: skip
    return doc, problems


def read_sidecar(path: Path) -> bytes | None:
    """The sidecar's bytes, None if there is none. It sits in a checkout: a symlink, a FIFO, a
    device or a file over SIDECAR_CAP is refused (FileRefusedError), never followed or waited on."""
    try:
        return read_bounded(path, SIDECAR_CAP, what=path.name)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValidationError(
            f"cannot read {path}: {exc.strerror}", rule="io", place=str(path)
        ) from exc


def _sidecar(root: Path, name: str) -> dict[str, Any]:
    path = root / name
    data = read_sidecar(path)
    if data is None:
        return {}  # no sidecar: pack everything, build nothing
    doc, problems = sidecar_problems(data, place=str(path))
    if problems or doc is None:
        first = problems[0]
        raise ValidationError(
            f"{len(problems)} problem(s) in {path}; first: {first}",
            rule=first.rule,
            place=f"{path}:{first.field}" if first.field else str(path),
            hint=first.hint,
            problems=problems,
        )
    return doc


def pack_settings(root: Path, manifest: PluginManifest, host: Host) -> PackSettings:
    """The include/exclude patterns and build command for `root`, from where `host` keeps them."""
    doc = (
        manifest.raw if host.pack_settings == MANIFEST_NAME else _sidecar(root, host.pack_settings)
    )
    package = doc.get("package") or {}
    build = doc.get("build")
    return PackSettings(
        include=list(package["include"]) if package.get("include") else None,
        exclude=list(package.get("exclude", [])),
        build=list(build["command"]) if build else None,
    )
