"""Which Yoi Profile holds enablement, found the way the host finds it, and creating one if needed.

HareK02/yoi @ b12e0785 reads plugin enablement from a Profile only (`.yoi/override.local.toml`
left the code in c2510495): crates/manifest/src/profile.rs `ProfileDiscovery::for_cwd` loads
the built-in Profiles and the user's registry `paths::user_profiles_path()`, i.e. `profiles.toml`
in the config folder of crates/manifest/src/paths.rs `config_dir` (`YOI_CONFIG_DIR`, else
`$YOI_HOME/config`, else `$XDG_CONFIG_HOME/yoi`, else `$HOME/.config/yoi`; an empty variable
counts as unset). No workspace file is read (`for_cwd` ignores its cwd).

`load_profile_registry_file` reads `default` and `[profile.NAME]` (alias `entries`), each a path
string or a table with `path` and `description`; relative paths are joined to the registry's
folder. `default = "NAME"` means `user:NAME`; without one there is no default Profile.
`read_profile_artifact_file` takes `.toml` or `.json` only. A Profile has no format key: its
struct `ProfileConfig` refuses unknown keys and the host sets `yoi.profile.v1` itself.

A built-in Profile cannot be edited and a Profile cannot extend another, so enabling a plugin
for a built-in or missing Profile creates a user Profile and registers it; `ProfileCreation`
says what will be created before anything is written.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from plugin_kit.errors import FileRefusedError, InstallError, UsageError
from plugin_kit.fsio import read_bounded
from plugin_kit.installer._fs import atomic_write
from plugin_kit.installer.paths import user_profiles_path
from plugin_kit.validators.yoi_shape import SURFACES

__all__ = [
    "BUILTIN_PROFILES",
    "ProfileCreation",
    "ProfileTarget",
    "RegistryEntry",
    "ProfileRegistry",
    "read_config",
    "read_registry",
    "read_profile_artifact",
    "locate_profile",
    "parse_for_edit",
    "registry_update",
    "line_of",
    "edit_refused",
    "editing",
    "written_inline",
    "child_table",
    "checked_dumps",
    "write_config",
]

BUILTIN_PROFILES = (
    "companion",
    "intake",
    "orchestrator",
    "coder",
    "reviewer",
    "memory-consolidation",
)
SOURCES = ("builtin", "user", "project")  # ProfileRegistrySource
# A registry or Profile lists Profiles, plugins and grants: megabytes of it are no config file.
CONFIG_CAP = 4 << 20
NEW_DEFAULT_NAME = "plugins"  # the Profile created when the registry names no default
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")
_DESCRIPTION = "Created by plugin-kit to enable Yoi plugins."


@dataclass(frozen=True)
class RegistryEntry:
    source: str  # "builtin" | "user"
    name: str
    path: Path | None  # None for a built-in Profile

    @property
    def qualified(self) -> str:
        return f"{self.source}:{self.name}"


@dataclass(frozen=True)
class ProfileRegistry:
    path: Path
    entries: tuple[RegistryEntry, ...]
    default: tuple[str, str] | None  # (source, name)

    def find(self, source: str | None, name: str) -> list[RegistryEntry]:
        return [e for e in self.entries if e.name == name and source in (None, e.source)]


def _registry_error(path: Path, why: str) -> InstallError:
    return InstallError(
        f"Yoi's profiles.toml is not readable: {why}",
        rule="yoi-profiles-toml",
        place=str(path),
        hint="Yoi refuses this file too; fix it by hand, then run the command again.",
    )


def _entry_path(value: Any, base: Path, name: str, reg: Path) -> Path:
    # ProfileEntryConfig is untagged: a string, or a table that must hold `path`.
    raw = value.get("path") if isinstance(value, Mapping) else value
    if not isinstance(raw, str):
        raise _registry_error(reg, f"[profile.{name}] needs a path")
    return base / raw  # an absolute `raw` replaces `base` (join_if_relative)


def read_config(path: Path) -> str:
    """A Yoi config file's text (registry or Profile; a registry may point anywhere). Followed
    through a symlink as Yoi follows it, but never a FIFO or a device, and at most CONFIG_CAP
    bytes; FileNotFoundError when it is missing, as with open()."""
    try:
        data = read_bounded(path, CONFIG_CAP, what=f"the Yoi config file {path.name}",
                            follow_symlinks=True)  # fmt: skip
    except FileRefusedError as exc:
        raise FileRefusedError(
            exc.message, rule=exc.rule, place=exc.place,
            hint="Yoi config files are regular TOML or JSON files; check what this path is.",
        ) from exc  # fmt: skip
    return data.decode("utf-8")


def read_registry(path: Path) -> ProfileRegistry:
    """The built-in Profiles plus `path` (absent = none), as `ProfileDiscovery::discover` builds them."""
    builtin = tuple(RegistryEntry("builtin", n, None) for n in BUILTIN_PROFILES)
    try:
        doc = tomllib.loads(read_config(path))
    except FileNotFoundError:
        return ProfileRegistry(path, builtin, None)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _registry_error(path, str(exc)) from exc
    if "profile" in doc and "entries" in doc:
        raise _registry_error(path, "both `profile` and its alias `entries` are present")
    table = doc.get("profile", doc.get("entries", {}))
    default = doc.get("default")
    if not isinstance(table, Mapping) or not isinstance(default, str | None):
        raise _registry_error(path, "`profile` must be a table and `default` a string")
    user = tuple(
        RegistryEntry("user", name, _entry_path(value, path.parent, name, path))
        for name, value in table.items()
    )
    return ProfileRegistry(path, builtin + user, _profile_ref(default) if default else None)


def _profile_ref(raw: str) -> tuple[str, str]:
    """profile.rs `parse_profile_ref`; an unqualified default names a user Profile."""
    prefix, sep, name = raw.partition(":")
    return (prefix, name) if sep and prefix in SOURCES else ("user", raw)


def read_profile_artifact(path: Path, *, surfaces_checked: bool = True) -> dict[str, Any]:
    """profile.rs `read_profile_artifact_file`: a `.toml` or `.json` object. Its entries'
    `surfaces` are checked (`_check_surfaces`) unless the caller only removes entries
    (`plugin disable` may take out the one Yoi refuses)."""
    if path.suffix not in (".toml", ".json"):
        raise InstallError(
            f"the Profile {path.name} is neither .toml nor .json, so Yoi cannot read it",
            rule="yoi-profile-type",
            place=str(path),
            hint="Point the registry entry at a .toml or .json Profile.",
        )
    try:
        text = read_config(path)
        doc = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InstallError(
            f"the Profile is not readable: {exc}",
            rule="yoi-profile-parse",
            place=str(path),
            hint="Yoi refuses this Profile too; fix it by hand, then run the command again.",
        ) from exc
    if not isinstance(doc, dict):
        raise InstallError("a Profile must be an object", rule="yoi-profile-parse", place=str(path))
    if surfaces_checked:
        _check_surfaces(doc, path)
    return doc


def _check_surfaces(doc: Mapping[str, Any], path: Path) -> None:
    """plugin.rs `PluginEnablementConfig.surfaces: Vec<PluginSurface>`: a list of surface
    names, or Yoi refuses the whole Profile (and the readers here would misread it)."""
    plugins = doc.get("plugins")
    enabled = plugins.get("enabled") if isinstance(plugins, Mapping) else None
    for i, entry in enumerate(enabled if isinstance(enabled, list) else []):
        listed = entry.get("surfaces", []) if isinstance(entry, Mapping) else []
        if not isinstance(listed, list) or not all(s in SURFACES for s in listed):
            raise InstallError(
                f"plugins.enabled[{i}].surfaces must be a list of {', '.join(SURFACES)}",
                rule="yoi-profile-parse",
                place=f"{path}:plugins.enabled[{i}].surfaces",
                hint="Yoi refuses this Profile too; fix it by hand, then run the command again.",
            )


@dataclass(frozen=True)
class ProfileCreation:
    """What must change before the Profile can hold enablement: the CLI shows this first."""

    name: str
    artifact: Path
    registry: Path
    create_file: bool  # the Profile file does not exist yet
    register: bool  # profiles.toml does not name it yet
    set_default: bool  # it becomes `default` (the selection was the default)
    instead_of: str  # what Yoi selects today: "builtin:coder", "no default Profile", ...

    def lines(self) -> list[str]:
        out = []
        if self.create_file:
            out.append(f"create user Profile {self.name!r} at {self.artifact}")
        if self.register:
            out.append(f"register it in {self.registry} as [profile.{self.name}]")
        if self.set_default:
            out.append(f"make user:{self.name} the default Profile (instead of {self.instead_of})")
        if self.create_file and self.instead_of.startswith("builtin:"):
            out.append(
                f"the new Profile starts empty: a Yoi Profile cannot extend {self.instead_of}; "
                "copy the settings you need into it"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "artifact": str(self.artifact), "registry": str(self.registry)}


@dataclass(frozen=True)
class ProfileTarget:
    """The Profile that enablement is written to, and what must change first.

    `yoi_selects` is what Yoi runs with for the same selector today; when `creation` is None
    that is this very Profile, otherwise Yoi reads no enablement from it yet."""

    reference: str  # "user:work", or the path of a `path:` selector
    artifact: Path
    registry: Path
    creation: ProfileCreation | None = None
    yoi_selects: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "artifact": str(self.artifact),
            "registry": str(self.registry),
            "creation": self.creation.to_dict() if self.creation else None,
            "yoi_selects": self.yoi_selects or self.reference,
        }


def _selector(raw: str | None) -> tuple[str, str | None, str]:
    """profile.rs `ProfileSelector::parse_cli`: ("default"|"path"|"named", source, name)."""
    if raw is None or raw == "default":
        return "default", None, ""
    if raw.startswith("path:"):
        return "path", None, raw[5:]
    prefix, sep, name = raw.partition(":")
    if sep and prefix in SOURCES:
        return "named", prefix, name
    if "/" in raw or raw.startswith(".") or raw.endswith((".json", ".toml")):
        return "path", None, raw
    return "named", None, raw


def _target(
    reg: ProfileRegistry, name: str, path: Path, *, register: bool, set_default: bool, selects: str
) -> ProfileTarget:
    """The user Profile `name` at `path`, with whatever must change before Yoi reads it."""
    if register and not _FILE_NAME.fullmatch(name):  # it becomes a file name
        raise UsageError(
            f"cannot create a Profile named {name!r}",
            rule="yoi-profile-name",
            place="--profile",
            hint="Use letters, digits, '.', '_' and '-' (it becomes a file name).",
        )
    create = not path.exists()
    if not (create or register or set_default):
        return ProfileTarget(f"user:{name}", path, reg.path, yoi_selects=selects)
    creation = ProfileCreation(name, path, reg.path, create, register, set_default, selects)
    return ProfileTarget(f"user:{name}", path, reg.path, creation, selects)


def _user(reg: ProfileRegistry, name: str, *, set_default: bool, selects: str) -> ProfileTarget:
    """User Profile `name`: the registered one, or a new file in `profiles/` to register."""
    mine = reg.find("user", name)
    if mine:
        assert mine[0].path is not None
        return _target(reg, name, mine[0].path, register=False, set_default=set_default, selects=selects)  # fmt: skip
    path = reg.path.parent / "profiles" / f"{name}.toml"
    return _target(reg, name, path, register=True, set_default=set_default, selects=selects)


def _select(
    reg: ProfileRegistry, source: str | None, name: str, from_default: bool
) -> ProfileTarget:
    found = reg.find(source, name)
    if len(found) > 1:
        raise UsageError(
            f"the Profile name {name!r} is ambiguous: {', '.join(e.qualified for e in found)}",
            rule="yoi-profile-ambiguous",
            place="--profile",
            hint="Name it with its source, e.g. --profile user:NAME (Yoi refuses it as well).",
        )
    if not found and source not in (None, "user"):
        raise UsageError(f"Yoi has no Profile {source}:{name}", rule="yoi-profile-unknown", place="--profile")  # fmt: skip
    if found and found[0].source == "builtin":
        # A built-in Profile cannot be edited: use (or create) `<name>-plugins` beside it.
        selects = found[0].qualified
        return _user(reg, f"{name}-plugins", set_default=from_default, selects=selects)
    selects = f"user:{name}" if found else f"user:{name} (not registered)"
    if found and found[0].path is not None and not found[0].path.exists():
        selects = f"user:{name} (its file is missing)"
    return _user(reg, name, set_default=False, selects=selects)


def locate_profile(
    selector: str | None = None, *, env: Mapping[str, str] | None = None
) -> ProfileTarget:
    """The Profile `--profile SELECTOR` (or the registry's default) names, as Yoi resolves it.

    Nothing is written here; `creation` says what the writer will change."""
    kind, source, name = _selector(selector)
    reg = read_registry(user_profiles_path(env))
    if kind == "path":
        path = Path(name).expanduser().absolute()
        read_profile_artifact(path)  # a path selector must name a readable Profile
        return ProfileTarget(str(path), path, reg.path)
    if kind == "named":
        return _select(reg, source, name, from_default=False)
    if reg.default is None:
        return _user(reg, NEW_DEFAULT_NAME, set_default=True, selects="no default Profile")
    return _select(reg, *reg.default, from_default=True)


def parse_for_edit(text: str, path: Path) -> Any:
    """A tomlkit document of `text` (comments kept), or InstallError naming the line of the key
    tomlkit cannot edit (a table split in parts it cannot join: valid TOML, a layout it loses)."""
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        doc = tomlkit.parse(text)
    except ParseError as exc:  # tomllib read it already; tomlkit is stricter
        raise _edit_error(path, exc.line, str(exc)) from exc
    for key in list(doc):  # tomlkit resolves out-of-order tables lazily: fail here, not mid-edit
        try:
            value = doc[key]
            getattr(value, "unwrap", lambda: None)()
        except TOMLKitError as exc:
            raise _edit_error(path, line_of(text, key), f"`{key}`: {exc}") from exc
    return doc


def _edit_error(path: Path, line: int, why: str) -> InstallError:
    return InstallError(
        f"cannot edit {path.name} without losing its layout: {why}",
        rule="yoi-profile-edit",
        place=f"{path}:{line}",
        hint="Write that key as plain [tables], each table's sub-tables right below it"
        " (e.g. under its [[plugins.enabled]]), then run again.",
    )


def line_of(text: str, key: str) -> int:
    """The first line (1-based) that writes the top-level `key` (`key =`, `key.x =`, `[key]`,
    `[key.x]`, `[[key.x]]`); 1 when none does (a new key)."""
    pattern = re.compile(rf"\s*\[{{0,2}}\s*[\"']?{re.escape(key)}[\"']?\s*[.\]=]")
    lines = text.splitlines()
    return next((n for n, line in enumerate(lines, 1) if pattern.match(line)), 1)


def edit_refused(path: Path, text: str, key: str, why: str) -> InstallError:
    return _edit_error(path, line_of(text, key), f"`{key}`: {why}")


@contextmanager
def editing(path: Path, text: str, key: str) -> Iterator[None]:
    """Edit the top-level `key` of a tomlkit document: a layout tomlkit cannot edit becomes an
    InstallError naming the file and the key's line, never a traceback."""
    from tomlkit.exceptions import TOMLKitError

    try:
        yield
    except (TOMLKitError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise edit_refused(path, text, key, str(exc) or type(exc).__name__) from exc


def written_inline(doc: Any, key: str) -> bool:
    """Is the top-level `key` of a tomlkit document an inline table or a dotted key
    (`feature = { web = ... }`, `feature.web.enabled = true`)? A new `[header]` under it could
    not go there, or would move the keys written after it into the new table."""
    from tomlkit.items import InlineTable

    if isinstance(doc.get(key), InlineTable):
        return True
    return any(k is not None and k.key == key and k.is_dotted() for k, _ in doc.body)


def child_table(mapping: Mapping[str, Any], *, inline: bool) -> Any:
    """`mapping` as a new tomlkit table: inline (see `written_inline`) or a `[header]` table."""
    import tomlkit

    table = tomlkit.inline_table() if inline else tomlkit.table()
    for key, value in mapping.items():
        table[key] = child_table(value, inline=inline) if isinstance(value, Mapping) else value
    return table


def checked_dumps(doc: Any, path: Path, text: str) -> bytes:
    """`doc` as text, refused when that text reads back other than the document tomlkit holds
    (a layout it renders wrongly must not move a user's keys into another table)."""
    import tomlkit

    out = tomlkit.dumps(doc)
    data = doc.unwrap()
    back = tomllib.loads(out)
    if back != data:
        key = next(k for k in sorted(set(back) | set(data)) if back.get(k) != data.get(k))
        raise edit_refused(path, text, key, "tomlkit would write it in another table")
    return out.encode("utf-8")


def registry_update(creation: ProfileCreation) -> bytes | None:
    """profiles.toml with `[profile.NAME]` (and `default`) added, the rest and its comments kept;
    None when it needs no change. Computed before anything is written, so a registry tomlkit
    cannot edit stops `enable` with nothing changed."""
    if not (creation.register or creation.set_default):
        return None
    import tomlkit

    path = creation.registry
    try:
        text = read_config(path)
    except FileNotFoundError:
        text = ""
    doc = parse_for_edit(text, path)
    if creation.register:
        key = "entries" if "entries" in doc and "profile" not in doc else "profile"
        with editing(path, text, key):
            if key not in doc:
                doc[key] = tomlkit.table(is_super_table=True)
            # Relative to the registry's folder as Yoi names it (load_profile_registry_file).
            rel = os.path.relpath(creation.artifact, creation.registry.parent)
            entry = {"path": rel, "description": _DESCRIPTION}
            new = child_table(entry, inline=written_inline(doc, key))
            doc[key][creation.name] = new  # type: ignore[index]
    if creation.set_default:
        with editing(path, text, "default"):
            doc["default"] = (
                f"user:{creation.name}"  # tomlkit keeps a top-level key above the tables
            )
    return checked_dumps(doc, path, text)


def write_config(path: Path, data: bytes) -> None:
    """Replace a Yoi config file atomically, through a symlink, keeping its mode.

    Temp files a crashed earlier run left beside it are removed first (the caller holds the lock)."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    # A new file is private like our own plugins.toml; an existing one keeps its mode.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    atomic_write(path, data, mode=mode)
