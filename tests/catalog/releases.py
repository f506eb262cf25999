"""Real releases for catalog tests: a tiny hooks plugin packed by the real packer, signed, summed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from plugin_kit.packer.writer import pack
from plugin_kit.signing.keys import SecretKey
from plugin_kit.signing.release import asset_trusted_comment
from plugin_kit.signing.signatures import write_signature
from plugin_kit.signing.sums import format_sums

HOOKS = '[[hooks]]\nevent = "pre_tool_use"\naction = "allow"\n'


def write_project(root: Path, plugin_id: str, version: str, capabilities: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "plugin.toml").write_text(
        f"""manifest_version = 1

[plugin]
id = "{plugin_id}"
version = "{version}"
api = ">=1.0.0, <2.0.0"
runtime = "hooks"
display_name = "Plugin {plugin_id}"
description = "A test plugin"
license = "MIT"
keywords = ["test"]

[runtime]
file = "hooks.toml"

[capabilities]
{capabilities}
"""
    )
    (root / "hooks.toml").write_text(HOOKS)
    return root


def make_release(
    base: Path,
    key: SecretKey,
    plugin_id: str,
    version: str,
    capabilities: str = "",
    *,
    tag: str | None = None,
) -> Path:
    """`base/<tag>/` holding the archive, its .minisig, SHA256SUMS and SHA256SUMS.minisig."""
    project = write_project(
        base / "src" / f"{plugin_id}-{version}", plugin_id, version, capabilities
    )
    folder = base / (tag or f"v{version}")
    folder.mkdir(parents=True, exist_ok=True)
    archive = pack(project, folder, run_build=False).path
    comment = asset_trusted_comment(archive.name, plugin_id, version, timestamp=1700000000)
    write_signature(archive, key, trusted_comment=comment)
    sums = folder / "SHA256SUMS"
    listed = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.insomnia-plugin")
    }
    sums.write_bytes(format_sums(listed))
    write_signature(
        sums,
        key,
        trusted_comment=asset_trusted_comment(sums.name, plugin_id, version, timestamp=1700000000),
    )
    return folder
