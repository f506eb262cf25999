"""Risk and capability summary (catalog/risk.py): the documented rules, row by row."""

from __future__ import annotations

import pytest

from plugin_kit.catalog.risk import Requests, assess, requests_from
from plugin_kit.errors import UsageError
from plugin_kit.hosts import INSOMNIA, YOI


def _assess(caps: dict, runtime: str):
    return assess(requests_from(INSOMNIA, caps, runtime))


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
        # An untrusted entry whose parts have an odd shape is judged as unknown, never as absent.
        ({"network": ["api.weather.gov"]}, "wasm", "high"),
        ({"secrets": "WEATHER_KEY"}, "wasm", "high"),
        ({"filesystem": ["workspace"]}, "wasm", "high"),
        ({"process": "yes"}, "wasm", "high"),
    ],
)
def test_risk_levels(caps: dict, runtime: str, risk: str) -> None:
    assert _assess(caps, runtime).level == risk


def test_summary_is_one_line_and_names_what_is_asked() -> None:
    gov = _assess(
        {
            "network": [{"host": "api.weather.gov\nevil", "path_prefix": "/"}],
            "secrets": ["W_*"],
            "camera": 1,
        },
        "mcp",
    )
    assert "\n" not in gov.summary
    for needle in ("api.weather.gov", "W_*", "mcp", "camera"):
        assert needle in gov.summary


def test_the_rule_is_host_neutral() -> None:
    """A second host plugs in a mapping to Requests; the rule itself never sees a manifest."""
    assert assess(Requests()).level == "low"
    assert assess(Requests(fs_read=("/home/ada",))).level == "medium"
    assert assess(Requests(native="service")).level == "high"


def test_a_host_without_a_mapping_is_refused_not_guessed() -> None:
    with pytest.raises(UsageError) as err:
        requests_from(YOI, {}, "wasm-component")
    assert err.value.rule == "risk-host-unsupported"
