"""Start-up: `plugin --help` and `plugin --version` load no heavy dependency, and each everyday
command (validate, pack, inspect, digest for both hosts; install from a file:// catalog, list,
search) imports only what it uses: a module on its deny list fails the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = [
    "github",
    "cookiecutter",
    "jsonschema",
    "watchfiles",
    "wasmtime",
    "mcp",
    "rich",
    "zstandard",
    "minisign",
]
PROBE = """
import sys
from plugin_kit.cli.main import main
try:
    main({args!r})
except SystemExit:
    pass
print("MODULES", " ".join(sorted({{m.split('.')[0] for m in sys.modules}})))
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["pack", "--help"], ["catalog", "--help"]]
)
def test_start_up_imports_nothing_heavy(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True
    )
    loaded = set(proc.stdout.rsplit("MODULES", 1)[1].split())
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_help_and_version_import_no_more_than_click(args: list[str]) -> None:
    """Their goal is click's own start-up (issue 15): the library's log routing (logging),
    JSON output and dataclasses load with a command, not before."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True
    )
    loaded = set(proc.stdout.rsplit("MODULES", 1)[1].split())
    assert not loaded & {"logging", "json", "dataclasses"}, loaded & {
        "logging",
        "json",
        "dataclasses",
    }


def test_help_lists_the_format_commands_with_examples() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "plugin_kit", "--help"], capture_output=True, text=True
    ).stdout
    for name in ("validate", "pack", "inspect", "digest"):
        assert name in out
    for name in ("validate", "pack", "inspect", "digest"):
        sub = subprocess.run(
            [sys.executable, "-m", "plugin_kit", name, "--help"], capture_output=True, text=True
        )
        assert sub.returncode == 0 and "Examples:" in sub.stdout


def test_every_listed_command_loads_under_its_name() -> None:
    import click

    from plugin_kit.cli.catalog import _SUBCOMMANDS, catalog
    from plugin_kit.cli.main import _COMMANDS, cli

    for group, table in ((cli, _COMMANDS), (catalog, _SUBCOMMANDS)):
        ctx = click.Context(group)
        for name in table:
            cmd = group.get_command(ctx, name)
            assert isinstance(cmd, click.Command) and cmd.name == name, name
            text = (cmd.help or "") + (cmd.epilog or "")
            assert "Examples" in text or isinstance(cmd, click.Group), name


# Every everyday command: no general-purpose validator, no publisher/author/dev-only stack.
EVERYDAY = [
    *HEAVY[:7],
    "plugin_kit.dev",
    "plugin_kit.scaffold.render",  # scaffold.pins (workflow pins, a few regexes) is allowed
    "plugin_kit.components.build",
    "license_expression",  # the probe's licence is one id: looked up without the parser
]
AUTHOR = [
    *EVERYDAY,
    "plugin_kit.installer",
    "plugin_kit.publisher",
    "minisign",
    "filelock",
    "tomlkit",
]
# Schema documents are loaded only to explain a refusal (importlib.resources, zipfile); the
# compiled checks need no decimal; only writing or extracting needs tempfile and shutil.
NO_SCHEMA_FILES = ["zipfile", "decimal"]
NO_WRITES = [*NO_SCHEMA_FILES, "tempfile", "shutil"]
CHECKER = [*AUTHOR, *NO_WRITES]
# validate hashes nothing: _hashlib loads OpenSSL's libcrypto (content/digest.py imports it late)
VALIDATOR = [*CHECKER, "_hashlib"]
READER = [*CHECKER, "pathspec", "plugin_kit.content.project"]
# No HTTP stack for a file:// catalog (installer/_http.py is imported for http and https only).
NETWORK = ["http", "ssl", "email", "socket", "plugin_kit.installer._http"]
CONSUMER = [
    *EVERYDAY,
    *NETWORK,
    "plugin_kit.publisher",
    "pathspec",
    "plugin_kit.content.project",
]
# tomlkit writes plugins.lock, plugins.toml and catalogs.toml, and filelock guards the writes:
# only commands that write import them.
READ_ONLY = [*CONSUMER, "tomlkit", "filelock"]
# An Insomnia install places into an Insomnia store: Yoi's grants, Profiles and manifest shapes
# are imported only for a Yoi store (installer/place.py).
YOI_SIDE = [
    "plugin_kit.installer.yoi_store",
    "plugin_kit.installer.yoi_grants",
    "plugin_kit.installer.yoi_profiles",
    "plugin_kit.validators.yoi_manifest",
    "plugin_kit.components",
]
COMMAND_PROBE = """
import sys
from plugin_kit.cli.main import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
names = {m for m in sys.modules if m.startswith("plugin_kit.")} | {m.split(".")[0] for m in sys.modules}
print("EXIT", code, "MODULES", " ".join(sorted(names)), file=sys.stderr)
"""
HOOKS = '[[hooks]]\nevent = "pre_tool_use"\naction = "allow"\n'


def _run(env: dict[str, str], cwd: Path, *args: str) -> set[str]:
    """Run one `plugin` command cold; the modules it imported (top-level and plugin_kit.*)."""
    proc = subprocess.run(
        [sys.executable, "-c", COMMAND_PROBE, *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )  # fmt: skip
    tail = proc.stderr.rsplit("EXIT ", 1)[-1]
    assert tail.startswith("0 MODULES"), proc.stderr[-2000:]
    return set(tail.split("MODULES", 1)[1].split())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """Both hosts' small projects and archives, and a signed file:// catalog in a fresh home."""
    from helpers.plugins import MANIFEST
    from helpers.zips import write_yoi_tree

    root = tmp_path_factory.mktemp("startup")
    home = root / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CACHE_HOME": str(home / ".cache")}  # fmt: skip
    ins = root / "ins"
    ins.mkdir()
    manifest = MANIFEST.split("[[tools]]")[0] + '[package]\ninclude = ["hooks.toml"]\n'
    (ins / "plugin.toml").write_text(manifest)
    (ins / "hooks.toml").write_text(HOOKS)
    write_yoi_tree(root / "yoi")
    for args in (
        ["pack", "ins", "-o", "dist"],
        ["pack", "--no-build", "yoi", "-o", "dist"],
        ["keygen", "-o", "k", "--no-password"],
        ["publish", "dist/weather-tools-0.3.1.insomnia-plugin", "--target", "dir:site", "--key", "k.key"],
    ):  # fmt: skip
        _run(env, root, *args)
    pub = (root / "k.pub").read_text().splitlines()[-1]
    url = (root / "site/catalog/extensions.json").as_uri()
    _run(env, root, "catalog", "add", url, "--name", "probe", "--pubkey", pub)
    return env, root


EVERYDAY_COMMANDS = [
    (["validate", "ins"], [*VALIDATOR, "plugin_kit.components"]),  # Yoi's component reader
    (["validate", "yoi"], VALIDATOR),
    (["pack", "ins", "-o", "out"], [*AUTHOR, *NO_SCHEMA_FILES, "plugin_kit.components"]),
    (["pack", "--no-build", "yoi", "-o", "out"], [*AUTHOR, *NO_SCHEMA_FILES]),
    (["inspect", "dist/weather-tools-0.3.1.insomnia-plugin"], READER),
    (["inspect", "dist/example.tool-0.1.0.yoi-plugin"], READER),
    (["digest", "dist/weather-tools-0.3.1.insomnia-plugin"], READER),
    (["digest", "dist/example.tool-0.1.0.yoi-plugin"], READER),
    (["search", "weather"], [*READ_ONLY, *NO_WRITES, "minisign", "zstandard", "plugin_kit.packer"]),
    (["install", "weather-tools", "--yes"], [*CONSUMER, *YOI_SIDE]),
    # No Yoi store or config folder in this home: Yoi's discovery is not imported.
    (
        ["list"],
        [
            *READ_ONLY,
            "minisign",
            "plugin_kit.installer.yoi_discover",
            "plugin_kit.installer.yoi_profiles",
            "plugin_kit.validators.yoi_shape",
        ],
    ),
]


@pytest.mark.parametrize(
    ("args", "deny"), EVERYDAY_COMMANDS, ids=[" ".join(a[:2]) for a, _ in EVERYDAY_COMMANDS]
)
def test_everyday_command_imports_only_what_it_uses(
    world, args: list[str], deny: list[str]
) -> None:
    env, root = world
    loaded = _run(env, root, *args)
    assert "plugin_kit.cli.main" in loaded  # the probe ran the command
    assert not loaded & set(deny), sorted(loaded & set(deny))
