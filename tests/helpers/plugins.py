"""A valid example plugin used across the format tests."""

from __future__ import annotations

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
    "hooks.toml": '[[hooks]]\nevent = "pre_tool_use"\naction = "deny"\npattern = "rm -rf *"\n',
    "schemas/get_forecast.json": '{"type": "object", "properties": {"place": {"type": "string"}}}\n',
    "README.md": "# Weather tools\n",
    "LICENSE": "MIT License\n",
    "notes.txt": "not packed\n",
}

INCLUDE_LINE = 'include = ["schemas/**", "hooks.toml", "README.md", "LICENSE", "bin/**"]'
