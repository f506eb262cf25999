"""The mcp adapter: a real server over stdio through the `mcp` client; env limited; stopped on close."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dev.plugins import children, mcp_plugin, pid_alive, write_tree

from plugin_kit.dev.adapters import load_plugin
from plugin_kit.dev.adapters.base import LoadContext
from plugin_kit.errors import DevError
from plugin_kit.validators.manifest import load_manifest

HOST_ENV = {
    "PATH": "/usr/bin:/bin",
    "SECRET_TOKEN": "hunter2",
    "WEATHER_KEY": "k1",
    "HOME": "/root",
}


def load(root: Path, tmp_path: Path):
    return load_plugin(LoadContext(root, load_manifest(root), tmp_path, tmp_path, HOST_ENV))


def test_lists_calls_and_stops(tmp_path):
    plugin = load(mcp_plugin(tmp_path / "p"), tmp_path)
    try:
        assert [t.name for t in plugin.tools] == ["echo"]
        assert plugin.tools[0].input_schema["required"] == ["text"]
        result = plugin.call("echo", {"text": "hi"})
        assert result.output["text"] == "hi"
        assert result.output["pid"] == plugin.pid
        # Undeclared: invisible to the server; declared by glob: visible.
        assert result.output["secret"] is None
        assert result.output["weather"] == "k1"
        assert pid_alive(plugin.pid)
    finally:
        plugin.close()
    assert not pid_alive(plugin.pid)


def test_report_names_what_is_withheld_and_what_is_not_enforced(tmp_path):
    plugin = load(mcp_plugin(tmp_path / "p"), tmp_path)
    plugin.close()
    report = plugin.capabilities.to_dict()
    assert report["env_passed"] == ["PATH", "PYTHONDONTWRITEBYTECODE", "WEATHER_KEY"]
    assert report["env_withheld"] == 2  # SECRET_TOKEN and HOME
    assert report["not_enforced"] == ["filesystem", "network", "process"]
    network = next(i for i in report["items"] if i["capability"] == "network")
    assert "does not sandbox its network" in network["detail"]


def test_declared_tool_missing_from_the_server_fails_and_leaves_no_process(tmp_path):
    root = mcp_plugin(tmp_path / "p", tools=("echo", "forecast"))
    with pytest.raises(DevError) as err:
        load(root, tmp_path)
    assert err.value.rule == "mcp-tool-missing"
    assert "forecast" in err.value.message
    assert not children(os.getpid())


def test_undeclared_server_tool_fails(tmp_path):
    with pytest.raises(DevError) as err:
        load(mcp_plugin(tmp_path / "p", tools=()), tmp_path)
    assert err.value.rule == "mcp-tool-undeclared"


def test_crashing_server_reports_its_stderr(tmp_path):
    root = mcp_plugin(tmp_path / "p")
    write_tree(root, {"server.py": "import sys\nsys.exit('cannot find the config file')\n"})
    with pytest.raises(DevError) as err:
        load(root, tmp_path)
    assert err.value.rule == "mcp-start-failed"
    assert "cannot find the config file" in err.value.message
    assert not children(os.getpid())


def test_interrupt_before_the_transport_owns_the_server_leaves_no_process(tmp_path, monkeypatch):
    """A forced Ctrl-C can land after the spawn but before the session owns the process (it lands
    in `_connect`, importing the SDK): the server must still be stopped, not orphaned."""
    from plugin_kit.dev.adapters import mcp

    started = []
    real_server = mcp._server

    def server(*args):
        out = real_server(*args)
        started.append(out[0].pid)
        return out

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(mcp, "_server", server)
    monkeypatch.setattr(mcp, "_connect", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load(mcp_plugin(tmp_path / "p"), tmp_path)
    assert started and not pid_alive(started[0])
    assert not children(os.getpid())
