"""Re-pinning keeps what the user chose: every Profile that enables a package is re-pinned by
an upgrade (not only the default one), and a `surfaces` list narrowed by hand survives a
re-enable or an upgrade where the new version still declares what it names.

Host: plugin.rs `PluginEnablementConfig.surfaces` (omitted or empty: every declared surface;
a list: those), `resolve_enabled_plugins` (an undeclared surface, a digest or version pin
that does not match: the entry is rejected)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from helpers import yoi_host_config as host
from helpers.yoi_packages import MANIFESTS, isolate_yoi, manifest, package
from install.test_yoi_upgrade import killed_at, store_dir, upgrade_to

from plugin_kit.errors import InstallError
from plugin_kit.installer.yoi_enable import apply_enable, plan_enable


def _registry(home: Path) -> Path:
    return home / ".config" / "yoi" / "profiles.toml"


def _profile_path(home: Path, name: str) -> Path:
    return host.read_registry(_registry(home))[name]


def _entry(home: Path, name: str) -> dict:
    (entry,) = host.read_profile(_profile_path(home, name))["plugins"]["enabled"]
    return entry


def _status(name: str) -> tuple[str, str | None]:
    """What Yoi reports for user:example.echo when it runs with Profile `name`."""
    from plugin_kit.hosts import YOI
    from plugin_kit.installer.lockfile import read_lock
    from plugin_kit.installer.stores import user_store
    from plugin_kit.installer.yoi_resolve import resolve_enabled
    from plugin_kit.installer.yoi_store import store_package

    store = user_store(YOI)
    pkgs = [store_package(store, e) for e in read_lock(store).values()]
    [st] = [s for s in resolve_enabled(pkgs, profile=name).plugins if s.reference.endswith("echo")]
    return st.status, st.version


def _narrow(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def installed(install_yoi_file):
    return install_yoi_file("request+websocket")


# --- every Profile that enables the package is re-pinned ---------------------------------------


@pytest.mark.parametrize("with_default", [True, False], ids=["default-and-named", "named-only"])
def test_upgrade_repins_every_profile_that_enables_it(
    plugin, make_yoi_archive, installed, isolated_home, with_default
) -> None:
    names = ["work", "plugins"] if with_default else ["work"]
    for name in names:
        profile = [] if name == "plugins" else ["--profile", name]
        r = plugin("enable", "user:example.echo", "--grant-requested", "--yes", *profile)
        assert r.code == 0, r.err
    # A Profile that pins some other digest by hand is the user's: it is left alone.
    stray = _profile_path(isolated_home, "work").with_name("stray.toml")
    stray.write_text(_profile_path(isolated_home, "work").read_text().replace(installed.digest,
                     "sha256:" + "e" * 64))  # fmt: skip
    _registry(isolated_home).write_text(
        _registry(isolated_home).read_text() + '\n[profile.stray]\npath = "profiles/stray.toml"\n'
    )
    before_stray = stray.read_bytes()
    same = make_yoi_archive("request+websocket", "1.0.1")
    res = upgrade_to(same)
    assert res["grants_carried"] and not res["waiting"]
    assert sorted(res["notes"]) == sorted(f"re-pinned in Profile user:{n}" for n in names)
    for name in names:
        entry = _entry(isolated_home, name)
        assert (entry["version"], entry["digest"]) == ("1.0.1", same.digest)
        assert host.binding_error(entry["grants"], entry["id"], same.digest, "1.0.1") is None
        assert _status(name) == ("active", "1.0.1")
    assert stray.read_bytes() == before_stray
    assert (store_dir(isolated_home) / "example.echo.yoi-plugin").read_bytes() == (
        same.path.read_bytes()
    )


def test_a_kill_between_two_profiles_is_finished_by_the_next_command(
    plugin, make_yoi_archive, installed, isolated_home, tmp_path
) -> None:
    for profile in ([], ["--profile", "work"]):
        assert (
            plugin("enable", "user:example.echo", "--grant-requested", "--yes", *profile).code == 0
        )
    same = make_yoi_archive("request+websocket", "1.0.1")
    killed = killed_at(
        "yoi-enable:profile-written",
        "from tests.install.test_yoi_upgrade import upgrade_to_path;"
        f" upgrade_to_path({str(same.path)!r})",
    )
    assert killed.returncode == 86, killed.stderr
    pins = {n: _entry(isolated_home, n)["digest"] for n in ("plugins", "work")}
    assert sorted(pins.values()) == sorted([installed.digest, same.digest]), "one of two written"
    assert plugin("list", "--workspace", tmp_path, "--json").code == 0  # reads the store: settles
    for name in ("plugins", "work"):
        assert _entry(isolated_home, name)["digest"] == same.digest
        assert _status(name) == ("active", "1.0.1")
    lock = tomllib.loads((store_dir(isolated_home) / "plugins.lock").read_text())["plugin"][0]
    assert lock["version"] == "1.0.1" and "pending" not in lock


# --- a hand-narrowed `surfaces` list is kept ---------------------------------------------------


def test_upgrade_keeps_hand_narrowed_surfaces_and_grants(
    plugin, make_yoi_archive, installed, isolated_home
) -> None:
    assert plugin("enable", "user:example.echo", "--grant-requested", "--yes").code == 0
    path = _profile_path(isolated_home, "plugins")
    _narrow(path, 'surfaces = ["tool", "wasm"]', 'surfaces = ["tool"]')
    _narrow(path, 'path_prefixes = ["/v1/"]', 'path_prefixes = ["/v1/narrow/"]')
    same = make_yoi_archive("request+websocket", "1.0.1")
    res = upgrade_to(same)
    assert res["grants_carried"]
    assert any("keep surfaces tool (narrowed in the Profile" in n for n in res["notes"]), res
    entry = _entry(isolated_home, "plugins")
    assert entry["digest"] == same.digest and entry["surfaces"] == ["tool"]
    assert entry["grants"]["request"][0]["path_prefixes"] == ["/v1/narrow/"]
    assert _status("plugins")[0] in ("active", "partial")


@pytest.mark.parametrize(
    "bad", ['surfaces = [{ a = 1 }]', 'surfaces = [["tool"]]', 'surfaces = "tool"',
            'surfaces = ["tool", "gui"]'],
)  # fmt: skip
def test_a_surfaces_list_yoi_cannot_read_is_refused_naming_the_profile(
    plugin, installed, isolated_home, bad
) -> None:
    # plugin.rs `surfaces: Vec<PluginSurface>`: Yoi refuses the Profile; enable and list once
    # raised TypeError (unhashable) or read "tool" as the letters t, o, l
    assert plugin("enable", "user:example.echo", "--grant-requested", "--yes").code == 0
    path = _profile_path(isolated_home, "plugins")
    _narrow(path, 'surfaces = ["tool", "wasm"]', bad)
    before = path.read_bytes()
    r = plugin("enable", "user:example.echo", "--grant-requested", "--yes", "--json")
    assert r.code == 1, r.out
    error = r.json()["error"]
    assert error["rule"] == "yoi-profile-parse" and str(path) in error["place"], error
    assert "surfaces must be a list" in error["message"]
    assert path.read_bytes() == before
    listed = plugin("list", "--json")  # the package's diagnostics say why Yoi loads nothing
    assert listed.code == 0, listed.err
    [pkg] = listed.json()["packages"]
    assert any(d.get("rule") == "yoi-profile-parse" for d in pkg["diagnostics"]), pkg
    assert plugin("disable", "user:example.echo").code == 0  # the way out: the entry goes
    assert "plugins" not in host.read_profile(path)


def test_upgrade_that_cannot_keep_the_narrowing_waits(
    plugin, make_yoi_archive, installed, isolated_home
) -> None:
    """The new version declares none of the surfaces the user kept: re-pinning would select
    every declared surface (an empty list) or be rejected; it waits for the user instead."""
    assert plugin("enable", "user:example.echo", "--grant-requested", "--yes").code == 0
    path = _profile_path(isolated_home, "plugins")
    _narrow(path, 'surfaces = ["tool", "wasm"]', 'surfaces = ["tool"]')
    before = path.read_bytes()
    res = upgrade_to(make_yoi_archive("no-permissions", "2.0.0"))  # declares only `wasm`
    assert res["waiting"] and any("surfaces" in g for g in res["grown"]), res
    assert path.read_bytes() == before
    assert (store_dir(isolated_home) / "example.echo.yoi-plugin").read_bytes() == (
        installed.path.read_bytes()
    )
    r = plugin("enable", "user:example.echo", "--yes", "--json")
    assert r.code == 1 and r.json()["error"]["rule"] == "yoi-surfaces-gone"
    assert "plugin disable" in r.json()["error"]["hint"]


@pytest.fixture
def yoi_env(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return isolate_yoi(isolated_home, monkeypatch)


def _enable(pkg, env, **kw):
    plan = plan_enable(pkg, env=env, **kw)
    return plan, apply_enable(plan)


def test_reenable_keeps_a_narrowed_list_and_says_so(yoi_env) -> None:
    pkg = package(MANIFESTS["request+websocket"])
    _, path = _enable(pkg, yoi_env, grant_requested=True)
    _narrow(path, 'surfaces = ["tool", "wasm"]', 'surfaces = ["tool"]')
    plan, _ = _enable(pkg, yoi_env)
    assert plan.surfaces == ("tool",)
    assert "keep surfaces tool (narrowed in the Profile; declared: tool, wasm)" in plan.lines()
    assert plan.to_dict()["entry"]["surfaces"] == ["tool"]
    assert host.read_profile(path)["plugins"]["enabled"][0]["surfaces"] == ["tool"]


def test_a_surface_no_longer_declared_is_dropped_from_the_narrowing(yoi_env) -> None:
    pkg = package(MANIFESTS["request+websocket"])
    _, path = _enable(pkg, yoi_env, grant_requested=True)
    _narrow(path, 'surfaces = ["tool", "wasm"]', 'surfaces = ["service", "tool"]')
    new = package(MANIFESTS["request+websocket"].replace('"1.0.0"', '"1.1.0"', 1))
    plan, _ = _enable(new, yoi_env)
    assert plan.surfaces == ("tool",)
    assert "drop surfaces service (1.1.0 no longer declares them)" in plan.lines()


def test_a_full_list_follows_the_new_version(yoi_env) -> None:
    """The list `enable` wrote for 1.0.0 (all it declared) is no narrowing: 2.0.0's new
    surface is selected, as the plan shows before anything is written."""
    old = package(MANIFESTS["no-permissions"])
    _, path = _enable(old, yoi_env)
    assert host.read_profile(path)["plugins"]["enabled"][0]["surfaces"] == ["wasm"]
    new = package(MANIFESTS["request+websocket"].replace('"1.0.0"', '"2.0.0"', 1))
    plan, _ = _enable(new, yoi_env, known_surfaces={old.digest: ("wasm",)})
    assert plan.surfaces == ("tool", "wasm") and not [n for n in plan.notes if "surfaces" in n]


def test_nothing_left_of_the_narrowing_is_refused_untouched(yoi_env) -> None:
    pkg = package(MANIFESTS["request+websocket"])
    _, path = _enable(pkg, yoi_env)
    _narrow(path, 'surfaces = ["tool", "wasm"]', 'surfaces = ["tool"]')
    before = path.read_bytes()
    with pytest.raises(InstallError) as err:
        plan_enable(package(manifest(version="2.0.0")), env=yoi_env)
    assert err.value.rule == "yoi-surfaces-gone" and str(path) in (err.value.place or "")
    assert path.read_bytes() == before


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_enabling_a_waiting_version_names_the_profiles_left_on_the_old_one(
    plugin, make_yoi_archive, isolated_home, as_json
) -> None:
    """A grown version needs consent per Profile: enabling it in one swaps the store file, and
    every other Profile still pinning the old version is named (Yoi rejects it after)."""
    first = make_yoi_archive("no-permissions", "1.0.0")
    assert plugin("install", first.path, "--sha256", first.sha256, "--yes").code == 0
    for profile in ([], ["--profile", "work"]):
        assert plugin("enable", "user:example.echo", "--yes", *profile).code == 0
    assert upgrade_to(make_yoi_archive("request+websocket", "1.1.0"))["waiting"]
    fmt = ["--json"] if as_json else []
    r = plugin("enable", "user:example.echo", "--grant-requested", "--yes", *fmt)
    assert r.code == 0, r.out
    if as_json:
        assert r.json()["stale_profiles"] == ["user:work"]
    else:
        assert "run `plugin enable user:example.echo --profile user:work`" in r.err
    assert _entry(isolated_home, "work")["version"] == "1.0.0"
