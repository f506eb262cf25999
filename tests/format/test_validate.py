"""One failing manifest per schema and semantic rule, each reported with its field path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.plugins import MANIFEST

from plugin_kit.content.project import validate_project


def swap(old: str, new: str) -> str:
    assert old in MANIFEST, old
    return MANIFEST.replace(old, new)


# (id, manifest text, extra files, rule, field path)
CASES = [
    (
        "unknown-version",
        swap("manifest_version = 1", "manifest_version = 7"),
        {},
        "manifest-version",
        "manifest_version",
    ),
    ("bad-toml", MANIFEST + "\n[plugin\n", {}, "manifest-parse", ""),
    ("unknown-key", 'surprise = "x"\n' + MANIFEST, {}, "manifest-schema", ""),
    ("unknown-table-key", MANIFEST + '\nsurprise = "x"\n', {}, "manifest-schema", "package"),
    (
        "id-pattern",
        swap('id = "weather-tools"', 'id = "Weather_Tools"'),
        {},
        "manifest-schema",
        "plugin.id",
    ),
    ("id-short", swap('id = "weather-tools"', 'id = "wt"'), {}, "manifest-schema", "plugin.id"),
    (
        "id-trailing-dash",
        swap('id = "weather-tools"', 'id = "weather-"'),
        {},
        "manifest-schema",
        "plugin.id",
    ),
    (
        "runtime-kind",
        swap('runtime = "hooks"', 'runtime = "python"'),
        {},
        "manifest-schema",
        "plugin.runtime",
    ),
    (
        "missing-description",
        swap('description = "Forecasts and alerts"\n', ""),
        {},
        "manifest-schema",
        "plugin",
    ),
    (
        "tool-name",
        swap('name = "get_forecast"', 'name = "get forecast"'),
        {},
        "manifest-schema",
        "tools[0].name",
    ),
    (
        "tool-schema-type",
        swap('input_schema = "schemas/get_forecast.json"', "input_schema = 3"),
        {},
        "manifest-schema",
        "tools[0].input_schema",
    ),
    (
        "hook-event",
        swap('event = "pre_tool_use"', 'event = "on_boot"'),
        {},
        "manifest-schema",
        "hooks[0].event",
    ),
    (
        "secret-pattern",
        swap('secrets = ["WEATHER_*"]', 'secrets = ["weather key"]'),
        {},
        "manifest-schema",
        "capabilities.secrets[0]",
    ),
    (
        "fs-scope",
        MANIFEST.replace("[capabilities]\n", '[capabilities]\nfilesystem = { read = ["/etc"] }\n'),
        {},
        "manifest-schema",
        "capabilities.filesystem.read[0]",
    ),
    (
        "repository-http",
        swap('keywords = ["weather"]', 'keywords = ["weather"]\nrepository = "http://x.org"'),
        {},
        "manifest-schema",
        "plugin.repository",
    ),
    ("semver", swap('version = "0.3.1"', 'version = "0.3.01"'), {}, "semver", "plugin.version"),
    (
        "api-range",
        swap('api = ">=1.0.0, <2.0.0"', 'api = "about one"'),
        {},
        "api-range",
        "plugin.api",
    ),
    (
        "api-range-partial",
        swap('api = ">=1.0.0, <2.0.0"', 'api = ">=1.0"'),
        {},
        "api-range",
        "plugin.api",
    ),
    (
        "license",
        swap('license = "MIT"', 'license = "MIT OR Bogus-9"'),
        {},
        "license-spdx",
        "plugin.license",
    ),
    (
        "host-url",
        swap('host = "api.weather.gov"', 'host = "https://api.weather.gov/v1"'),
        {},
        "capability-host",
        "capabilities.network[0].host",
    ),
    (
        "host-port",
        swap('host = "api.weather.gov"', 'host = "api.weather.gov:443"'),
        {},
        "capability-host",
        "capabilities.network[0].host",
    ),
    (
        "runtime-keys",
        swap('file = "hooks.toml"\n\n[[tools]]', 'module = "m.wasm"\n\n[[tools]]'),
        {},
        "runtime-keys",
        "runtime",
    ),
    (
        "runtime-wrong-key",
        swap('[runtime]\nfile = "hooks.toml"', '[runtime]\ncommand = ["python"]'),
        {},
        "runtime-keys",
        "runtime",
    ),
    (
        "file-missing",
        swap('input_schema = "schemas/get_forecast.json"', 'input_schema = "schemas/nope.json"'),
        {},
        "file-missing",
        "tools[0].input_schema",
    ),
    (
        "file-not-packed",
        swap('input_schema = "schemas/get_forecast.json"', 'input_schema = "notes.txt"'),
        {},
        "file-missing",
        "tools[0].input_schema",
    ),
    (
        "schema-invalid-json",
        MANIFEST,
        {"schemas/get_forecast.json": "{not json"},
        "json-schema",
        "tools[0].input_schema",
    ),
    (
        "schema-invalid-schema",
        MANIFEST,
        {"schemas/get_forecast.json": '{"type": 12}'},
        "json-schema",
        "tools[0].input_schema",
    ),
    (
        "hooks-action",
        MANIFEST,
        {"hooks.toml": '[[hooks]]\nevent = "pre_tool_use"\naction = "block"\n'},
        "hooks-invalid",
        "hooks[0].action",
    ),
    (
        "hooks-singular-table",
        MANIFEST,
        {"hooks.toml": '[[hook]]\nevent = "pre_tool_use"\naction = "deny"\n'},
        "hooks-invalid",
        "hook",
    ),
    (
        "hooks-unknown-key",
        MANIFEST,
        {"hooks.toml": '[[hooks]]\nevent = "pre_tool_use"\naction = "deny"\nrun = "rm -rf /"\n'},
        "hooks-invalid",
        "hooks[0].run",
    ),
    (
        "hooks-context-without-text",
        MANIFEST,
        {"hooks.toml": '[[hooks]]\nevent = "session_start"\naction = "context"\n'},
        "hooks-invalid",
        "hooks[0].context",
    ),
    (
        "hooks-pattern",
        MANIFEST,
        {"hooks.toml": '[[hooks]]\nevent = "pre_tool_use"\naction = "deny"\npattern = "(["\n'},
        "hooks-invalid",
        "hooks[0].pattern",
    ),
    ("hooks-not-toml", MANIFEST, {"hooks.toml": "[[hooks]\n"}, "hooks-invalid", ""),
    (
        "duplicate-tool",
        MANIFEST + '\n[[tools]]\nname = "get_forecast"\ndescription = "again"\n',
        {},
        "tool-duplicate",
        "tools[1].name",
    ),
]

WASM_MANIFEST = (
    swap('runtime = "hooks"', 'runtime = "wasm"')
    .replace('[runtime]\nfile = "hooks.toml"', '[runtime]\nmodule = "module.wasm"')
    .replace('"hooks.toml", "README.md"', '"hooks.toml", "module.wasm", "README.md"')
)
START_MODULE = bytes.fromhex(
    "0061736d0100000001040160000003020100070a01065f737461727400000a040102000b"
)


@pytest.mark.parametrize(
    ("manifest", "files", "rule", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_is_reported_with_field_path(
    make_plugin, manifest: str, files: dict, rule: str, field: str
) -> None:
    report = validate_project(make_plugin(manifest=manifest, files=files))
    assert not report.ok
    matching = [p for p in report.problems if p.rule == rule]
    assert matching, [p.to_dict() for p in report.problems]
    assert any(p.field == field for p in matching), [p.field for p in matching]
    assert all(p.hint and p.phase for p in report.problems)


@pytest.mark.parametrize(
    ("module", "fragment"),
    [(b"\x7fELF not wasm", "bad magic"), (bytes.fromhex("0061736d01000000"), "_start")],
    ids=["not-wasm", "no-start-export"],
)
def test_wasm_module_checks(make_plugin, module: bytes, fragment: str) -> None:
    report = validate_project(make_plugin(manifest=WASM_MANIFEST, files={"module.wasm": module}))
    assert [p.rule for p in report.problems] == ["wasm-module"]
    assert fragment in report.problems[0].message and report.problems[0].field == "runtime.module"


def test_wasm_command_module_is_valid(make_plugin) -> None:
    assert validate_project(
        make_plugin(manifest=WASM_MANIFEST, files={"module.wasm": START_MODULE})
    ).ok


def test_every_problem_is_reported_at_once(make_plugin) -> None:
    text = swap('license = "MIT"', 'license = "Nope-1"').replace(
        'host = "api.weather.gov"', 'host = "http://x"'
    )
    report = validate_project(make_plugin(manifest=text, files={"schemas/get_forecast.json": "{"}))
    assert {"license-spdx", "capability-host", "json-schema"} <= {p.rule for p in report.problems}


def test_warnings_do_not_fail(make_plugin) -> None:
    text = MANIFEST.replace('"README.md", "LICENSE", ', "")
    report = validate_project(make_plugin(manifest=text))
    assert report.ok
    assert {w.rule for w in report.warnings} == {"no-license", "no-readme"}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "plugin_kit", "validate", *args], capture_output=True, text=True
    )


def test_cli_exit_codes_and_json(make_plugin, tmp_path: Path) -> None:
    good = make_plugin("good")
    assert _cli(str(good)).returncode == 0
    assert _cli(str(good / "plugin.toml")).returncode == 0
    bad = make_plugin("bad", manifest=swap('version = "0.3.1"', 'version = "x.y.z"'))
    proc = _cli(str(bad), "--json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["valid"] is False and data["problems"][0]["field"] == "plugin.version"
    assert {"file", "field", "phase", "message", "hint", "rule"} <= set(data["problems"][0])
    human = _cli(str(bad))
    assert "plugin.version" in human.stderr and "hint:" in human.stderr
    assert _cli(str(tmp_path / "missing")).returncode == 2
    assert _cli(str(good / "README.md")).returncode == 2
    assert _cli("--bogus-flag").returncode == 2


def test_cli_names_the_hooks_file_and_field(make_plugin) -> None:
    bad = make_plugin(files={"hooks.toml": '[[hooks]]\nevent = "pre_tool_use"\naction = "block"\n'})
    proc = _cli(str(bad))
    assert proc.returncode == 1, proc.stdout
    assert "error[hooks-invalid] hooks.toml hooks[0].action" in proc.stderr
    assert "'block' is not one of" in proc.stderr
