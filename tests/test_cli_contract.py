"""One contract for every command: `--json` prints one JSON object on stdout, also for the
usage errors click raises itself (unknown option, missing argument, no such file, unknown
command), with exit 2; "needs the user" is exit 4 everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from plugin_kit.cli._output import run
from plugin_kit.cli.create import create
from plugin_kit.cli.main import cli


def _leaves(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    ctx = click.Context(group)
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        if isinstance(cmd, click.Group):
            out += _leaves(cmd, (*path, name))
        else:
            out.append((*path, name))
    return out


COMMANDS = _leaves(cli)


def _call(capsys: pytest.CaptureFixture[str], group: click.Group, args: list[str]):  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = run(group, args, prog_name="plugin")
    out = capsys.readouterr().out
    return code, out


def _one_error_object(out: str, rule_prefix: str = "usage") -> dict:
    doc = json.loads(out)  # exactly one document: json.loads refuses trailing text
    assert doc["ok"] is False and doc["error"]["phase"] == "usage", doc
    assert doc["error"]["rule"].startswith(rule_prefix) and doc["error"]["message"]
    return doc


def test_the_walk_finds_every_command() -> None:
    assert {("install",), ("catalog", "add"), ("cache", "gc"), ("completion",)} <= set(COMMANDS)
    assert len(COMMANDS) >= 25


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_prints_one_json_error_for_an_unknown_option(capsys, path) -> None:
    code, out = _call(capsys, cli, [*path, "--no-such-option", "--json"])
    assert code == 2
    doc = _one_error_object(out)
    assert doc["error"]["rule"] == "usage.no-such-option"
    assert "--no-such-option" in doc["error"]["message"]


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_takes_verbose_after_its_name(capsys, path) -> None:
    code, out = _call(capsys, cli, [*path, "--verbose", "--help"])  # parsed before --help runs
    assert code == 0 and "-v, --verbose" in out


def test_create_plugin_too(capsys) -> None:
    code, out = _call(capsys, create, ["--no-such-option", "--json"])
    assert code == 2 and _one_error_object(out)["error"]["rule"] == "usage.no-such-option"


def test_missing_argument_no_such_file_and_unknown_command(capsys, tmp_path: Path) -> None:
    code, out = _call(capsys, cli, ["show", "--json"])
    assert code == 2 and _one_error_object(out)["error"]["rule"] == "usage.missing-argument"
    absent = tmp_path / "absent.insomnia-plugin"
    code, out = _call(capsys, cli, ["inspect", str(absent), "--json"])
    doc = _one_error_object(out)
    assert code == 2 and doc["error"]["rule"] == "usage.no-such-file"
    assert doc["error"]["message"].endswith(f"no such file: {absent}")
    capsys.readouterr()
    code = run(cli, ["inspect", str(absent)], prog_name="plugin")
    assert code == 2 and f"no such file: {absent}" in capsys.readouterr().err
    code, out = _call(capsys, cli, ["instal", "--json"])
    doc = _one_error_object(out)
    assert code == 2 and "Did you mean 'install'" in doc["error"]["message"]


def test_a_missing_file_to_verify_is_no_such_file(capsys, tmp_path: Path) -> None:
    from plugin_kit.signing.keys import generate_keypair

    pair = generate_keypair(tmp_path / "k", None)  # a real key, so only the file is missing
    code, out = _call(
        capsys,
        cli,
        ["verify", str(tmp_path / "gone.txt"), "--pubkey-file", str(pair.public_key), "--json"],
    )
    doc = json.loads(out)
    assert code == 1 and doc["error"]["rule"] == "signing.no-such-file"
    assert doc["error"]["message"].startswith("no such file")


def test_an_invalid_plugin_is_ok_false_with_an_error_object(capsys, tmp_path: Path) -> None:
    code, out = _call(capsys, cli, ["validate", str(tmp_path), "--json"])
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False and doc["valid"] is False
    assert doc["error"]["rule"] == doc["problems"][0]["rule"] == "manifest-missing"
    assert doc["error"]["phase"] == "validate" and doc["error"]["place"] == str(tmp_path)


def test_success_objects_all_have_ok(capsys, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    code, out = _call(capsys, cli, ["keygen", "-o", str(tmp_path / "k"), "--no-password", "--json"])
    assert code == 0 and json.loads(out)["ok"] is True


def test_needs_the_user_is_exit_4_for_keygen_and_sign(capsys, tmp_path: Path, monkeypatch) -> None:
    from plugin_kit.signing.keys import generate_keypair

    monkeypatch.delenv("MINISIGN_PASSWORD", raising=False)
    monkeypatch.chdir(tmp_path)
    code, out = _call(capsys, cli, ["keygen", "-o", "k", "--json"])  # pytest's stdin: no terminal
    assert code == 4 and json.loads(out)["error"]["phase"] == "needs-user"
    assert not list(tmp_path.iterdir())
    pair = generate_keypair(tmp_path / "enc", "pw", opslimit=1 << 16, memlimit=1 << 22)
    (tmp_path / "f.txt").write_text("x")
    code, out = _call(capsys, cli, ["sign", "f.txt", "--key", str(pair.secret_key), "--json"])
    doc = json.loads(out)
    assert code == 4 and doc["error"]["rule"] == "signing.key-password-required"


def test_success_objects_of_the_authoring_commands_have_ok(capsys, tmp_path: Path) -> None:
    from helpers.plugins import FILES, MANIFEST

    root = tmp_path / "p"
    for name, text in {"plugin.toml": MANIFEST, **FILES}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
    code, out = _call(capsys, cli, ["pack", str(root), "-o", str(tmp_path / "d"), "--json"])
    assert code == 0 and json.loads(out)["ok"] is True
    archive = json.loads(out)["path"]
    for args in (["validate", str(root)], ["digest", str(root)], ["inspect", archive]):
        code, out = _call(capsys, cli, [*args, "--json"])
        assert code == 0 and json.loads(out)["ok"] is True, args
