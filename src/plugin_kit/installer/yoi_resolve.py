"""For a host written in Python: which Yoi packages the selected Profile enables, and their status.

The Profile is found as Yoi finds it (yoi_profiles.py), its `[[plugins.enabled]]` entries are
resolved against the packages the stores hold (yoi_status.py), and the plugins feature switch is
read as crates/worker/src/controller.rs reads it: without `[feature.plugins] enabled = true` the
worker loads no plugin, though `yoi plugin list` still shows the statuses. Files a workspace
carries that Yoi no longer reads are reported as notes (yoi_workspace.py). Nothing runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugin_kit.installer.yoi_profiles import ProfileTarget, locate_profile, read_profile_artifact
from plugin_kit.installer.yoi_status import (
    YoiPluginStatus,
    YoiStorePackage,
    enabled_entries,
    plugins_switch_on,
    yoi_statuses,
)
from plugin_kit.installer.yoi_workspace import WorkspaceEnablementNote, workspace_enablement_notes

__all__ = ["YoiEnablement", "resolve_enabled"]

LOADED = ("active", "partial")  # statuses whose eligible surfaces the worker registers


@dataclass(frozen=True)
class YoiEnablement:
    profile: ProfileTarget
    feature_enabled: bool  # [feature.plugins] enabled = true in the Profile
    plugins: tuple[YoiPluginStatus, ...]
    notes: tuple[str, ...] = ()
    workspace_notes: tuple[WorkspaceEnablementNote, ...] = ()

    def loaded(self) -> list[YoiPluginStatus]:
        """What the host's worker would load: nothing while the feature switch is off."""
        return [p for p in self.plugins if p.status in LOADED] if self.feature_enabled else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile.to_dict(),
            "feature_enabled": self.feature_enabled,
            "plugins": [p.to_dict() for p in self.plugins],
            "notes": [*self.notes, *(n.message for n in self.workspace_notes)],
            "workspace_notes": [n.to_dict() for n in self.workspace_notes],
        }


def resolve_enabled(
    packages: Sequence[YoiStorePackage],
    *,
    workspace: Path | None = None,
    profile: str | None = None,
    refused: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> YoiEnablement:
    """Statuses of every enabled entry and every package in `packages` (found by store
    discovery; `refused`: reference -> why, for store files the strict reader refused)."""
    target = locate_profile(profile, env=env)
    notes: list[str] = []
    doc: Mapping[str, Any] = {}
    if target.creation:  # Yoi runs with something else today: a built-in, or nothing at all
        notes.append(f"Yoi selects {target.yoi_selects}, which enables no plugin")
    else:
        doc = read_profile_artifact(target.artifact)
    switch = plugins_switch_on(doc)
    if not switch:
        notes.append(
            f"[feature.plugins] enabled is not true in {target.reference}: Yoi loads no plugin"
        )
    ws = (
        tuple(workspace_enablement_notes(workspace, user_registry=target.registry))
        if workspace
        else ()
    )
    return YoiEnablement(
        target,
        switch,
        tuple(yoi_statuses(enabled_entries(doc), packages, refused)),
        tuple(notes),
        ws,
    )
