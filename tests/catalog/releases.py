"""Real releases for catalog tests: a tiny plugin of either host packed by the real packer,
signed, summed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from helpers.zips import write_yoi_tree

from plugin_kit.hosts import HOSTS
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


# A Yoi tool that calls one HTTPS API below /v1/ (medium risk by catalog/risk.py).
YOI_REQUESTS = """permissions = [
  { kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" },
  { kind = "host_api", api = "request" },
]

[[request]]
scheme = "https"
host = "api.example.com"
methods = ["GET"]
path_prefixes = ["/v1/"]
"""
YOI_TOOL = """
[[tools]]
name = "echo"
description = "Echo"
input_schema = { type = "object", properties = { text = { type = "string" } } }
"""


def write_yoi_project(root: Path, plugin_id: str, version: str, requests: str = "") -> Path:
    """A Yoi tool-world package; `requests` is top-level TOML (permissions, targets). The tool
    `echo` is declared when `requests` asks for it."""
    tool = YOI_TOOL if '{ kind = "tool", name = "echo" }' in requests else ""
    manifest = (
        f'schema_version = 1\nid = "{plugin_id}"\nname = "Yoi {plugin_id}"\n'
        f'version = "{version}"\ndescription = "A Yoi test plugin"\n{requests}\n'
        '[runtime]\nkind = "wasm-component"\ncomponent = "plugin.component.wasm"\n'
        'world = "yoi:plugin/tool@1.0.0"\n' + tool
    )
    return write_yoi_tree(root, {"plugin.toml": manifest})


def make_yoi_release(
    base: Path, key: SecretKey, plugin_id: str, version: str, requests: str = "", **kw: str
) -> Path:
    """make_release for a .yoi-plugin package."""
    return make_release(base, key, plugin_id, version, requests, write=write_yoi_project, **kw)


def make_release(
    base: Path,
    key: SecretKey,
    plugin_id: str,
    version: str,
    capabilities: str = "",
    *,
    tag: str | None = None,
    write=write_project,
) -> Path:
    """`base/<tag>/` holding the archive(s), .minisig, SHA256SUMS and SHA256SUMS.minisig."""
    project = write(base / "src" / f"{plugin_id}-{version}", plugin_id, version, capabilities)
    folder = base / (tag or f"v{version}")
    folder.mkdir(parents=True, exist_ok=True)
    archive = pack(project, folder, run_build=False).path
    comment = asset_trusted_comment(archive.name, plugin_id, version, timestamp=1700000000)
    write_signature(archive, key, trusted_comment=comment)
    sums = folder / "SHA256SUMS"
    listed = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for host in HOSTS.values()
        for p in folder.glob("*" + host.suffix)
    }
    sums.write_bytes(format_sums(listed))
    write_signature(
        sums,
        key,
        trusted_comment=asset_trusted_comment(sums.name, plugin_id, version, timestamp=1700000000),
    )
    return folder
