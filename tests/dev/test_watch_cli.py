"""`plugin dev --watch --json` as a subprocess: edit, break, fix, Ctrl-C; events read line by line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from dev.plugins import (
    VENV_BIN,
    atomic_write,
    children,
    hooks_plugin,
    mcp_plugin,
    pid_alive,
    wasm_plugin,
)

from plugin_kit.packer.digest import digest_path

# One real edit per scaffolded runtime: a hook's text, the WAT's output key, the server's tool.
EDITS = {
    "hooks": ("hooks.toml", lambda t: t.replace("Prefer small", "Prefer very small")),
    "wasm": ("src/plugin.wat", lambda t: t.replace(r'"{\22echo\22:"', r'"{\22ECHO\22:"')),
    "mcp": ("*/server.py", lambda t: t.replace('"""Count the words', '"""Count all the words')),
}
MAKERS = {"hooks": hooks_plugin, "wasm": wasm_plugin, "mcp": mcp_plugin}


def scaffold(runtime: str, dest: Path) -> Path:
    subprocess.run(
        [str(VENV_BIN / "create-plugin"), str(dest), "--runtime", runtime, "--no-input", "--no-git"],
        check=True, capture_output=True,
    )  # fmt: skip
    return dest


def edit(root: Path, pattern: str, change) -> None:
    [path] = root.glob(pattern)
    before = path.read_text()
    assert change(before) != before, "the edit must change the file"
    atomic_write(path, change(before))


@pytest.mark.parametrize("runtime", ["hooks", "wasm", "mcp"])
def test_scaffold_edit_break_fix_interrupt(runtime, tmp_path, dev_process):
    root = scaffold(runtime, tmp_path / f"{runtime}-plugin")
    temp_before = set(os.listdir(os.environ["TMPDIR"]))
    dev = dev_process(["--watch", "--json"], cwd=root, env={"SECRET_TOKEN": "hunter2"})
    assert dev.next("watching")["polling"] is None
    first = dev.next("reloaded", "error")
    assert first["event"] == "reloaded", first
    pids = {first["offers"]["pid"]}

    edit(root, *EDITS[runtime])
    second = dev.next("reloaded", "error")
    assert second["event"] == "reloaded", second
    assert second["digest"] == digest_path(root) != first["digest"]
    pids.add(second["offers"]["pid"])

    manifest = (root / "plugin.toml").read_text()
    atomic_write(root / "plugin.toml", manifest.replace('version = "0.1.0"', 'version = "x"'))
    broken = dev.next("reloaded", "error")
    assert broken["event"] == "error"
    assert broken["error"]["place"].endswith("plugin.toml:plugin.version")
    assert broken["loaded"] == second["digest"]

    atomic_write(root / "plugin.toml", manifest.replace('version = "0.1.0"', 'version = "0.2.0"'))
    fixed = dev.next("reloaded", "error")
    assert fixed["event"] == "reloaded" and fixed["version"] == "0.2.0", fixed
    pids.add(fixed["offers"]["pid"])

    helpers = children(dev.proc.pid)  # servers and the warm spare
    assert dev.interrupt() == 0
    assert dev.next("stopped")
    assert not [p for p in helpers if pid_alive(p)], "a child process outlived plugin dev"
    if runtime == "mcp":
        assert len(pids) == 3, "each reload starts a new server"
        assert not [p for p in pids if pid_alive(p)]
    assert set(os.listdir(os.environ["TMPDIR"])) == temp_before, "temp files left behind"


@pytest.mark.parametrize("runtime", ["wasm", "mcp"])
def test_undeclared_secret_is_invisible_and_reported(runtime, tmp_path, dev_process):
    root = MAKERS[runtime](tmp_path / "p", secrets=())
    call = (
        ["--call", "getenv"]
        if runtime == "wasm"
        else ["--call", "echo", "--input", '{"text": "x"}']
    )
    dev = dev_process([*call, "--json"], cwd=root, env={"SECRET_TOKEN": "hunter2"})
    event = dev.next("reloaded", "error")
    assert dev.proc.wait(timeout=60) == 0
    output = event["probe"]["call"]["output"]
    if runtime == "wasm":
        assert output == {"env": ""}
    else:
        assert output["secret"] is None
    caps = event["offers"]["capabilities"]
    assert "SECRET_TOKEN" not in caps["env_passed"]
    assert caps["env_withheld"] >= 1
    assert "hunter2" not in str(event)
    if runtime == "mcp":
        assert caps["not_enforced"] == ["filesystem", "network", "process"]
        assert not pid_alive(event["offers"]["pid"])


def test_polling_picks_up_the_last_write_of_a_burst(tmp_path, dev_process):
    root = hooks_plugin(tmp_path / "p")
    dev = dev_process(["--watch", "--poll", "--json"], cwd=root)
    assert dev.next("watching")["polling"] == "--poll"
    dev.next("reloaded")
    hooks = (root / "hooks.toml").read_text()
    for n in range(5):  # a burst within about a second: the poller sees one change per mtime second
        (root / "hooks.toml").write_text(hooks.replace("Be brief.", f"Be brief {n}."))
    final = digest_path(root)
    while (event := dev.next("reloaded", "error"))["digest"] != final:
        assert event["event"] == "reloaded"
    assert dev.interrupt() == 0


def test_once_with_error_exits_non_zero(tmp_path, dev_process):
    root = hooks_plugin(tmp_path / "p")
    (root / "hooks.toml").write_text('[[hooks]]\nevent = "pre_tool_use"\naction = "nuke"\n')
    dev = dev_process(["--json"], cwd=root)
    event = dev.next("error", "reloaded")
    assert event["error"]["rule"] == "hooks-invalid"
    assert (
        event["error"]["place"] == "hooks.toml:hooks[0].action"
    )  # found by validation, as pack does
    assert dev.proc.wait(timeout=60) == 1
