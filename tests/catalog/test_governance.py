"""Risk and capability summary: the documented rules, row by row."""

from __future__ import annotations

import pytest

from plugin_kit.publisher.governance import assess


@pytest.mark.parametrize(
    ("caps", "runtime", "risk"),
    [
        ({}, "hooks", "low"),
        ({"filesystem": {"read": ["workspace"], "write": []}}, "wasm", "low"),
        ({"rate_limits": {"outbound_per_minute": 10}}, "wasm", "low"),
        ({"filesystem": {"read": ["home"]}}, "wasm", "medium"),
        ({"network": [{"host": "api.weather.gov", "path_prefix": "/"}]}, "wasm", "medium"),
        ({"secrets": ["WEATHER_*"]}, "hooks", "medium"),
        ({"network": [{"host": "*.example.org"}]}, "wasm", "high"),
        ({"secrets": ["*"]}, "wasm", "high"),
        ({"filesystem": {"write": ["workspace"]}}, "wasm", "high"),
        ({"process": True}, "wasm", "high"),
        ({}, "mcp", "high"),
        ({"camera": True}, "wasm", "high"),
    ],
)
def test_risk_levels(caps: dict, runtime: str, risk: str) -> None:
    assert assess(caps, runtime).risk == risk


def test_summary_is_one_line_and_names_what_is_asked() -> None:
    gov = assess(
        {
            "network": [{"host": "api.weather.gov\nevil", "path_prefix": "/"}],
            "secrets": ["W_*"],
            "camera": 1,
        },
        "mcp",
    )
    assert "\n" not in gov.capability_summary
    for needle in ("api.weather.gov", "W_*", "mcp", "camera"):
        assert needle in gov.capability_summary
