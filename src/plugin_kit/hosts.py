"""What a host is: the facts every command asks instead of checking a host name itself.

Two hosts are served. `insomnia` is the host's first proposal (`.insomnia-plugin`, design.md);
`yoi` is the host as it ships (public repository HareK02/yoi @ b12e0785; the facts below are
read from `crates/manifest/src/plugin.rs`: `PluginDiscoveryLimits::default`, `plugin_stores`,
`deterministic_digest`, `PLUGIN_RUNTIME_COMPONENT_KIND` and the two world constants).

This module sits at the bottom of the layers and holds facts only. Each layer that acts on a
host keeps one table from `Host.name` to its implementation (validators/models.py,
packer/formats.py, ...), so that no code elsewhere compares host names.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from plugin_kit.errors import FileRefusedError, UsageError
from plugin_kit.fsio import open_regular
from plugin_kit.validators.limits import Limits

__all__ = [
    "Host",
    "INSOMNIA",
    "YOI",
    "HOSTS",
    "get_host",
    "host_for_doc",
    "host_for_project",
    "host_for_archive",
    "host_for_name",
    "SIDECAR_NAME",
]

KiB, MiB = 1024, 1024 * 1024

SIDECAR_NAME = "plugin-kit.toml"
"""Our pack settings ([package] include/exclude, [build]) for a host whose manifest refuses
unknown keys (Yoi). It lives beside plugin.toml and is never packed."""


@dataclass(frozen=True)
class Host:
    name: str  # "insomnia" | "yoi": the key of every per-layer table
    title: str  # for people: "Insomnia", "Yoi"
    suffix: str  # archive file extension
    container: str  # "tar+zstd" | "zip-stored"
    manifest_key: str  # the top-level key whose presence identifies this host's manifest
    schema_file: str  # JSON Schema of plugin.toml, in validators/schemas/
    limits: Limits  # discovery limits of the host (what its loader refuses)
    runtime_kinds: tuple[str, ...]
    digest_tag: bytes  # domain tag of the content digest
    digest_has_mode: bool  # does the content digest cover the exec bit?
    pack_settings: str  # where [package]/[build] live: "plugin.toml" or SIDECAR_NAME
    user_store_base: tuple[str, str]  # (XDG variable, fallback under $HOME)
    user_store_rel: str  # below that base
    project_store: str  # relative to a workspace
    enablement: str  # "plugins.toml" (ours) | "yoi-profile" (the host's Profile registry)

    def archive_name(self, plugin_id: str, version: str) -> str:
        return f"{plugin_id}-{version}{self.suffix}"

    def user_store(self, env: Mapping[str, str] | None = None) -> Path:
        """The user store as the host computes it."""
        env = os.environ if env is None else env
        var, fallback = self.user_store_base
        # An empty XDG variable counts as unset (XDG Base Directory spec). Yoi's plugin.rs
        # `plugin_stores` takes an empty XDG_DATA_HOME as set (a relative yoi/plugins in its working
        # folder): docs/installing.md says to leave it unset or non-empty.
        base = Path(env.get(var) or Path(env.get("HOME") or Path.home()) / fallback)
        return base / self.user_store_rel

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "suffix": self.suffix, "container": self.container}


INSOMNIA = Host(
    name="insomnia",
    title="Insomnia",
    suffix=".insomnia-plugin",
    container="tar+zstd",
    manifest_key="manifest_version",
    schema_file="plugin.schema.json",
    limits=Limits(),
    runtime_kinds=("hooks", "wasm", "mcp"),
    digest_tag=b"insomnia-plugin-digest-v1\0",
    digest_has_mode=True,
    pack_settings="plugin.toml",
    user_store_base=("XDG_CONFIG_HOME", ".config"),
    user_store_rel="insomnia/plugins",
    project_store=".insomnia/plugins",
    enablement="plugins.toml",
)

YOI = Host(
    name="yoi",
    title="Yoi",
    suffix=".yoi-plugin",
    container="zip-stored",
    manifest_key="schema_version",
    schema_file="yoi-plugin.schema.json",
    # PluginDiscoveryLimits::default: 16 MiB package, 64 KiB manifest, 512 entries,
    # 8 MiB per file, 64 MiB expanded. Path length and the zstd/pax fields do not apply.
    limits=Limits(
        max_archive_size=16 * MiB,
        max_manifest_size=64 * KiB,
        max_entries=512,
        max_file_size=8 * MiB,
        max_total_size=64 * MiB,
    ),
    runtime_kinds=("tool", "instance"),  # the two component worlds
    digest_tag=b"yoi-plugin-package-digest-v1\0",
    digest_has_mode=False,
    pack_settings=SIDECAR_NAME,
    # plugin.rs `plugin_stores`: $XDG_DATA_HOME or $HOME/.local/share, then yoi/plugins.
    user_store_base=("XDG_DATA_HOME", ".local/share"),
    user_store_rel="yoi/plugins",
    project_store=".yoi/plugins",
    enablement="yoi-profile",
)

HOSTS: dict[str, Host] = {h.name: h for h in (INSOMNIA, YOI)}


def get_host(name: str) -> Host:
    try:
        return HOSTS[name]
    except KeyError:
        raise UsageError(
            f"unknown host {name!r}",
            rule="host-unknown",
            place="--host",
            hint=f"Use one of: {', '.join(HOSTS)}.",
        ) from None


def host_for_doc(doc: Mapping[str, object], *, place: str = "plugin.toml") -> Host:
    """The host whose manifest shape `doc` has: a top-level key that only that host uses."""
    found = [h for h in HOSTS.values() if h.manifest_key in doc]
    if len(found) == 1:
        return found[0]
    keys = " or ".join(f"`{h.manifest_key}` ({h.title})" for h in HOSTS.values())
    what = "both" if found else "neither"
    raise UsageError(
        f"plugin.toml has {what} of the top-level keys {keys}, so its host is unknown",
        rule="host-unknown",
        place=place,
        hint="Add the key of the host you target, or pass --host insomnia|yoi.",
    )


def host_for_project(root: Path, explicit: str | None = None) -> Host:
    """The host of a plugin folder: `explicit` (--host) if given, else read from plugin.toml.

    An unreadable or unparsable plugin.toml falls back to Insomnia, whose validator then
    reports the real problem with its line and column.
    """
    if explicit:
        return get_host(explicit)
    try:
        doc = tomllib.loads((Path(root) / "plugin.toml").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return INSOMNIA
    return host_for_doc(doc, place=str(Path(root) / "plugin.toml"))


_MAGIC = {b"\x28\xb5\x2f\xfd": INSOMNIA, b"PK\x03\x04": YOI, b"PK\x05\x06": YOI}


def host_for_archive(path: Path, explicit: str | None = None) -> Host:
    """The host of an archive: --host, else its first bytes (zstd frame or ZIP), else its suffix."""
    if explicit:
        return get_host(explicit)
    try:  # as the reader opens it: a FIFO or a device is not waited on (it refuses them)
        with open_regular(Path(path), what=str(path), follow_symlinks=True) as f:
            head = f.read(4)
    except (OSError, FileRefusedError):
        head = b""
    if head in _MAGIC:
        return _MAGIC[head]
    return host_for_name(Path(path).name) or INSOMNIA


def host_for_name(file_name: str) -> Host | None:
    """The host whose archive suffix `file_name` has, or None for any other file."""
    return next((h for h in HOSTS.values() if file_name.endswith(h.suffix)), None)
