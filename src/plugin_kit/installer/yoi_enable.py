"""Enable and disable a Yoi package in a Profile, exactly as the host's code reads it.

What is written (HareK02/yoi @ b12e0785, crates/manifest/src/plugin.rs `PluginEnablementConfig`
and `PluginGrantConfig`; crates/manifest/src/config.rs `FeatureConfigPartial`):

    [feature.plugins]
    enabled = true

    [[plugins.enabled]]
    id = "user:example.echo"          # source-qualified
    version = "1.0.0"                 # exact
    digest = "sha256:<hex>"
    surfaces = ["tool", "wasm"]       # the declared surfaces (a list narrowed by hand is kept)

    [plugins.enabled.grants]          # bound to the same id, version and digest
    id = "user:example.echo"
    version = "1.0.0"
    digest = "sha256:<hex>"
    permissions = [{ kind = "host_api", api = "request" }, ...]
    request = [{ scheme = "https", host = "api.example.com", methods = ["GET"], path_prefixes = ["/v1/"] }]

Every key the host's structs refuse stays out: the guide's `[features] plugins = true` (a
Profile refuses it) is replaced by the switch above. The rest of the Profile, comments
included, is kept (tomlkit); a `.json` Profile is rewritten as JSON. `plan_enable` says what
will change, one line per permission and target, before `apply_enable` writes anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from plugin_kit.errors import InstallError, UsageError
from plugin_kit.installer._fs import checkpoint, file_lock
from plugin_kit.installer.paths import locks_dir
from plugin_kit.installer.yoi_grants import Grant, GrantSet, parse_grant, requested_grants
from plugin_kit.installer.yoi_profiles import (
    ProfileTarget,
    checked_dumps,
    child_table,
    editing,
    locate_profile,
    parse_for_edit,
    read_config,
    read_profile_artifact,
    registry_update,
    write_config,
    written_inline,
)
from plugin_kit.installer.yoi_status import (
    SURFACE_ORDER,
    YoiPluginStatus,
    YoiStorePackage,
    declared_surfaces,
    enabled_entries,
    plugins_switch_on,
    yoi_statuses,
)

__all__ = [
    "PROFILE_KEYS",
    "EnablePlan",
    "DisablePlan",
    "plan_enable",
    "apply_enable",
    "plan_disable",
    "apply_disable",
]

# profile.rs `ProfileConfig` (deny_unknown_fields); `reject_manifest_shaped_profile` names
# `manifest`, `config` and `worker` apart, and `scope.allow` / `scope.deny`.
PROFILE_KEYS = frozenset(
    "slug description model engine scope delegation_scope session permissions feature plugins "
    "mcp compaction web memory skills".split()
)
PLUGINS_KEYS = frozenset({"enabled", "resolved", "diagnostics"})  # PluginConfig
ENTRY_KEYS = frozenset({"id", "version", "digest", "surfaces", "grants", "config"})
_HEADER = (
    "Yoi Profile (yoi.profile.v1), created by plugin-kit to enable plugins.\n"
    "Yoi reads it through profiles.toml; `plugin enable` / `plugin disable` edit [[plugins.enabled]]."
)


def _grant_line(verb: str, g: Grant) -> str:
    broad = " [broad]" if getattr(g, "broad", False) else ""
    return f"{verb} {g.KIND} {g.label}{broad}"


@dataclass(frozen=True)
class EnablePlan:
    """What `apply_enable` will write; `lines()` is what the CLI shows before asking."""

    profile: ProfileTarget
    package: YoiStorePackage
    surfaces: tuple[str, ...]
    grants: GrantSet  # the whole grant set after the change
    added: tuple[Grant, ...] = ()
    revoked: tuple[Grant, ...] = ()
    previous: tuple[str, str] | None = None  # (version, digest) of the entry it replaces
    switch: str = ""  # how [feature.plugins] changes, "" when it is already on
    predicted: YoiPluginStatus | None = None
    notes: tuple[str, ...] = ()

    @property
    def reference(self) -> str:
        return self.package.reference

    def entry(self) -> dict[str, Any]:
        """The `[[plugins.enabled]]` table, as plain data."""
        m = self.package.manifest
        pin = {"id": self.reference, "version": m.version, "digest": self.package.digest}
        grants = {k: v for k, v in self.grants.to_tables().items() if v}  # empty = left out
        return {**pin, "surfaces": list(self.surfaces), "grants": {**pin, **grants}}

    def lines(self) -> list[str]:
        m = self.package.manifest
        out = list(self.profile.creation.lines()) if self.profile.creation else []
        out.append(f"Profile {self.profile.reference}: {self.profile.artifact}")
        if self.previous:
            out.append(f"re-pin {self.reference} from {self.previous[0]} {self.previous[1]}")
        out.append(f"enable {self.reference} {m.version} {self.package.digest}")
        out.append(f"surfaces: {', '.join(self.surfaces) or '(none)'}")
        out += [_grant_line("revoke", g) for g in self.revoked]
        out += [_grant_line("grant" if g in self.added else "keep", g) for g in self.grants.items()]
        out += [self.switch] if self.switch else []
        out += list(self.notes)
        if self.predicted:
            why = "; ".join(self.predicted.reasons)
            out.append(f"Yoi will report: {self.predicted.status}" + (f" ({why})" if why else ""))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile.to_dict(),
            "reference": self.reference,
            "entry": self.entry(),
            "added": [g.label for g in self.added],
            "revoked": [g.label for g in self.revoked],
            "previous": list(self.previous) if self.previous else None,
            "switch": self.switch,
            "notes": list(self.notes),
            "predicted": self.predicted.to_dict() if self.predicted else None,
            "lines": self.lines(),
        }


@dataclass(frozen=True)
class DisablePlan:
    profile: ProfileTarget
    reference: str
    found: int  # how many entries for `reference` the Profile holds

    def lines(self) -> list[str]:
        if not self.found:
            return [f"{self.reference} is not enabled in Profile {self.profile.reference}"]
        return [
            f"remove {self.reference} from Profile {self.profile.reference}: {self.profile.artifact}"
        ]

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile.to_dict(), "reference": self.reference, "found": self.found,
                "lines": self.lines()}  # fmt: skip


def _current(target: ProfileTarget) -> dict[str, Any]:
    return read_profile_artifact(target.artifact) if target.artifact.exists() else {}


def _switch_change(doc: Mapping[str, Any]) -> str:
    guide = "features" in doc
    if plugins_switch_on(doc) and not guide:
        return ""
    out = "set [feature.plugins] enabled = true"
    if guide:
        out += "; remove [features] (the host guide's form, which a Profile refuses)"
    return out


def _existing_grants(target: ProfileTarget, entry: Mapping[str, Any]) -> GrantSet:
    try:
        return GrantSet.from_tables(entry.get("grants") or {})
    except (AttributeError, TypeError, ValueError) as exc:  # not the host's shapes
        raise _refused(
            target.artifact, f"{entry.get('id')}.grants", f"its grants are malformed ({exc})"
        ) from exc


def _as_grants(items: Iterable[str | Grant], *, revoking: bool = False) -> list[Grant]:
    return [parse_grant(i, revoking=revoking) if isinstance(i, str) else i for i in items]


def _refuse_unknown_revokes(granted: GrantSet, removed: list[Grant]) -> None:
    """A revoke must name a grant exactly as it stands: one that matches nothing would leave the
    authority in place while the command succeeds (as for Insomnia, capabilities.revoke_grants)."""
    have = granted.items()
    for g in removed:
        if g not in have:
            now = "; ".join(x.spec for x in have)
            raise UsageError(
                f"{g.spec!r} is not granted, so it cannot be revoked",
                rule="grant-not-granted",
                hint=f"granted now: {now}" if now else "nothing is granted now",
            )


def _kept_surfaces(
    target: ProfileTarget,
    entry: Mapping[str, Any] | None,
    package: YoiStorePackage,
    known: Mapping[str, Sequence[str]] | None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(surfaces to write, notes). plugin.rs `PluginEnablementConfig.surfaces`: omitted or
    empty selects every declared surface, a list selects those. A list that is every surface
    the pinned version declares (what `enable` writes) follows the new version; a list
    narrowed by hand is kept, less the surfaces the new version no longer declares (Yoi
    would reject the entry for them); if none is left the enable is refused (an empty list
    would select them all)."""
    declared = declared_surfaces(package.manifest)
    listed = entry.get("surfaces") if entry else None
    if not listed or not isinstance(listed, list):
        return declared, ()
    pinned = entry.get("digest") if entry else None
    was = {package.digest: declared, **(known or {})}.get(str(pinned), declared)
    if set(listed) in (set(was), set(declared)):
        return declared, ()
    kept = tuple(s for s in SURFACE_ORDER if s in listed and s in declared)
    dropped = sorted({str(s) for s in listed} - set(declared))
    version = package.manifest.version
    if not kept:
        raise InstallError(
            f"the Profile narrows {package.reference} to surfaces {version} does not declare:"
            f" {', '.join(dropped)}",
            rule="yoi-surfaces-gone",
            place=f"{target.artifact}:plugins.enabled[id={package.reference}].surfaces",
            hint=f"{version} declares {', '.join(declared) or 'none'}: edit that `surfaces` list,"
            f" or `plugin disable {package.reference}` then `plugin enable {package.reference}`"
            " to select them all.",
        )
    notes = [f"keep surfaces {', '.join(kept)} (narrowed in the Profile; declared: "
             f"{', '.join(declared)})"]  # fmt: skip
    if dropped:
        notes.append(f"drop surfaces {', '.join(dropped)} ({version} no longer declares them)")
    return kept, tuple(notes)


def plan_enable(
    package: YoiStorePackage,
    *,
    profile: str | None = None,
    grant_requested: bool = False,
    grants: Sequence[str | Grant] = (),
    revoke: Sequence[str | Grant] = (),
    env: Mapping[str, str] | None = None,
    known_surfaces: Mapping[str, Sequence[str]] | None = None,
) -> EnablePlan:
    """What enabling `package` in the Profile `profile` (or the default) will write; writes nothing.

    Grants already in the Profile for this package are kept (re-bound to this version and
    digest); `grant_requested` adds what the manifest requests, `grants` add one each
    (`KIND=VALUE`, see yoi_grants.py) and `revoke` removes. A `surfaces` list narrowed by
    hand is kept (`_kept_surfaces`); `known_surfaces` maps digests of other versions to the
    surfaces they declare (from the store's lock), to tell a narrowed list from a full one."""
    target = locate_profile(profile, env=env)
    doc = _current(target)
    mine = [e for e in enabled_entries(doc) if e.get("id") == package.reference]
    before = _existing_grants(target, mine[0]) if mine else GrantSet()
    wanted = _as_grants(grants)
    if grant_requested:
        wanted = [*requested_grants(package.manifest).items(), *wanted]
    removed = _as_grants(revoke, revoking=True)
    _refuse_unknown_revokes(before.add(wanted), removed)
    after = before.add(wanted).remove(removed)
    previous = None
    if mine and (mine[0].get("version"), mine[0].get("digest")) != (
        package.manifest.version,
        package.digest,
    ):
        previous = (str(mine[0].get("version")), str(mine[0].get("digest")))
    notes = (
        (f"remove {len(mine) - 1} more entries for {package.reference}",) if len(mine) > 1 else ()
    )
    surfaces, kept = _kept_surfaces(target, mine[0] if mine else None, package, known_surfaces)
    plan = EnablePlan(
        target,
        package,
        surfaces,
        after,
        added=tuple(g for g in after.items() if g not in before.items()),
        revoked=tuple(g for g in before.items() if g not in after.items()),
        previous=previous,
        switch=_switch_change(doc),
        notes=(*kept, *notes),
    )
    # A Profile the host would refuse, or one that cannot be written back as read, stops here,
    # before anything is written (an upgrade re-pins several Profiles after planning them all).
    _edited(target.artifact, plan.entry()).dumps()
    return replace(plan, predicted=yoi_statuses([plan.entry()], [package])[0])


# --- editing a Profile document ----------------------------------------------------------------


@dataclass
class _Doc:
    """A Profile being edited: tomlkit for .toml (comments kept), plain data for .json."""

    path: Path
    data: Any = None
    toml: bool = True
    text: str = ""  # as read (line numbers for errors)

    @classmethod
    def load(cls, path: Path) -> _Doc:
        toml = path.suffix != ".json"
        if not path.exists():
            return cls(path, cls._new(toml), toml)
        text = read_config(path)
        if not toml:
            return cls(path, json.loads(text), toml, text)
        return cls(path, parse_for_edit(text, path), toml, text)

    @staticmethod
    def _new(toml: bool) -> Any:
        if not toml:
            return {}
        import tomlkit

        doc = tomlkit.document()
        for line in _HEADER.splitlines():
            doc.add(tomlkit.comment(line))
        doc.add(tomlkit.nl())
        return doc

    def editing(self, key: str) -> Any:
        """Edits of the top-level `key`: what tomlkit cannot do is refused naming its line."""
        return editing(self.path, self.text, key)

    def inline(self, key: str) -> bool:
        """New tables under the top-level `key` go inline (it is written inline or dotted)."""
        return self.toml and written_inline(self.data, key)

    def table(self) -> Any:
        if not self.toml:
            return {}
        import tomlkit

        return tomlkit.table(is_super_table=True)

    def item(self, entry: Mapping[str, Any], *, inline: bool = False) -> Any:
        """`entry` as this document writes it: a table holding arrays of inline tables in TOML."""
        if not self.toml:
            return dict(entry)
        if inline:  # into an `enabled = [...]` array or an inline table written by hand
            return child_table(entry, inline=True)
        import tomlkit

        out = tomlkit.table()
        for key, value in entry.items():
            if isinstance(value, Mapping):
                value = self.item(value)
            elif isinstance(value, list) and value and isinstance(value[0], Mapping):
                arr = tomlkit.array()
                for v in value:
                    arr.append(child_table(v, inline=True))
                value = arr.multiline(True)
            out[key] = value
        return out

    def enabled(self) -> Any:
        if "plugins" not in self.data:
            self.data["plugins"] = self.table()
        plugins = self.data["plugins"]
        if "enabled" not in plugins:
            import tomlkit

            fresh = tomlkit.array() if self.inline("plugins") else tomlkit.aot()
            plugins["enabled"] = fresh if self.toml else []
        return plugins["enabled"]

    def dumps(self) -> bytes:
        if self.toml:
            return checked_dumps(self.data, self.path, self.text)
        return (json.dumps(self.data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _is_aot(value: Any) -> bool:
    from tomlkit.items import AoT

    return isinstance(value, AoT)


def _is_inline(value: Any) -> bool:
    from tomlkit.items import InlineTable

    return isinstance(value, InlineTable)


def _set_entry(doc: _Doc, entry: dict[str, Any]) -> None:
    enabled = doc.enabled()
    at = [i for i, e in enumerate(enabled) if isinstance(e, Mapping) and e.get("id") == entry["id"]]
    for i in reversed(at[1:]):  # one entry per package; its position and `config` stay
        del enabled[i]
    inline = doc.toml and not _is_aot(enabled)
    if not at:
        enabled.append(doc.item(entry, inline=inline))
        return
    mine = enabled[at[0]]
    for key in ("id", "version", "digest", "surfaces", "grants"):
        value = entry[key]
        if isinstance(value, Mapping):  # a table the user wrote inline stays inline
            value = doc.item(value, inline=inline or _is_inline(mine.get(key)))
        mine[key] = value


def _set_switch(doc: _Doc) -> None:
    data = doc.data
    guide = data.get("features")
    if isinstance(guide, Mapping) and set(guide) <= {"plugins"}:
        del data["features"]  # the guide's form: refused in a Profile, ignored elsewhere
    if not isinstance(data.get("feature"), Mapping):
        data["feature"] = doc.table()
    if not isinstance(data["feature"].get("plugins"), Mapping):
        data["feature"]["plugins"] = doc.item({"enabled": True}, inline=doc.inline("feature"))
    data["feature"]["plugins"]["enabled"] = True


def _refused(path: Path, where: str, why: str) -> InstallError:
    return InstallError(
        f"Yoi refuses this Profile: {why}",
        rule="yoi-profile-refused",
        place=f"{path}:{where}",
        hint="Fix that key by hand (crates/manifest/src/profile.rs `ProfileConfig`), then run again.",
    )


def _check(doc: _Doc) -> None:
    """The keys the host refuses, at the levels this writer touches; nothing is written on error."""
    data = doc.data
    for key in data:
        if key in ("manifest", "config", "worker"):
            raise _refused(doc.path, key, f"`{key}` is not allowed in a reusable Profile")
        if key not in PROFILE_KEYS:
            raise _refused(doc.path, key, f"`{key}` is not a Profile key")
    scope = data.get("scope")
    if isinstance(scope, Mapping) and {"allow", "deny"} & set(scope):
        raise _refused(
            doc.path, "scope", "`scope.allow` / `scope.deny` are not allowed in a Profile"
        )
    extra = set(data.get("plugins", {})) - PLUGINS_KEYS
    if extra:
        raise _refused(doc.path, "plugins", f"`plugins.{sorted(extra)[0]}` is not a field")
    for i, entry in enumerate(enabled_entries(data)):
        extra = set(entry) - ENTRY_KEYS
        if extra:
            raise _refused(
                doc.path, f"plugins.enabled[{i}]", f"`{sorted(extra)[0]}` is not a field"
            )


def _edited(path: Path, entry: dict[str, Any]) -> _Doc:
    """The Profile at `path` with `entry` set and the switch on, checked; nothing written."""
    doc = _Doc.load(path)
    with doc.editing("plugins"):
        _set_entry(doc, entry)
    with doc.editing("feature"):
        _set_switch(doc)
    _check(doc)
    return doc


def _lock() -> Any:
    return file_lock(locks_dir() / "yoi-profile.lock", what="Yoi Profile")


def apply_enable(plan: EnablePlan) -> Path:
    """Write the plan: the Profile first, then its registration; returns the Profile's path.

    Each file is replaced atomically; a crash between the two leaves an unregistered Profile
    that the next `enable` picks up again."""
    creation = plan.profile.creation
    with _lock():
        doc = _edited(plan.profile.artifact, plan.entry())
        registry = registry_update(creation) if creation else None
        write_config(doc.path, doc.dumps())
        checkpoint("yoi-enable:profile-written")
        if registry is not None:
            write_config(plan.profile.registry, registry)
    return plan.profile.artifact


def plan_disable(
    reference: str, *, profile: str | None = None, env: Mapping[str, str] | None = None
) -> DisablePlan:
    target = locate_profile(profile, env=env)
    doc = (
        read_profile_artifact(target.artifact, surfaces_checked=False)
        if target.artifact.exists()
        else {}
    )
    found = sum(e.get("id") == reference for e in enabled_entries(doc))
    return DisablePlan(target, reference, found)


def _remove_entries(doc: _Doc, reference: str) -> list[int]:
    enabled = doc.enabled()
    at = [i for i, e in enumerate(enabled) if isinstance(e, Mapping) and e.get("id") == reference]
    for i in reversed(at):
        del enabled[i]
    if not enabled:  # an empty array of tables would be written as `plugins.enabled = []`
        del doc.data["plugins"]["enabled"]
    if not doc.data["plugins"]:
        del doc.data["plugins"]
    return at


def apply_disable(plan: DisablePlan) -> int:
    """Remove `reference`'s entries (and only them); returns how many were removed."""
    if not plan.found:
        return 0
    with _lock():
        doc = _Doc.load(plan.profile.artifact)
        with doc.editing("plugins"):
            at = _remove_entries(doc, plan.reference)
        if at:
            write_config(doc.path, doc.dumps())
    return len(at)
