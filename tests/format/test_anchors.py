"""Every pattern that guards a name, id, tag or path matches the whole string: no trailing newline.

Python's `$` also matches before a final newline, so `^[a-z]+$` accepts "weather\\n". Schema patterns
end in `$(?!\\n)`, which means "end of input" both in Python's `re` (what jsonschema uses) and in
ECMA-262 (what every other JSON Schema validator uses, checked here with regress); Python code uses
`fullmatch`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
import regress

from plugin_kit.errors import UsageError, VerificationError
from plugin_kit.installer.cache import digest_hex
from plugin_kit.validators.semantic import host_problem
from plugin_kit.validators.versions import VersionRangeError, parse_version

SCHEMAS = sorted(
    p.name
    for p in files("plugin_kit.validators").joinpath("schemas").iterdir()
    if p.name.endswith(".json")
)

# A valid value for every anchored pattern of every shipped schema.
EXAMPLES = {
    r"^[a-z0-9](?:[a-z0-9_-]|\.(?!\.))*(?<!\.)$(?!\n)": "acme.plugins",
    r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$(?!\n)": "weather-tools",
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$(?!\n)": "1.2.3-rc.1+b5",
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$(?!\n)": "2026-01-02T03:04:05Z",
    r"^[0-9a-f]{64}$(?!\n)": "0" * 64,
    r"^[A-Za-z0-9_-]([A-Za-z0-9._-]{0,126}[A-Za-z0-9_-])?(?![\s\S])": "example.echo",
    r"^[A-Za-z0-9._-]+$(?!\n)": "acme.example.Echo",  # a Yoi catalog entry's id
    r"^(?![/~])(?![A-Za-z]:)(?![\s\S]*[\\\u0000-\u001f])(?!([\s\S]*/)?\.{1,2}(/|(?![\s\S])))(?![\s\S]*//)(?![\s\S]*/(?![\s\S]))[\s\S]+": "hooks/summary.md",
    r"^[^\s\u0000-\u001f\u007f-\u009f]{1,128}(?![\s\S])": "echo",
    r"^sha256:[0-9a-f]{64}$(?!\n)": "sha256:" + "0" * 64,
    r"^[^/\\\u0000-\u001f\u007f*\s][^/\\\u0000-\u001f\u007f]*$(?!\n)": "weather-tools-0.3.1.insomnia-plugin",
    r"^(https?|file)://[^\s]+$(?!\n)": "https://example.org/x",
    r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$(?!\n)": "acme/weather",
    r"^[^\s/\\]+$(?!\n)": "v0.3.1",
    r"^RW[A-Za-z0-9+/]{54}$(?!\n)": "RW" + "A" * 54,
    r"^[0-9A-F]{16}$(?!\n)": "0123456789ABCDEF",
    r"^https://[^\s]+$(?!\n)": "https://github.com/acme/weather-tools",
    r"^[a-z0-9][a-z0-9-]{0,31}$(?!\n)": "weather",
    r"^[a-zA-Z][a-zA-Z0-9_-]{0,63}$(?!\n)": "get_forecast",
    r"^[A-Z_][A-Z0-9_]*\*?$(?!\n)": "WEATHER_*",
    r"^[a-z][a-z0-9_]{0,63}$(?!\n)": "outbound_per_minute",
}
# Prefix checks, not guards of a whole value: `path_prefix` must start with "/".
PREFIX_PATTERNS = {
    "^/",
    # Yoi: "not blank" (the host trims), and method/scheme words the host trims and lowercases
    # (plugin.rs PluginRequestGrant/PluginWebSocketGrant): surrounding whitespace is allowed there.
    r"\S",
    r"^\s*([Gg][Ee][Tt]|[Pp][Oo][Ss][Tt]|[Pp][Uu][Tt]|[Pp][Aa][Tt][Cc][Hh]|[Dd][Ee][Ll][Ee][Tt][Ee])\s*(?![\s\S])",
    r"^\s*([Ww][Ss][Ss]?|\*)\s*(?![\s\S])",
}
# Searches under "not" (the `text`, `line` and `prose` definitions): a value is refused if they
# match anywhere, so they need no anchor. Each with: does it find a newline? (`prose` allows one.)
_TERMINAL_CONTROLS = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
FORBIDDEN_PATTERNS = {
    f"[{_TERMINAL_CONTROLS}]": True,  # catalog.schema.json writes the characters themselves
    r"[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]": True,
    r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]": False,
}


def _patterns(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                found.append(value)
            elif key == "patternProperties" and isinstance(value, dict):
                found.extend(value)
            found.extend(_patterns(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_patterns(value))
    return found


def _schema(name: str) -> dict:
    return json.loads(files("plugin_kit.validators").joinpath("schemas", name).read_text("utf-8"))


CASES = sorted({(name, p) for name in SCHEMAS for p in _patterns(_schema(name))})


@pytest.mark.parametrize(("schema", "pattern"), CASES, ids=[f"{s}:{p}" for s, p in CASES])
def test_schema_pattern_refuses_a_trailing_newline(schema: str, pattern: str) -> None:
    if pattern in PREFIX_PATTERNS:
        return
    if pattern in FORBIDDEN_PATTERNS:
        ecma = regress.Regex(pattern, "u")
        assert not re.search(pattern, "Forecasts — Zürich, 東京")
        for bad in ("a\x1b[2J", "a\u202eb", "a\x9b1A", "a\u2028b"):
            assert re.search(pattern, bad) and ecma.find(bad), repr(bad)
        for newline in ("a\n", "\na"):
            found = bool(re.search(pattern, newline))
            assert found is (ecma.find(newline) is not None) is FORBIDDEN_PATTERNS[pattern]
        return
    assert pattern in EXAMPLES, f"{schema}: give an example for the new pattern {pattern!r}"
    good = EXAMPLES[pattern]
    ecma = regress.Regex(pattern, "u")
    for bad in (good + "\n", good + "\n\n", "\n" + good):
        assert re.search(pattern, good) and ecma.find(good), good
        assert not re.search(pattern, bad), f"python re accepts {bad!r}"
        assert ecma.find(bad) is None, f"ECMA-262 accepts {bad!r}"


def test_schema_validators_refuse_a_trailing_newline() -> None:
    from jsonschema import Draft202012Validator, FormatChecker

    for name in SCHEMAS:
        Draft202012Validator.check_schema(_schema(name))  # every pattern is a valid `regex`
    defs = _schema("catalog.schema.json")["$defs"]
    for ref, good in (("plugin_id", "weather"), ("digest", "sha256:" + "0" * 64), ("line", "a b"),
                      ("yoi_id", "example.Echo"), ("yoi_entry_id", "acme.example.Echo")):  # fmt: skip
        schema = {"$defs": defs, "$ref": f"#/$defs/{ref}"}
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        assert validator.is_valid(good) and not validator.is_valid(good + "\n"), ref


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (lambda v: digest_hex(v), "sha256:" + "0" * 64 + "\n"),
        (lambda v: parse_version(v), "1.0.0\n"),
    ],
    ids=["digest", "version"],
)
def test_python_guards_refuse_a_trailing_newline(check, value: str) -> None:
    with pytest.raises((UsageError, VerificationError, VersionRangeError)):
        check(value)


def test_create_plugin_id_refuses_a_trailing_newline() -> None:
    # check_id reads the manifest schema's id pattern with re.match: the pattern itself must hold.
    from plugin_kit.scaffold.answers import check_id

    check_id("weather-tools")
    with pytest.raises(UsageError):
        check_id("weather-tools\n")


def test_manifest_host_refuses_a_trailing_newline() -> None:
    assert host_problem("api.weather.gov") is None
    assert host_problem("api.weather.gov\n") is not None


def test_cli_catalog_add_refuses_a_name_with_a_newline(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "XDG_CACHE_HOME": str(tmp_path / "k"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "plugin_kit", "catalog", "add", "https://example.org/extensions.json",
         "--name", "acme\n", "--yes"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "catalog-name" in proc.stderr
    assert not (tmp_path / "c" / "insomnia" / "catalogs.toml").exists()
