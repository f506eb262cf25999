"""Enablement files a workspace carries that Yoi no longer reads, and a note saying so.

Until HareK02/yoi commit c2510495 (2026-08-14, "server: derive profiles from virtual config"),
crates/manifest/src/profile.rs searched upward from the working folder for
`.yoi/override.local.toml` (a config layer; the host's plugin guide still enables plugins
there) and `.yoi/profiles.toml` (a project Profile registry). That commit removed both
searches; at b12e0785 `ProfileDiscovery::for_cwd` ignores the working folder and reads the
user's profiles.toml only. So a repository cannot enable its own plugins, however broad the
grants it writes: these files are reported, never read as enablement.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugin_kit.errors import FileRefusedError
from plugin_kit.fsio import read_bounded
from plugin_kit.installer.yoi_profiles import CONFIG_CAP
from plugin_kit.installer.yoi_status import enabled_entries

__all__ = ["WorkspaceEnablementNote", "workspace_enablement_notes"]

HOST_COMMIT = "b12e0785"
REMOVED_IN = "c2510495"
CANDIDATES = (".yoi/override.local.toml", ".yoi/profiles.toml")


@dataclass(frozen=True)
class WorkspaceEnablementNote:
    path: Path
    enables: tuple[str, ...]  # the references it tries to enable (what could be read of it)

    @property
    def message(self) -> str:
        what = (
            f"; it enables {', '.join(self.enables)}, which stay disabled" if self.enables else ""
        )
        return (
            f"Yoi does not read {self.path} (as of {HOST_COMMIT}; removed in {REMOVED_IN}): "
            f"only Profiles registered in the user's profiles.toml enable plugins{what}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "enables": list(self.enables), "message": self.message}


def _toml(path: Path) -> dict[str, Any]:
    # A file of the repository, or one its registry names: no link followed, no FIFO waited on.
    try:
        return tomllib.loads(read_bounded(path, CONFIG_CAP, what=path.name).decode("utf-8"))
    except (OSError, FileRefusedError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}  # unreadable: still reported, with nothing it enables


def _enabled_ids(doc: Mapping[str, Any]) -> list[str]:
    return [str(e["id"]) for e in enabled_entries(doc) if "id" in e]


def _registry_ids(path: Path) -> list[str]:
    """The ids the Profiles of a project registry enable (TOML Profiles only; best effort)."""
    profiles = _toml(path).get("profile", {})
    out: list[str] = []
    for value in profiles.values() if isinstance(profiles, Mapping) else ():
        raw = value.get("path") if isinstance(value, Mapping) else value
        if isinstance(raw, str) and raw.endswith(".toml"):
            out += _enabled_ids(_toml(path.parent / raw))
    return out


def workspace_enablement_notes(
    workspace: Path, *, user_registry: Path | None = None
) -> list[WorkspaceEnablementNote]:
    """Each `.yoi/override.local.toml` or `.yoi/profiles.toml` from `workspace` upward, as the
    host searched before c2510495; `user_registry` (the profiles.toml Yoi does read) is skipped."""
    skip = user_registry.resolve() if user_registry else None
    notes = []
    for folder in [workspace.resolve(), *workspace.resolve().parents]:
        for rel in CANDIDATES:
            path = folder / rel
            if not path.is_file() or path.resolve() == skip:
                continue
            ids = (
                _enabled_ids(_toml(path))
                if rel.endswith("override.local.toml")
                else _registry_ids(path)
            )
            notes.append(WorkspaceEnablementNote(path, tuple(dict.fromkeys(ids))))
    return notes
