"""Without --grant, the dev host applies what Yoi's Profile grants the plugin (written here by the
real `plugin enable` code), and every reload says where its grants came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dev.yoi_components import core_wat, yoi_project

from plugin_kit.cli._output import run
from plugin_kit.cli.main import cli
from plugin_kit.dev.adapters.base import HostOptions
from plugin_kit.dev.session import DevEvent, DevSession, Probe
from plugin_kit.installer.yoi_enable import apply_enable, plan_enable
from plugin_kit.installer.yoi_status import YoiStorePackage
from plugin_kit.validators.yoi_manifest import parse_yoi_manifest

READ = {"path": "notes/today.txt"}


@pytest.fixture
def project(tmp_path) -> Path:
    return yoi_project(tmp_path / "plugin", core_wat("tool", imports=("fs",)),
                       tools=("read",), apis=("fs",))  # fmt: skip


@pytest.fixture
def data(tmp_path) -> Path:
    root = tmp_path / "data"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "today.txt").write_text("from the granted root\n")
    return root


def enable(
    project: Path, *grants: str, source: str = "project", profile: str | None = None
) -> Path:
    """Enable the project's plugin in a Yoi Profile, as `plugin enable` does."""
    manifest = parse_yoi_manifest((project / "plugin.toml").read_bytes())
    package = YoiStorePackage(source, manifest, "sha256:" + "ab" * 32)
    return apply_enable(plan_enable(package, grants=list(grants), profile=profile))


@pytest.fixture
def load():
    sessions: list[DevSession] = []

    def start(root: Path, read: dict = READ, **options) -> DevEvent:
        session = DevSession(root, probe=Probe("read", read),
                             options=HostOptions(limits="relaxed", **options))  # fmt: skip
        sessions.append(session)
        events: list[DevEvent] = []
        session.cycle(events.append)
        assert events[-1].event == "reloaded", events[-1].error
        return events[-1]

    yield start
    for s in sessions:
        s.close()


def content(event: DevEvent) -> dict:
    call = event.probe["call"]
    assert call["is_error"] is False, call
    return json.loads(call["output"]["content"])


def test_the_profiles_fs_grant_lets_the_component_read(project, data, load):
    profile = enable(project, "permission=host_api.fs", f"fs={data}:read")
    event = load(project)
    assert content(event)["content"] == "from the granted root\n"
    source = event.offers["grants_source"]
    assert source.startswith(f"from Profile user:plugins ({profile}), entry project:dev-test")
    assert event.offers["host_apis"]["fs"]["granted"] is True


def test_a_user_store_entry_counts_too(project, data, load):
    enable(project, "permission=host_api.fs", f"fs={data}:read", source="user")
    event = load(project)
    assert content(event)["path"] == "notes/today.txt"
    assert "entry user:dev-test" in event.offers["grants_source"]


def test_without_a_profile_every_host_call_is_denied(project, load):
    event = load(project)
    assert event.offers["grants_source"] == (
        "none: Yoi selects no default Profile, which enables no plugin"
    )
    assert event.probe["call"]["error"]["rule"] == "yoi-grant-denied"
    assert "granted host_api.fs permission is missing" in event.probe["call"]["error"]["message"]


def test_a_profile_that_enables_another_plugin_grants_nothing(project, tmp_path, data, load):
    other = yoi_project(tmp_path / "other", core_wat("tool"), tools=("greet",))
    text = (other / "plugin.toml").read_text().replace('id = "dev-test"', 'id = "other"')
    (other / "plugin.toml").write_text(text)
    enable(other)
    event = load(project)
    assert event.offers["grants_source"].startswith("none: Profile user:plugins (")
    assert event.offers["grants_source"].endswith("does not enable dev-test")
    assert event.probe["call"]["error"]["rule"] == "yoi-grant-denied"


def test_a_profile_that_grants_another_operation_denies_the_read(project, data, load):
    enable(project, "permission=host_api.fs", f"fs={data}:list")
    event = load(project)
    assert "no matching operation grant" in event.probe["call"]["error"]["message"]
    assert event.probe["call"]["error"]["rule"] == "yoi-grant-denied"


def test_grant_items_replace_the_profiles_grants(project, data, load):
    enable(project, "permission=host_api.fs", f"fs={data}:read")
    event = load(project, grants=(f"fs={data}:list",))
    assert event.offers["grants_source"] == "from --grant"
    assert event.probe["call"]["error"]["rule"] == "yoi-grant-denied"


def test_profile_option_selects_the_profile(project, data, load):
    enable(project, "permission=host_api.fs", f"fs={data}:read", profile="work")
    assert load(project).probe["call"]["is_error"] is True  # the default Profile is not 'work'
    event = load(project, profile="user:work")
    assert content(event)["content"] == "from the granted root\n"
    assert event.offers["grants_source"].startswith("from Profile user:work (")


def test_a_workspace_file_yoi_does_not_read_grants_nothing(project, data, load):
    (project / ".yoi").mkdir()
    (project / ".yoi" / "override.local.toml").write_text(
        '[[plugins.enabled]]\nid = "project:dev-test"\n'
        f'[plugins.enabled.grants]\nid = "project:dev-test"\nfs = [{{ root = "{data}", operations = ["read"] }}]\n'
        'permissions = [{ kind = "host_api", api = "fs" }]\n'
    )
    event = load(project)
    assert event.probe["call"]["error"]["rule"] == "yoi-grant-denied"
    assert "Yoi does not read" in event.offers["grants_source"]
    assert "override.local.toml" in event.offers["grants_source"]


def test_an_unreadable_profile_grants_nothing_and_says_why(project, load, isolated_home):
    registry = isolated_home / "config" / "yoi" / "profiles.toml"
    registry.parent.mkdir(parents=True)
    registry.write_text("default = [\n")
    event = load(project)
    assert event.offers["grants_source"].startswith(
        "none: the Yoi Profile could not be read: Yoi's profiles.toml is not readable"
    )


def test_the_reload_output_says_where_the_grants_came_from(project, data, capsys):
    profile = enable(project, "permission=host_api.fs", f"fs={data}:read")
    code = run(cli, ["dev", str(project), "--limits", "relaxed", "--call", "read",
                     "--input", json.dumps(READ)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"  grants from Profile user:plugins ({profile}), entry project:dev-test" in out
    assert "from the granted root" in out


def test_a_denied_call_hints_at_plugin_enable(project, load):
    event = load(project)
    assert "plugin enable" in event.probe["call"]["error"]["hint"]


def test_profile_grants_still_confine_every_call_to_the_root(project, data, load):
    enable(project, "permission=host_api.fs", f"fs={data}:read")
    (data.parent / "secret.txt").write_text("outside\n")
    event = load(project, read={"path": "../secret.txt"})
    assert event.probe["call"]["error"]["rule"] == "yoi-grant-denied"
    assert "traversal" in event.probe["call"]["error"]["message"]


def test_a_relative_fs_root_in_the_profile_is_denied_as_yoi_denies_it(
    project, data, load, monkeypatch
):
    # plugin.rs `resolve_plugin_fs_grant_root`: "must be an absolute path"; the dev host once
    # resolved it against its working directory and let the call through
    profile = enable(project, "permission=host_api.fs", f"fs={data}:read")
    profile.write_text(profile.read_text().replace(f'"{data}"', '"data"'))
    monkeypatch.chdir(data.parent)
    event = load(project)
    error = event.probe["call"]["error"]
    assert error["rule"] == "yoi-grant-denied"
    assert "must be an absolute path" in error["message"]


def test_profile_with_grant_items_is_a_usage_error(project, capsys):
    code = run(cli, ["dev", str(project), "--grant", "fs=.", "--profile", "user:work"])
    assert code == 2
    assert "with --grant only the --grant items apply" in capsys.readouterr().err
    assert not (project / "plugin.component.wasm").exists()


def test_watch_reloads_when_the_profile_changes(project, data, dev_process):
    """Under --watch, `plugin enable` granting the read reloads the component with the new grants
    without a save of the project, and the event names the Profile as what changed."""
    profile = enable(project, "permission=host_api.fs", f"fs={data}:list")
    args = [
        "--watch",
        "--json",
        "--limits",
        "relaxed",
        "--call",
        "read",
        "--input",
        json.dumps(READ),
    ]
    dev = dev_process(args, cwd=project)
    first = dev.next("reloaded", "error")
    assert first["event"] == "reloaded", first
    assert first["probe"]["call"]["is_error"] is True
    assert str(profile) in first["offers"]["grants_source"]

    assert enable(project, "permission=host_api.fs", f"fs={data}:read") == profile
    second = dev.next("reloaded", "error")
    assert second["event"] == "reloaded", second
    assert second["changed"] == [f"Profile {profile}"]
    assert second["digest"] == first["digest"]  # the same package, loaded again with new grants
    assert str(profile) in second["offers"]["grants_source"]
    call = second["probe"]["call"]
    assert call["is_error"] is False, call
    assert json.loads(call["output"]["content"])["content"] == "from the granted root\n"
    assert dev.interrupt() == 0
