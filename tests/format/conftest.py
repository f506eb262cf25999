from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

MANIFEST = """\
manifest_version = 1

[plugin]
id = "weather-tools"
version = "0.3.1"
api = ">=1.0.0, <2.0.0"
runtime = "hooks"
display_name = "Weather tools"
description = "Forecasts and alerts"
license = "MIT"
authors = ["Ada <ada@example.org>"]
keywords = ["weather"]

[runtime]
file = "hooks.toml"

[[tools]]
name = "get_forecast"
description = "Forecast for a place"
input_schema = "schemas/get_forecast.json"

[[hooks]]
event = "pre_tool_use"
file = "hooks.toml"

[capabilities]
network = [{ host = "api.weather.gov", path_prefix = "/" }]
secrets = ["WEATHER_*"]

[package]
include = ["schemas/**", "hooks.toml", "README.md", "LICENSE", "bin/**"]
"""

FILES = {
    "hooks.toml": '[[hook]]\nevent = "pre_tool_use"\naction = "deny"\npattern = "rm -rf *"\n',
    "schemas/get_forecast.json": '{"type": "object", "properties": {"place": {"type": "string"}}}\n',
    "README.md": "# Weather tools\n",
    "LICENSE": "MIT License\n",
    "notes.txt": "not packed\n",
}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content) if rel != "plugin.toml" else content)
    return root


@pytest.fixture
def make_plugin(tmp_path: Path) -> Callable[..., Path]:
    """A valid plugin folder; `manifest=` and `files=` replace or add to the defaults."""

    def make(name: str = "plugin", manifest: str = MANIFEST, files: dict | None = None) -> Path:
        root = tmp_path / name
        root.mkdir()
        return write_tree(root, {"plugin.toml": manifest, **FILES, **(files or {})})

    return make
