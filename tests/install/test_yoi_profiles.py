"""Which Yoi Profile `enable` writes to, found as crates/manifest/src/profile.rs and paths.rs find it,
and the user Profile it creates (and registers) for a built-in or missing one."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from helpers import yoi_host_config as host
from helpers.yoi_packages import MANIFESTS, isolate_yoi, package

from plugin_kit.errors import InstallError, UsageError
from plugin_kit.installer.paths import user_profiles_path, yoi_config_dir
from plugin_kit.installer.yoi_enable import apply_enable, plan_enable
from plugin_kit.installer.yoi_profiles import locate_profile
from plugin_kit.installer.yoi_resolve import resolve_enabled


@pytest.fixture
def yoi_env(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return isolate_yoi(isolated_home, monkeypatch)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"YOI_CONFIG_DIR": "/c", "YOI_HOME": "/h", "XDG_CONFIG_HOME": "/x", "HOME": "/u"}, "/c"),
        (
            {"YOI_CONFIG_DIR": "", "YOI_HOME": "/h", "XDG_CONFIG_HOME": "/x", "HOME": "/u"},
            "/h/config",
        ),
        ({"YOI_HOME": "", "XDG_CONFIG_HOME": "/x", "HOME": "/u"}, "/x/yoi"),
        ({"XDG_CONFIG_HOME": "", "HOME": "/u"}, "/u/.config/yoi"),
    ],
)
def test_the_config_folder_is_computed_as_paths_rs_does(env: dict, expected: str) -> None:
    assert yoi_config_dir(env) == Path(expected)
    assert user_profiles_path(env) == Path(expected) / "profiles.toml"


def _write(env: dict[str, str], registry: str, **profiles: str) -> Path:
    folder = Path(env["XDG_CONFIG_HOME"]) / "yoi"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.toml").write_text(registry)
    for name, body in profiles.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body)
    return folder


def test_the_default_user_profile_is_edited_in_place(yoi_env: dict[str, str]) -> None:
    folder = _write(
        yoi_env, 'default = "work"\n[profile.work]\npath = "p/work.toml"\n', **{"p/work.toml": ""}
    )
    target = locate_profile(env=yoi_env)
    assert (target.reference, target.artifact, target.creation) == (
        "user:work",
        folder / "p/work.toml",
        None,
    )


def test_entries_alias_string_form_and_absolute_paths(
    yoi_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "abs.json").write_text("{}")
    _write(
        yoi_env,
        f'[entries]\na = "a.toml"\nb = {{ path = "{tmp_path}/abs.json" }}\n',
        **{"a.toml": ""},
    )
    assert locate_profile("a", env=yoi_env).artifact.name == "a.toml"
    assert locate_profile("user:b", env=yoi_env).artifact == tmp_path / "abs.json"


def test_a_builtin_default_gets_a_user_profile_that_becomes_the_default(
    yoi_env: dict[str, str],
) -> None:
    folder = _write(yoi_env, '# mine\ndefault = "builtin:coder"\n')
    plan = plan_enable(package(MANIFESTS["no-permissions"]), env=yoi_env)
    creation = plan.profile.creation
    assert creation is not None and creation.instead_of == "builtin:coder"
    assert creation.name == "coder-plugins" and creation.set_default
    assert any("cannot extend builtin:coder" in line for line in plan.lines())
    apply_enable(plan)
    registry = (folder / "profiles.toml").read_text()
    assert registry.startswith("# mine\n")
    assert tomllib.loads(registry)["default"] == "user:coder-plugins"
    assert host.read_registry(folder / "profiles.toml") == {
        "coder-plugins": folder / "profiles/coder-plugins.toml"
    }
    host.read_profile(folder / "profiles/coder-plugins.toml")
    again = locate_profile(env=yoi_env)  # the next enable edits the new one
    assert again.reference == "user:coder-plugins" and again.creation is None


def test_a_named_builtin_gets_a_profile_but_the_default_stays(yoi_env: dict[str, str]) -> None:
    folder = _write(
        yoi_env, 'default = "work"\n[profile]\nwork = "work.toml"\n', **{"work.toml": ""}
    )
    plan = plan_enable(package(MANIFESTS["no-permissions"]), profile="reviewer", env=yoi_env)
    assert plan.profile.creation and not plan.profile.creation.set_default
    apply_enable(plan)
    doc = tomllib.loads((folder / "profiles.toml").read_text())
    assert doc["default"] == "work" and set(doc["profile"]) == {"work", "reviewer-plugins"}


def test_a_missing_named_profile_is_created_and_registered(yoi_env: dict[str, str]) -> None:
    plan = plan_enable(package(MANIFESTS["no-permissions"]), profile="lab", env=yoi_env)
    assert plan.profile.creation and plan.profile.creation.instead_of == "user:lab (not registered)"
    path = apply_enable(plan)
    registry = user_profiles_path(yoi_env)
    assert host.read_registry(registry) == {"lab": path}
    assert "default" not in tomllib.loads(registry.read_text())


def test_a_registered_profile_whose_file_is_missing_is_created_there(
    yoi_env: dict[str, str],
) -> None:
    folder = _write(yoi_env, 'default = "gone"\n[profile]\ngone = "gone.toml"\n')
    before = (folder / "profiles.toml").read_text()
    plan = plan_enable(package(MANIFESTS["no-permissions"]), env=yoi_env)
    assert plan.profile.creation and not plan.profile.creation.register
    apply_enable(plan)
    host.read_profile(folder / "gone.toml")
    assert (folder / "profiles.toml").read_text() == before


def test_a_crash_before_registering_is_picked_up_by_the_next_enable(
    yoi_env: dict[str, str],
) -> None:
    target = locate_profile(env=yoi_env)
    assert target.creation is not None
    target.artifact.parent.mkdir(parents=True)
    target.artifact.write_text('slug = "left-over"\n')  # as a crash after the first write leaves it
    path = apply_enable(plan_enable(package(MANIFESTS["no-permissions"]), env=yoi_env))
    assert host.read_profile(path)["slug"] == "left-over"
    assert host.read_registry(user_profiles_path(yoi_env)) == {"plugins": path}


def test_a_symlinked_registry_keeps_its_link(yoi_env: dict[str, str], tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "profiles.toml"
    real.parent.mkdir()
    real.write_text("# dotfiles\n")
    link = user_profiles_path(yoi_env)
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    apply_enable(plan_enable(package(MANIFESTS["no-permissions"]), env=yoi_env))
    assert link.is_symlink() and 'default = "user:plugins"' in real.read_text()


@pytest.mark.parametrize(
    ("registry", "selector", "rule"),
    [
        ('[profile]\ncoder = "c.toml"\n', "coder", "yoi-profile-ambiguous"),
        ("", "project:x", "yoi-profile-unknown"),
        ("", "./missing.toml", "yoi-profile-parse"),
        ("", "has space", "yoi-profile-name"),
        ("[profile.x]\ndescription = 'no path'\n", "x", "yoi-profiles-toml"),
        ("default = 3\n", None, "yoi-profiles-toml"),
        ("[profile\n", None, "yoi-profiles-toml"),
        ('[profile]\nx = "x.yaml"\n', "x", "yoi-profile-type"),
    ],
)
def test_profiles_the_host_cannot_use_are_refused(
    registry: str, selector: str | None, rule: str, yoi_env: dict[str, str]
) -> None:
    _write(yoi_env, registry, **{"c.toml": "", "x.yaml": ""})
    with pytest.raises((InstallError, UsageError)) as err:
        plan_enable(package(MANIFESTS["no-permissions"]), profile=selector, env=yoi_env)
    assert err.value.rule == rule


def test_a_path_selector_names_the_profile_file(yoi_env: dict[str, str], tmp_path: Path) -> None:
    profile = tmp_path / "direct.toml"
    profile.write_text('slug = "direct"\n')
    path = apply_enable(
        plan_enable(package(MANIFESTS["no-permissions"]), profile=str(profile), env=yoi_env)
    )
    assert path == profile and host.switch_on(host.read_profile(profile))
    assert not user_profiles_path(yoi_env).exists(), "a path Profile is not registered"


def test_an_existing_plugins_profile_behind_a_builtin_default_is_reused(
    yoi_env: dict[str, str],
) -> None:
    folder = _write(
        yoi_env,
        'default = "builtin:coder"\n[profile]\ncoder-plugins = "cp.toml"\n',
        **{"cp.toml": 'slug = "cp"\n'},
    )
    pkg = package(MANIFESTS["no-permissions"])
    plan = plan_enable(pkg, env=yoi_env)
    assert plan.profile.artifact == folder / "cp.toml"
    assert (
        plan.lines()[0] == "make user:coder-plugins the default Profile (instead of builtin:coder)"
    )
    assert not any(line.startswith(("create", "register")) for line in plan.lines())
    (folder / "cp.toml").write_text(
        'slug = "cp"\n[feature.plugins]\nenabled = true\n[[plugins.enabled]]\n'
        f'id = "{pkg.reference}"\nversion = "1.0.0"\ndigest = "{pkg.digest}"\n'
    )
    result = resolve_enabled([pkg], env=yoi_env)  # Yoi still runs builtin:coder
    assert result.plugins[0].status == "disabled"
    assert result.notes[0] == "Yoi selects builtin:coder, which enables no plugin"
    apply_enable(plan)
    assert resolve_enabled([pkg], env=yoi_env).plugins[0].status == "active"


def test_without_a_default_a_registered_plugins_profile_becomes_it(yoi_env: dict[str, str]) -> None:
    folder = _write(yoi_env, '[profile]\nplugins = "mine.toml"\n', **{"mine.toml": ""})
    plan = plan_enable(package(MANIFESTS["no-permissions"]), env=yoi_env)
    assert plan.profile.artifact == folder / "mine.toml"
    assert plan.profile.creation and plan.profile.creation.set_default
    apply_enable(plan)
    assert tomllib.loads((folder / "profiles.toml").read_text())["default"] == "user:plugins"


def test_a_registry_tomlkit_cannot_edit_stops_before_any_write(yoi_env: dict[str, str]) -> None:
    odd = "[[x.y]]\na = 1\n[z.w]\nb = 1\n[x.y.config]\nc = 1\n"  # valid TOML, tables out of order
    folder = _write(yoi_env, odd)
    plan = plan_enable(package(MANIFESTS["no-permissions"]), env=yoi_env)
    with pytest.raises(InstallError) as err:
        apply_enable(plan)
    assert err.value.rule == "yoi-profile-edit"
    assert (folder / "profiles.toml").read_text() == odd and not plan.profile.artifact.exists()


def test_new_files_are_private_and_existing_ones_keep_their_mode(yoi_env: dict[str, str]) -> None:
    folder = _write(yoi_env, "# shared\n")
    (folder / "profiles.toml").chmod(0o640)
    path = apply_enable(plan_enable(package(MANIFESTS["no-permissions"]), env=yoi_env))
    assert path.stat().st_mode & 0o777 == 0o600
    assert (folder / "profiles.toml").stat().st_mode & 0o777 == 0o640
