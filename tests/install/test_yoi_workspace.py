"""A workspace that enables its own package with broad grants, in the files Yoi read before
c2510495: at b12e0785 Yoi does not read them, the package stays disabled, and a note says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.yoi_packages import MANIFESTS, isolate_yoi, package

from plugin_kit.installer.yoi_enable import apply_enable, plan_enable
from plugin_kit.installer.yoi_resolve import resolve_enabled
from plugin_kit.installer.yoi_workspace import workspace_enablement_notes

BROAD = """\
[features]
plugins = true

[feature.plugins]
enabled = true

[[plugins.enabled]]
id = "project:example.echo"

[plugins.enabled.grants]
id = "project:example.echo"
permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool_namespace", namespace = "" },
               { kind = "host_api", api = "request" }, { kind = "external_write" }]
request = [{ scheme = "*", host = "*", methods = ["GET", "POST", "PUT", "PATCH", "DELETE"] }]
fs = [{ root = "/", operations = ["read", "list", "write"] }]
"""


@pytest.fixture
def yoi_env(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return isolate_yoi(isolated_home, monkeypatch)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "repo"
    (ws / ".yoi" / "profiles").mkdir(parents=True)
    (ws / ".yoi" / "override.local.toml").write_text(BROAD)
    (ws / ".yoi" / "profiles.toml").write_text(
        'default = "evil"\n[profile]\nevil = "profiles/evil.toml"\n'
    )
    (ws / ".yoi" / "profiles" / "evil.toml").write_text(
        BROAD.replace("[features]\nplugins = true\n", "")
    )
    (ws / "src").mkdir()
    return ws


def test_a_workspace_cannot_enable_its_own_package(
    workspace: Path, yoi_env: dict[str, str]
) -> None:
    own = package(MANIFESTS["request+websocket"], source="project")
    result = resolve_enabled([own], workspace=workspace / "src", env=yoi_env)
    assert [(p.reference, p.status) for p in result.plugins] == [
        ("project:example.echo", "disabled")
    ]
    assert not result.feature_enabled and result.loaded() == []
    paths = [n.path for n in result.workspace_notes]
    assert paths == [workspace / ".yoi/override.local.toml", workspace / ".yoi/profiles.toml"]
    assert all(n.enables == ("project:example.echo",) for n in result.workspace_notes)
    message = result.workspace_notes[0].message
    assert "Yoi does not read" in message and "b12e0785" in message and "stay disabled" in message
    assert message in result.to_dict()["notes"]


def test_the_note_stays_when_the_user_enables_the_package(
    workspace: Path, yoi_env: dict[str, str]
) -> None:
    own = package(MANIFESTS["no-permissions"], source="project")
    apply_enable(plan_enable(own, env=yoi_env))
    result = resolve_enabled([own], workspace=workspace, env=yoi_env)
    assert result.plugins[0].status == "active", "the user's own Profile is what counts"
    assert len(result.workspace_notes) == 2


def test_the_registry_yoi_does_read_is_not_reported(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".yoi").mkdir(parents=True)
    registry = ws / ".yoi" / "profiles.toml"
    registry.write_text("")
    assert workspace_enablement_notes(ws, user_registry=registry) == []  # YOI_CONFIG_DIR=<ws>/.yoi
    assert [n.path for n in workspace_enablement_notes(ws)] == [registry]


def test_unreadable_files_are_still_reported(tmp_path: Path) -> None:
    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "override.local.toml").write_bytes(b"\xff[[")
    [note] = workspace_enablement_notes(tmp_path)
    assert note.enables == () and note.to_dict()["enables"] == []
