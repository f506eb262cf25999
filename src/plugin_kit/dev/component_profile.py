"""The grants Yoi's own enablement gives the component under development, for the dev host.

Without `--grant`, the dev host runs the component with what the Yoi Profile grants it: the
Profile Yoi selects (the registry's default, or `--profile`), found and read by the installer's
Yoi modules as the host finds it (yoi_profiles.py), and its `[[plugins.enabled]]` entry for
`project:ID` (the workspace store), else `user:ID`. The entry's version and digest pins are
not compared: every save makes a new digest, and the point is to try the grants Yoi would use.
Files a workspace carries that Yoi no longer reads (yoi_workspace.py) grant nothing here either.
Host facts, through those modules (HareK02/yoi @ b12e0785): the Profile Yoi selects,
crates/manifest/src/profile.rs `ProfileDiscovery::for_cwd`; what an entry enables and grants,
crates/manifest/src/plugin.rs `resolve_enabled_plugins`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plugin_kit.dev.component_grants import ComponentGrants
from plugin_kit.errors import PluginKitError
from plugin_kit.installer.yoi_grants import GrantSet
from plugin_kit.installer.yoi_profiles import locate_profile, read_profile_artifact
from plugin_kit.installer.yoi_status import enabled_entries, plugins_switch_on
from plugin_kit.installer.yoi_workspace import workspace_enablement_notes

__all__ = ["profile_grants", "profile_files"]


def _component_grants(grants: GrantSet) -> ComponentGrants:
    return ComponentGrants(
        apis={p.value for p in grants.permissions if p.kind == "host_api"},
        request=[r.to_table() for r in grants.request],
        websocket=[w.to_table() for w in grants.websocket],
        fs=[f.to_table() for f in grants.fs],
    )


def _entry(doc: Mapping[str, Any], plugin_id: str) -> Mapping[str, Any] | None:
    entries = {str(e.get("id")): e for e in enabled_entries(doc)}
    return entries.get(f"project:{plugin_id}") or entries.get(f"user:{plugin_id}")


def _ignored(workspace: Path, registry: Path, plugin_id: str) -> str:
    refs = (f"project:{plugin_id}", f"user:{plugin_id}")
    notes = [n for n in workspace_enablement_notes(workspace, user_registry=registry)
             if set(n.enables) & set(refs)]  # fmt: skip
    return "".join(f"; {n.message}" for n in notes)


def profile_grants(
    plugin_id: str,
    workspace: Path,
    *,
    selector: str | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[ComponentGrants, str]:
    """The grants the selected Yoi Profile gives `plugin_id`, and a line saying where they came
    from ("from Profile ...") or why there are none ("none: ..."). Never raises: an unreadable Profile grants nothing, and says so."""
    try:
        target = locate_profile(selector, env=env)
        if target.creation:  # a built-in Profile, or none: it enables no plugin
            return ComponentGrants(), (
                f"none: Yoi selects {target.yoi_selects}, which enables no plugin"
                + _ignored(workspace, target.registry, plugin_id)
            )
        doc = read_profile_artifact(target.artifact)
        entry = _entry(doc, plugin_id)
        where = f"Profile {target.reference} ({target.artifact})"
        if entry is None:
            return ComponentGrants(), (
                f"none: {where} does not enable {plugin_id}"
                + _ignored(workspace, target.registry, plugin_id)
            )
        grants = _component_grants(GrantSet.from_tables(entry.get("grants") or {}))
    except (PluginKitError, AttributeError, TypeError, ValueError) as exc:
        why = exc.message if isinstance(exc, PluginKitError) else f"malformed grants ({exc})"
        return ComponentGrants(), f"none: the Yoi Profile could not be read: {why}"
    switch = (
        "" if plugins_switch_on(doc) else "; [feature.plugins] is off there: Yoi loads no plugin"
    )
    pin = f"{entry.get('version')} {entry.get('digest')}"
    return grants, (
        f"from {where}, entry {entry.get('id')} (pinned to {pin}; the dev host does not "
        f"compare the pin){switch}"
    )


def profile_files(selector: str | None, env: Mapping[str, str] | None) -> dict[Path, str]:
    """The files whose edit changes what `profile_grants` returns, each with a label for the
    reload event: the selected Profile (or the one `plugin enable` would create) and the
    registry that selects it. Empty when they cannot be located."""
    try:
        target = locate_profile(selector, env=env)
    except PluginKitError:
        return {}
    artifact = target.creation.artifact if target.creation else target.artifact
    registry = target.creation.registry if target.creation else target.registry
    return {artifact: f"Profile {artifact}", registry: f"Profile registry {registry}"}
