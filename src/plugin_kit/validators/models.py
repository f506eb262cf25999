"""One manifest model per host: parse, schema-check and check plugin.toml against its files.

The table at the bottom is the only place in the validators layer that maps a host to code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from plugin_kit.hosts import INSOMNIA, YOI, Host
from plugin_kit.validators.problems import Problem

__all__ = ["PluginManifest", "ManifestModel", "manifest_model"]


class PluginManifest(Protocol):
    """What every layer above may ask of a parsed manifest, whatever its host."""

    id: str
    version: str
    description: str
    raw: dict[str, Any]

    @property
    def runtime(self) -> str: ...

    def referenced_files(self) -> list[tuple[str, str]]: ...

    def to_dict(self) -> dict[str, Any]: ...


SemanticCheck = Callable[..., list[Problem]]
"""(manifest, *, packed: set[str], read: Callable[[str], bytes], exists=None) -> problems"""


@dataclass(frozen=True)
class ManifestModel:
    host: Host
    problems: Callable[..., tuple[dict[str, Any] | None, list[Problem]]]  # (data, *, place)
    from_doc: Callable[[dict[str, Any]], PluginManifest]
    parse: Callable[..., PluginManifest]  # (data, *, place) -> manifest, raises ValidationError
    semantic_problems: SemanticCheck  # errors only
    warnings: SemanticCheck  # what the host accepts but will not run as the author expects


def _insomnia() -> ManifestModel:
    from plugin_kit.validators import manifest, semantic

    return ManifestModel(
        INSOMNIA,
        manifest.manifest_problems,
        manifest.manifest_from_doc,
        manifest.parse_manifest,
        semantic.semantic_problems,
        semantic.manifest_warnings,  # limit, licence and readme warnings: content/project.py
    )


def _yoi() -> ManifestModel:
    from plugin_kit.validators import yoi_manifest

    return ManifestModel(
        YOI,
        yoi_manifest.yoi_manifest_problems,
        yoi_manifest.yoi_manifest_from_doc,
        yoi_manifest.parse_yoi_manifest,
        yoi_manifest.yoi_semantic_problems,
        yoi_manifest.yoi_manifest_warnings,
    )


_MODELS: dict[str, Callable[[], ManifestModel]] = {INSOMNIA.name: _insomnia, YOI.name: _yoi}


def manifest_model(host: Host) -> ManifestModel:
    return _MODELS[host.name]()
