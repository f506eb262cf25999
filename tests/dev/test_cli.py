"""`plugin dev` in-process: usage errors exit 2 before anything runs; a one-off run shows offers and grants."""

from __future__ import annotations

import json
import signal

import pytest
from dev.plugins import hooks_plugin, wasm_plugin

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli


def dev(*args: str) -> int:
    return run(cli, ["dev", *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "{}"], "--input needs --call TOOL"),
        (["--call", "echo", "--input", "{nope"], "--input is not valid JSON"),
        (["--call", "echo", "--input", "[1]"], "--input must be a JSON object"),
        (["--event", "missing.json"], "cannot read the event file"),
    ],
)
def test_usage_errors_exit_2_and_build_nothing(tmp_path, capsys, args, message):
    root = hooks_plugin(tmp_path / "p")
    assert dev(str(root), *args) == 2
    assert message in capsys.readouterr().err
    assert not (root / ".insomnia").exists()


def test_event_file_that_is_not_utf8_is_a_usage_error(tmp_path, capsys):
    root = hooks_plugin(tmp_path / "p")
    (tmp_path / "event.json").write_bytes(b"\xff\x00{")
    assert dev(str(root), "--event", str(tmp_path / "event.json")) == 2
    assert "is not valid JSON" in capsys.readouterr().err
    assert not (root / ".insomnia").exists()


@pytest.mark.parametrize("watch", [[], ["--watch"]])
def test_missing_plugin_folder_is_a_usage_error(tmp_path, capsys, watch):
    assert dev(str(tmp_path / "nowhere"), *watch) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()


def test_event_file_must_be_an_object(tmp_path, capsys):
    root = hooks_plugin(tmp_path / "p")
    (tmp_path / "event.json").write_text("[]")
    assert dev(str(root), "--event", str(tmp_path / "event.json")) == 2
    assert "the event must be a JSON object" in capsys.readouterr().err


def test_once_human_report(tmp_path, capsys):
    root = wasm_plugin(tmp_path / "p")
    before = signal.getsignal(signal.SIGINT)
    assert dev(str(root), "--call", "echo", "--input", '{"a": 1}') == 0
    out = capsys.readouterr().out
    assert out.startswith("reloaded dev-test 0.1.0 sha256:")
    assert "  tool   echo: echo tool" in out
    assert "  grant  network []: enforced" in out
    assert '  call   {"is_error": false, "output": {"a": 1}' in out
    assert signal.getsignal(signal.SIGINT) is before, "the command restores the caller's handlers"


def test_once_json_is_one_line(tmp_path, capsys):
    root = hooks_plugin(tmp_path / "p")
    (tmp_path / "e.json").write_text(json.dumps({"event": "session_start"}))
    assert dev(str(root), "--json", "--event", str(tmp_path / "e.json")) == 0
    [line] = capsys.readouterr().out.splitlines()
    event = json.loads(line)
    assert event["event"] == "reloaded"
    assert event["probe"]["hooks"]["context"] == ["Be brief."]


def test_once_with_a_failing_event_probe_exits_1(tmp_path, capsys):
    root = hooks_plugin(tmp_path / "p")
    (tmp_path / "e.json").write_text(json.dumps({"event": "no_such_event"}))
    assert dev(str(root), "--json", "--event", str(tmp_path / "e.json")) == 1
    [line] = capsys.readouterr().out.splitlines()
    event = json.loads(line)
    assert event["event"] == "reloaded"  # the version loaded; its probe failed
    assert "no_such_event" in event["probe"]["hooks"]["error"]["message"]


def test_once_with_a_failing_call_exits_1_and_says_why(tmp_path, capsys):
    root = wasm_plugin(tmp_path / "p")
    assert dev(str(root), "--call", "spin") == 1
    out, err = capsys.readouterr()
    assert "wasm-fuel-exhausted" in out  # the call's result, with the offers
    assert "probe failed" in err and "probe failed" not in out  # the failure, with the errors


def test_once_calling_an_undeclared_tool_exits_1(tmp_path, capsys):
    root = wasm_plugin(tmp_path / "p")
    assert dev(str(root), "--json", "--call", "nope") == 1
    event = json.loads(capsys.readouterr().out)
    assert event["probe"]["call"]["is_error"] is True


def test_polling_is_automatic_on_wsl1_and_wsl2(monkeypatch):
    import platform

    from plugin_kit.dev.watch import polling_mode

    monkeypatch.delenv("WATCHFILES_FORCE_POLLING", raising=False)
    for release, expected in (
        ("4.4.0-19041-Microsoft", "WSL detected"),
        ("5.15.153.1-microsoft-standard-WSL2", "WSL detected"),
        ("6.1.0-18-amd64", None),
    ):
        monkeypatch.setattr(
            platform,
            "uname",
            lambda r=release: platform.uname_result("Linux", "h", r, "", "x86_64"),
        )
        assert polling_mode(False) == expected
    assert polling_mode(True) == "--poll"
