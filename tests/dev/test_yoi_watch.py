"""`plugin dev` on a Yoi project: the watch loop as a subprocess (edit, break the WAT, fix it), and
what a one-off run prints: the world, the tools, the host APIs granted and denied, the probe."""

from __future__ import annotations

import json
import os

import pytest
from dev.plugins import atomic_write, hooks_plugin
from dev.yoi_components import core_wat, yoi_project

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli
from plugin_kit.installer.paths import plugin_cache_dir

GREETING = '(data (i32.const 300) "hello")'


def cached_component(digest: str) -> bytes:
    return (
        plugin_cache_dir() / digest.removeprefix("sha256:") / "plugin.component.wasm"
    ).read_bytes()


def test_watch_edit_break_fix(tmp_path, dev_process):
    root = yoi_project(tmp_path / "plugin", core_wat("tool"))
    wat = root / "src" / "component.wat"
    source = wat.read_text()
    assert GREETING in source
    temp_before = set(os.listdir(os.environ["TMPDIR"]))
    dev = dev_process(["--watch", "--json", "--call", "greet", "--input", '{"n": 1}'], cwd=root)
    assert dev.next("watching")
    first = dev.next("reloaded", "error")
    assert first["event"] == "reloaded", first
    assert first["probe"]["call"]["output"]["summary"] == "hello"

    atomic_write(wat, source.replace(GREETING, GREETING.replace("hello", "howdy")))
    second = dev.next("reloaded", "error")
    assert second["event"] == "reloaded", second
    assert second["digest"] != first["digest"]
    assert second["changed"] == ["src/component.wat"]
    assert second["probe"]["call"]["output"]["summary"] == "howdy"
    assert cached_component(second["digest"]) == (root / "plugin.component.wasm").read_bytes()

    atomic_write(wat, source.replace("(module", "(module (not wat", 1))
    broken = dev.next("reloaded", "error")
    assert broken["event"] == "error"
    # the template's `plugin wat2component` runs in-process: wasm-tools' own error, naming the file
    assert broken["error"]["rule"] == "component-build"
    assert broken["error"]["place"].endswith("component.wat")
    assert broken["loaded"] == second["digest"]  # the old component is still the one answering

    atomic_write(wat, source.replace(GREETING, GREETING.replace("hello", "hiya!")))
    fixed = dev.next("reloaded", "error")
    assert fixed["event"] == "reloaded", fixed
    assert fixed["probe"]["call"]["output"]["summary"] == "hiya!"
    assert dev.interrupt() == 0
    assert dev.next("stopped")
    assert set(os.listdir(os.environ["TMPDIR"])) == temp_before, "temp files left behind"


@pytest.mark.parametrize("kind", ["tool", "instance"])
def test_watch_edit_break_fix_on_a_yoi_scaffold(tmp_path, dev_process, kind):
    """The same loop on what `create-plugin --host yoi --no-input` generates (whose allocator
    grows memory, so the host limits' memory.grow guard is in the loop too)."""
    from plugin_kit.cli.create import create

    root = tmp_path / f"demo-{kind}"
    assert run(create, ["--no-input", "--host", "yoi", "--runtime", kind, str(root)]) == 0
    wat = root / "src" / "plugin.wat"
    source = wat.read_text()
    said = "upper-cased the text"
    assert said in source and "memory.grow" in source
    dev = dev_process(
        ["--watch", "--json", "--call", "shout", "--input", '{"text": "hi"}'], cwd=root
    )
    first = dev.next("reloaded", "error")
    assert first["event"] == "reloaded", first
    assert first["probe"]["call"]["output"] == {"summary": said, "content": "HI"}

    atomic_write(wat, source.replace(said, said.upper()))
    second = dev.next("reloaded", "error")
    assert second["event"] == "reloaded" and second["digest"] != first["digest"], second
    assert second["probe"]["call"]["output"]["summary"] == said.upper()

    atomic_write(wat, source.replace("(module", "(module (not wat", 1))
    broken = dev.next("reloaded", "error")
    assert broken["event"] == "error" and broken["error"]["rule"] == "component-build"
    assert broken["loaded"] == second["digest"]

    atomic_write(wat, source)
    fixed = dev.next("reloaded", "error")
    assert fixed["event"] == "reloaded" and fixed["digest"] == first["digest"], fixed
    assert fixed["probe"]["call"]["output"]["summary"] == said
    assert dev.interrupt() == 0


def test_one_off_run_prints_world_tools_host_apis_and_probe(tmp_path, capsys):
    granted = tmp_path / "granted"
    granted.mkdir()
    (granted / "a.txt").write_text("A")
    root = yoi_project(tmp_path / "plugin", core_wat("tool", imports=("fs",)), apis=("fs",),
                       tools=("greet", "read"))  # fmt: skip
    args = ["dev", str(root), "--call", "read", "--input", '{"path": "a.txt"}']
    assert run(cli, [*args, "--grant", f"fs={granted}:read", "--limits", "relaxed"]) == 0
    out = capsys.readouterr().out
    assert "world  yoi:plugin/tool@1.0.0" in out
    assert f"api    fs (imported): granted {granted} read" in out
    assert (
        "api    request (not imported): denied: requested host_api.request permission is missing"
        in out
    )
    assert (
        "the host would refuse: instances: needs 3 core instances; the host allows 1 (2 over)"
        in out
    )
    assert "tool   read: The read tool" in out
    call = json.loads(out.split("  call   ", 1)[1].splitlines()[0])
    assert json.loads(call["output"]["content"])["content"] == "A"

    assert run(cli, args) == 1  # under the host's limits it does not load at all
    assert "[yoi-limit-instances]" in capsys.readouterr().err


def test_bad_grant_is_reported(tmp_path, capsys):
    root = yoi_project(tmp_path / "plugin", core_wat("tool"))
    assert run(cli, ["dev", str(root), "--grant", "network=example.com"]) == 1
    assert "not a grant for a Yoi component" in capsys.readouterr().err


def test_watch_shows_the_probe_for_every_runtime(tmp_path, dev_process):
    """Text mode under --watch prints the probe's result too (it used to be hidden)."""
    import subprocess
    import threading

    from dev.plugins import VENV_BIN

    root = hooks_plugin(tmp_path / "p")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"event": "session_start"}))
    proc = subprocess.Popen([str(VENV_BIN / "plugin"), "dev", "--watch", "--event", str(event)], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    watchdog = threading.Timer(60, proc.kill)  # no line at all must fail the test, not hang it
    watchdog.start()
    try:
        lines = []
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("  hooks "):
                break
        assert "Be brief." in lines[-1], lines
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait()
