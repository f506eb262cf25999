"""Enablement and grants, in the user's own `plugins.toml` (never in a repository).

Records are keyed by reference, workspace path (for project plugins) and content digest,
so a checked-out repository cannot enable its own plugins and a changed package needs a
new enable.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.errors import InstallError
from plugin_kit.installer._fs import atomic_write, file_lock
from plugin_kit.installer._toml import dumps
from plugin_kit.installer.paths import config_dir

__all__ = ["Enablement", "load_enablements", "update_enablements", "find_enablement"]


@dataclass
class Enablement:
    """One `[[plugins.enabled]]` record; `active = false` is a disable that keeps the grants."""

    id: str  # "user:<id>" or "project:<id>"
    digest: str
    version: str
    workspace: str | None = None
    active: bool = True
    surfaces: list[str] = field(default_factory=list)
    granted_at: str = ""
    grants: dict[str, Any] = field(default_factory=dict)

    def matches(self, ref: str, workspace: Path | None) -> bool:
        return self.id == ref and self.workspace == (str(workspace) if workspace else None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _path() -> Path:
    return config_dir() / "plugins.toml"


def load_enablements() -> list[Enablement]:
    try:
        doc = tomllib.loads(_path().read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise InstallError(
            f"plugins.toml is not readable: {exc}",
            rule="enablement-config",
            place=str(_path()),
            hint="fix or remove the file; nothing is enabled meanwhile",
        ) from exc
    known = Enablement.__dataclass_fields__
    return [
        Enablement(**{k: v for k, v in rec.items() if k in known})
        for rec in (doc.get("plugins") or {}).get("enabled", [])
    ]


def find_enablement(
    records: list[Enablement], ref: str, workspace: Path | None
) -> Enablement | None:
    return next((r for r in records if r.matches(ref, workspace)), None)


def update_enablements(change) -> list[Enablement]:  # type: ignore[no-untyped-def]
    """Read-modify-write plugins.toml under its lock; `change(records)` edits the list in place."""
    with file_lock(config_dir() / ".plugins.toml.lock", what="enablement"):
        records = load_enablements()
        change(records)
        doc = {"plugins": {"enabled": [r.to_dict() for r in records]}}
        atomic_write(
            _path(),
            dumps(
                doc,
                header="plugins.toml: enabled plugins and their grants. "
                "Change it with `plugin enable` / `plugin disable`.",
            ).encode(),
            mode=0o600,
        )
        return records
