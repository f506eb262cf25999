"""Risk and capability summary (catalog/risk.py): the documented rules, row by row."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from plugin_kit.catalog.risk import RISK_LEVELS, Requests, assess, requests_from
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
        requests_from(replace(YOI, name="future"), {}, "tool")
    assert err.value.rule == "risk-host-unsupported"


_TEXT = st.text(alphabet=st.sampled_from("aZ09-./_*é\n\x1b\u202e "), max_size=12)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=12,
)
_KEYS = st.sampled_from(["network", "secrets", "filesystem", "process", "rate_limits", "camera"])
_CAPS = st.dictionaries(_KEYS | _TEXT, _JSON, max_size=5)


@given(_CAPS, st.sampled_from(["hooks", "wasm", "mcp", "", "other"]))
def test_any_entry_is_judged_without_error_on_one_line(caps: dict, runtime: str) -> None:
    """A catalog entry is untrusted JSON: whatever its shape, a level and one printable line."""
    risk = _assess(caps, runtime)
    assert risk.level in RISK_LEVELS
    assert risk.summary.isprintable()


@given(_CAPS, _KEYS, _JSON, st.sampled_from(["hooks", "wasm", "mcp"]))
def test_asking_for_more_never_lowers_the_risk(
    caps: dict, key: str, value: object, runtime: str
) -> None:
    assume(key not in caps)  # replacing a request may ask for less; adding one may not
    more = {**caps, key: value}
    before, after = _assess(caps, runtime).level, _assess(more, runtime).level
    assert RISK_LEVELS.index(after) >= RISK_LEVELS.index(before)


_LABEL = st.sampled_from(
    ["surfaces.tool", "tool.echo", "host_api.request", "host_api.websocket", "host_api.fs",
     "external_write", "tool_namespace.Ex.", "host_api.gpu", "camera.front", "surfaces."]
) | _TEXT  # fmt: skip
_TARGET = st.fixed_dictionaries(
    {},
    optional={
        "scheme": st.sampled_from(["https", "wss", "*", " HTTP "]) | _TEXT,
        "host": st.sampled_from(["api.example.com", "*", "*.example.org", "Ünï.example"]) | _TEXT,
        "port": st.integers(-1, 70000) | st.booleans(),
        "methods": st.lists(st.sampled_from(["GET", "post", "TRACE"]) | _TEXT, max_size=3),
        "path_prefixes": st.lists(st.sampled_from(["/v1/", "/", "v2"]) | _TEXT, max_size=3),
    },
)
_YOI_CAPS = st.fixed_dictionaries(
    {},
    optional={
        "permissions": st.lists(_LABEL, max_size=5) | _JSON,
        "request": st.lists(_TARGET, max_size=3) | _JSON,
        "websocket": st.lists(_TARGET, max_size=3) | _JSON,
        "network": _JSON,
    },
)


@given(_YOI_CAPS, st.sampled_from(["tool", "instance", ""]))
def test_any_yoi_entry_is_judged_without_error_on_one_line(caps: dict, runtime: str) -> None:
    risk = assess(requests_from(YOI, caps, runtime))
    assert risk.level in RISK_LEVELS and risk.summary.isprintable()


@given(_YOI_CAPS, st.sampled_from(["permissions", "request", "websocket"]), _LABEL, _TARGET)
def test_a_yoi_entry_asking_for_more_never_has_a_lower_risk(
    caps: dict, key: str, label: str, target: dict
) -> None:
    assume(isinstance(caps.get(key, []), list))
    more = {**caps, key: [*caps.get(key, []), label if key == "permissions" else target]}
    before = assess(requests_from(YOI, caps, "tool")).level
    after = assess(requests_from(YOI, more, "tool")).level
    assert RISK_LEVELS.index(after) >= RISK_LEVELS.index(before)
