"""One dev cycle in-process: validate, build, pack, install, reload, probe; errors keep the last good version."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dev.plugins import (
    WAT,
    children,
    hooks_plugin,
    mcp_plugin,
    pid_alive,
    wasm_plugin,
    write_tree,
)

from plugin_kit.dev.session import DevEvent, DevSession, Probe
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.place import place_archive
from plugin_kit.installer.stores import workspace_store
from plugin_kit.packer.digest import digest_path
from plugin_kit.packer.writer import pack


@pytest.fixture
def events() -> list[DevEvent]:
    return []


def run(session: DevSession, events: list[DevEvent]) -> DevEvent | None:
    return session.cycle(events.append)


def test_reload_digest_is_the_packed_content_digest(tmp_path, events):
    root = hooks_plugin(tmp_path / "p")
    session = DevSession(root)
    event = run(session, events)
    assert event is not None and event.event == "reloaded"
    assert event.digest == digest_path(root)
    assert [h["name"] for h in event.offers["hooks"]] == ["no-rm-rf", "remind"]
    assert set(event.ms) >= {"validate", "build", "pack", "install", "load", "probe", "total"}
    store = workspace_store(root)
    assert read_lock(store)["dev-test"].content_digest == event.digest
    session.close()


def test_broken_manifest_keeps_the_previous_version_loaded_until_fixed(tmp_path, events):
    root = hooks_plugin(tmp_path / "p")
    session = DevSession(root)
    first = run(session, events)
    good = (root / "plugin.toml").read_text()
    (root / "plugin.toml").write_text(good.replace('version = "0.1.0"', 'version = "one"'))
    broken = run(session, events)
    assert broken.event == "error"
    assert broken.error["phase"] == "validate"
    assert broken.error["place"].endswith("plugin.toml:plugin.version")
    assert broken.loaded == first.digest
    assert session.host.current.digest == first.digest
    (root / "plugin.toml").write_text(good.replace('version = "0.1.0"', 'version = "0.1.1"'))
    fixed = run(session, events)
    assert fixed.event == "reloaded" and fixed.version == "0.1.1"
    assert session.host.current.digest == fixed.digest != first.digest
    session.close()


def test_unchanged_tree_is_not_rebuilt(tmp_path, events):
    root = hooks_plugin(tmp_path / "p")
    session = DevSession(root)
    run(session, events)
    os.utime(root / "hooks.toml")  # touched, same bytes
    assert run(session, events) is None
    assert len(events) == 1
    session.close()


def test_change_outside_the_package_does_not_reload(tmp_path, events):
    root = hooks_plugin(tmp_path / "p")
    session = DevSession(root)
    first = run(session, events)
    (root / "notes.txt").write_text("not packed\n")
    event = run(session, events)
    assert event.event == "unchanged" and event.digest == first.digest
    session.close()


def test_ignored_paths_do_not_count_as_changes(tmp_path, events):
    root = hooks_plugin(tmp_path / "p")
    session = DevSession(root)
    run(session, events)
    for rel in (
        "dist/x.insomnia-plugin",
        ".git/HEAD",
        "hooks.toml.swp",
        ".hooks.toml.tmp",
        "4913",
        "a~",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("noise")
    assert run(session, events) is None
    session.close()


def test_other_store_packages_and_enablement_are_untouched(tmp_path, events):
    workspace = tmp_path / "ws"
    other = hooks_plugin(tmp_path / "other", id="other-plugin")
    store = workspace_store(workspace)
    place_archive(pack(other, tmp_path / "out").path, store, source={"type": "test"})
    other_bytes = store.archive_path("other-plugin").read_bytes()
    other_entry = read_lock(store)["other-plugin"]
    session = DevSession(hooks_plugin(tmp_path / "p"), workspace=workspace)
    assert run(session, events).event == "reloaded"
    session.close()
    assert store.archive_path("other-plugin").read_bytes() == other_bytes
    assert read_lock(store)["other-plugin"] == other_entry
    assert set(read_lock(store)) == {"other-plugin", "dev-test"}
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "insomnia" / "plugins.toml").exists()


def test_wasm_build_and_probe_call(tmp_path, events):
    root = wasm_plugin(tmp_path / "p")
    (root / "module.wasm").unlink()  # the build makes it
    session = DevSession(root, probe=Probe(call="echo", input={"q": 1}))
    event = run(session, events)
    assert event.event == "reloaded", event.error
    assert event.probe == {
        "call": {"tool": "echo", "output": {"q": 1}, "is_error": False, "stderr": ""}
    }
    # The build's own write of module.wasm is not a change to handle again.
    assert run(session, events) is None
    (root / "src/plugin.wat").write_text(WAT.replace("(func $spin", "(func $unused) (func $spin"))
    second = run(session, events)
    assert second.event == "reloaded" and second.digest != event.digest
    (root / "src/plugin.wat").write_text("(module (func")
    broken = run(session, events)
    assert broken.event == "error" and broken.error["rule"] == "wat2wasm.syntax"
    assert broken.loaded == second.digest
    session.close()


def test_failed_probe_call_is_reported_but_the_version_loads(tmp_path, events):
    session = DevSession(wasm_plugin(tmp_path / "p"), probe=Probe(call="spin"))
    event = run(session, events)
    assert event.event == "reloaded"
    assert event.probe["call"]["error"]["rule"] == "wasm-fuel-exhausted"
    session.close()


def test_mcp_reload_replaces_the_server_process(tmp_path, events, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    monkeypatch.setenv("WEATHER_KEY", "k1")
    root = mcp_plugin(tmp_path / "p")
    session = DevSession(root, probe=Probe(call="echo", input={"text": "x"}))
    first = run(session, events)
    assert first.event == "reloaded", first.error
    (root / "README.md").write_text("# changed\n")
    second = run(session, events)  # served by the warm spare the first load left ready
    assert second.event == "reloaded", second.error
    assert second.offers["pid"] != first.offers["pid"]
    assert not pid_alive(first.offers["pid"])
    assert pid_alive(second.offers["pid"])
    for event in (first, second):
        out = event.probe["call"]["output"]
        assert out["pid"] == event.offers["pid"]
        assert out["secret"] is None and out["weather"] == "k1"
        assert out["cwd"].endswith(event.digest.removeprefix("sha256:")), (
            "runs in the extracted package"
        )
    session.close()
    assert not pid_alive(second.offers["pid"])
    assert not children(os.getpid()), "no server and no spare left"


def test_warm_spare_does_not_import_from_the_dev_hosts_folder(tmp_path, events, monkeypatch):
    """The spare imports the SDK before it is told where to run: not from wherever `plugin dev` runs."""
    here = write_tree(tmp_path / "host-cwd", {
        "mcp/__init__.py": f"open({str(tmp_path / 'shadowed')!r}, 'w').close()\n",
    })  # fmt: skip
    monkeypatch.chdir(here)
    root = mcp_plugin(tmp_path / "p")
    session = DevSession(root, probe=Probe(call="echo", input={"text": "x"}))
    try:
        first = run(session, events)
        assert first.event == "reloaded", first.error
        (root / "README.md").write_text("# changed\n")
        second = run(session, events)  # served by the spare
        assert second.event == "reloaded", second.error
        out = second.probe["call"]["output"]
        assert out["cwd"].endswith(second.digest.removeprefix("sha256:")), "runs in the package"
    finally:
        session.close()
    assert not (tmp_path / "shadowed").exists()


def test_hooks_event_probe_reports_the_verdict(tmp_path, events):
    event = {"event": "pre_tool_use", "tool": "shell", "input": {"command": "rm -rf /tmp/x"}}
    session = DevSession(hooks_plugin(tmp_path / "p"), probe=Probe(event=event))
    got = run(session, events)
    assert got.probe == {"hooks": {"decision": "deny", "message": "rm -rf is not allowed", "context": [],
                                   "matched": ["no-rm-rf"]}}  # fmt: skip
    session.close()


def test_calling_a_tool_of_a_hooks_plugin_is_reported(tmp_path, events):
    session = DevSession(hooks_plugin(tmp_path / "p"), probe=Probe(call="forecast"))
    got = run(session, events)
    assert got.event == "reloaded"
    assert got.probe["call"]["error"]["rule"] == "dev-unknown-tool"
    assert got.probe["call"]["error"]["hint"] == "This plugin declares no [[tools]]."
    session.close()
