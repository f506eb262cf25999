"""Profiles and registries in every layout Yoi accepts (inline tables, dotted keys, entries
written as inline tables) are edited in place, their layout and comments kept; what tomlkit
cannot edit is refused naming the file, the line and the rule, never a traceback.

Host: crates/manifest/src/profile.rs `ProfileConfig`, config.rs `FeatureConfigPartial` (each
feature an `Option<FeatureFlagConfigPartial>` table), plugin.rs `PluginConfig` (`enabled`,
`resolved`, `diagnostics`) and `PluginEnablementConfig`: serde reads TOML, so an inline table,
a dotted key and a `[header]` table are the same value to it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from helpers import yoi_host_config as host
from helpers.yoi_packages import MANIFESTS, isolate_yoi, manifest, package
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_kit.errors import InstallError
from plugin_kit.installer.yoi_enable import apply_disable, apply_enable, plan_disable, plan_enable

OTHER_DIGEST = "sha256:" + "0" * 64
OTHER = f'{{ id = "user:other.one", version = "0.1.0", digest = "{OTHER_DIGEST}" }}'


@pytest.fixture
def yoi_env(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return isolate_yoi(isolated_home, monkeypatch)


def _profile(env: dict[str, str], body: str, registry: str | None = None) -> Path:
    folder = Path(env["XDG_CONFIG_HOME"]) / "yoi"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.toml").write_text(registry or 'default = "w"\n[profile]\nw = "w.toml"\n')
    (folder / "w.toml").write_text(body)
    return folder / "w.toml"


def _enable(env: dict[str, str], pkg=None, **kw) -> Path:
    return apply_enable(plan_enable(pkg or package(MANIFESTS["no-permissions"]), env=env, **kw))


@pytest.mark.parametrize(
    "body",
    [
        'slug = "w"\nfeature = { web = { enabled = true } }\n',
        'feature.web.enabled = true\nslug = "w"  # after the dotted key\n',
        f'plugins = {{ enabled = [ {OTHER} ] }}\nslug = "w"\n',
        f'plugins.enabled = [ {OTHER} ]\nslug = "w"\n',
        "plugins.resolved = []\n",
    ],
    ids=["inline-feature", "dotted-feature", "inline-plugins", "dotted-plugins", "dotted-resolved"],
)
def test_inline_and_dotted_profiles_are_edited_in_place(body: str, yoi_env) -> None:
    path = _profile(yoi_env, body)
    pkg = package(MANIFESTS["no-permissions"])
    _enable(yoi_env, pkg, grant_requested=True)
    doc = host.read_profile(path)
    assert host.switch_on(doc)
    assert [e["id"] for e in doc["plugins"]["enabled"]][-1] == pkg.reference
    before = tomllib.loads(body)
    assert doc.get("slug") == before.get("slug")
    assert doc.get("feature", {}).get("web") == before.get("feature", {}).get("web")
    text = path.read_text()
    assert "[feature.plugins]" not in text or "feature" not in before, "a dotted/inline stays so"


def test_an_entry_with_inline_grants_keeps_them_inline(yoi_env) -> None:
    old = package(manifest(version="0.9.0", perms='{ kind = "external_write" }'))
    grants = f'{{ id = "{old.reference}", version = "0.9.0", digest = "{old.digest}", permissions = [{{ kind = "external_write" }}] }}'
    path = _profile(
        yoi_env,
        f'[[plugins.enabled]]\nid = "{old.reference}"\nversion = "0.9.0"\n'
        f'digest = "{old.digest}"\ngrants = {grants}\n',
    )
    new = package(manifest(version="1.0.0", perms='{ kind = "external_write" }'))
    _enable(yoi_env, new)
    text = path.read_text()
    assert "[plugins.enabled.grants]" not in text and "grants = {" in text
    [entry] = host.read_profile(path)["plugins"]["enabled"]
    assert entry["grants"]["digest"] == new.digest
    assert entry["grants"]["permissions"] == [{"kind": "external_write"}]


def test_an_inline_registry_gets_an_inline_registration(yoi_env) -> None:
    registry = 'default = "w"\nprofile = { w = { path = "w.toml" } }  # mine\n'
    _profile(yoi_env, 'slug = "w"\n', registry)
    written = apply_enable(
        plan_enable(package(MANIFESTS["no-permissions"]), profile="extra", env=yoi_env)
    )
    reg = Path(yoi_env["XDG_CONFIG_HOME"]) / "yoi" / "profiles.toml"
    assert host.read_registry(reg) == {"w": reg.parent / "w.toml", "extra": written}
    assert "# mine" in reg.read_text()


def test_disable_in_an_inline_profile(yoi_env) -> None:
    path = _profile(yoi_env, f'plugins = {{ enabled = [ {OTHER} ] }}\nslug = "w"\n')
    pkg = package(MANIFESTS["no-permissions"])
    _enable(yoi_env, pkg)
    assert apply_disable(plan_disable(pkg.reference, env=yoi_env)) == 1
    doc = host.read_profile(path)
    assert [e["id"] for e in doc["plugins"]["enabled"]] == ["user:other.one"]


def test_what_tomlkit_cannot_edit_names_file_line_and_rule(yoi_env) -> None:
    """An entry's sub-table written after other tables is valid TOML (the host reads it) that
    tomlkit cannot edit: the error names the file and the line, nothing is written."""
    body = (
        '# mine\n[[plugins.enabled]]\nid = "user:other.one"\nversion = "0.1.0"\n'
        f'digest = "{OTHER_DIGEST}"\n\n[model]\nref = "x/y"\n\n'
        '[plugins.enabled.config]\nmode = "late"\n'
    )
    host.check_profile(tomllib.loads(body))
    path = _profile(yoi_env, body)
    for run in (_enable, lambda env: apply_disable(plan_disable("user:other.one", env=env))):
        with pytest.raises(InstallError) as err:
            run(yoi_env)
        assert err.value.rule == "yoi-profile-edit"
        assert err.value.place == f"{path}:2", err.value.place
        assert path.read_text() == body


# --- property: every Profile shape the host accepts can be enabled and disabled --------------

TOP_FEATURE = [
    "",
    "feature = { web = { enabled = true } }\n",
    "feature.web.enabled = true\n",
    "feature = { plugins = { enabled = false } }\n",
    "feature.plugins.enabled = false\n",
]
TABLE_FEATURE = [
    "",
    "[feature]\nweb = { enabled = true }\n",
    "[feature.web]\nenabled = true\n",
    "[feature]\nplugins = { enabled = false }\n",
    "[feature]\nplugins.enabled = false\n",
    "[feature.plugins]\nenabled = false\n",
]
MINE = 'id = "user:example.echo"\nversion = "0.9.0"\ndigest = "sha256:' + "1" * 64 + '"\n'
MINE_INLINE = "{ " + MINE.strip().replace("\n", ", ") + " }"
TOP_PLUGINS = [
    "",
    f"plugins = {{ enabled = [ {OTHER} ] }}\n",
    f"plugins.enabled = [ {OTHER}, {MINE_INLINE} ]\n",
    "plugins.resolved = []\n",
]
TABLE_PLUGINS = [
    "",
    f"[plugins]\nenabled = [\n  {OTHER},  # other\n  {MINE_INLINE},\n]\n",
    f'[[plugins.enabled]]\nid = "user:other.one"\nversion = "0.1.0"\ndigest = "{OTHER_DIGEST}"\n'
    'config = { mode = "x" }\n',
    f"[[plugins.enabled]]\n{MINE}grants = {{ {MINE.strip().replace(chr(10), ', ')}, "
    'permissions = [{ kind = "external_write" }] }\n'
    "[plugins.enabled.config]\nnested = { deep = { yes = true } }\n",
]


@st.composite
def profiles(draw) -> str:
    top_feature = draw(st.sampled_from(TOP_FEATURE))
    table_feature = "" if top_feature else draw(st.sampled_from(TABLE_FEATURE))
    top_plugins = draw(st.sampled_from(TOP_PLUGINS))
    table_plugins = "" if top_plugins else draw(st.sampled_from(TABLE_PLUGINS))
    top = [top_feature, top_plugins, 'slug = "w"  # keep me\n']
    tables = [table_feature, table_plugins, '[model]\nref = "x/y"\n']
    order = draw(st.permutations(range(3)))
    return "".join(top[i] for i in order) + "\n" + "\n".join(tables[i] for i in order)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=profiles(), kind=st.sampled_from(sorted(MANIFESTS)))
def test_every_profile_shape_the_host_accepts_can_be_edited(body: str, kind: str, yoi_env) -> None:
    before = host.check_profile(tomllib.loads(body))  # the host accepts the hand-written one
    path = _profile(yoi_env, body)
    pkg = package(MANIFESTS[kind])
    _enable(yoi_env, pkg, grant_requested=True)
    doc = host.read_profile(path)
    assert host.switch_on(doc) and "# keep me" in path.read_text()
    mine = [e for e in doc["plugins"]["enabled"] if e["id"] == pkg.reference]
    assert [(e["version"], e["digest"]) for e in mine] == [("1.0.0", pkg.digest)]
    others = [e for e in host.check_profile(before).get("plugins", {}).get("enabled", [])
              if e["id"] != pkg.reference]  # fmt: skip
    assert [e for e in doc["plugins"]["enabled"] if e["id"] != pkg.reference] == others
    assert {k: v for k, v in doc.items() if k not in ("plugins", "feature")} == {
        k: v for k, v in before.items() if k not in ("plugins", "feature")
    }
    assert apply_disable(plan_disable(pkg.reference, env=yoi_env)) == 1
    after = host.read_profile(path)
    assert [e["id"] for e in after.get("plugins", {}).get("enabled", [])] == [
        e["id"] for e in others
    ]
