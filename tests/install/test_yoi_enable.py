"""`enable` for Yoi: what it writes is what the host's code accepts (tests/helpers/yoi_host_config.py
reads it the host's way), hand-broken variants are refused one rule at a time, the rest of the
Profile and of profiles.toml is kept, and a crash at any step leaves the old or the new files."""

from __future__ import annotations

import copy
import json
import os
import tomllib
from pathlib import Path

import pytest
from helpers import yoi_host_config as host
from helpers.yoi_packages import MANIFESTS, isolate_yoi, manifest, package
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_kit.errors import InstallError, UsageError
from plugin_kit.installer import _fs
from plugin_kit.installer.yoi_enable import apply_disable, apply_enable, plan_disable, plan_enable
from plugin_kit.installer.yoi_grants import FsGrant, RequestGrant
from plugin_kit.installer.yoi_resolve import resolve_enabled


@pytest.fixture
def yoi_env(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return isolate_yoi(isolated_home, monkeypatch)


GRANTS = {
    "no-permissions": [],
    "request+websocket": [],
    "fs": ["fs=/srv/data:read,list"],
    "external-write": [],
}


def _enable(pkg, env, **kw):
    plan = plan_enable(pkg, env=env, **kw)
    return plan, apply_enable(plan)


def _registry(env: dict[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) / "yoi" / "profiles.toml"


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_what_enable_writes_is_what_the_host_accepts(name: str, yoi_env: dict[str, str]) -> None:
    pkg = package(MANIFESTS[name])
    plan, written = _enable(pkg, yoi_env, grant_requested=True, grants=GRANTS[name])
    doc = host.read_profile(written)
    assert host.switch_on(doc)
    [entry] = doc["plugins"]["enabled"]
    assert (entry["id"], entry["version"], entry["digest"]) == (
        f"user:{pkg.manifest.id}",
        pkg.manifest.version,
        pkg.digest,
    )
    assert (
        host.binding_error(entry["grants"], entry["id"], pkg.digest, pkg.manifest.version) is None
    )
    assert host.read_registry(_registry(yoi_env)) == {"plugins": written}
    assert tomllib.loads(_registry(yoi_env).read_text())["default"] == "user:plugins"
    status = resolve_enabled([pkg], env=yoi_env).plugins
    assert [(s.reference, s.status) for s in status] == [(entry["id"], "active")]
    assert plan.predicted is not None and plan.predicted.status == "active"


def test_the_plan_has_one_line_per_permission_and_target(yoi_env: dict[str, str]) -> None:
    pkg = package(MANIFESTS["request+websocket"])
    plan = plan_enable(pkg, env=yoi_env, grant_requested=True)
    assert [line for line in plan.lines() if line.startswith("grant ")] == [
        "grant permission surfaces.tool",
        "grant permission tool.echo",
        "grant permission host_api.request",
        "grant permission host_api.websocket",
        "grant request https://api.example.com GET,POST /v1/",
        "grant websocket wss://stream.example.com:8443 /live/",
    ]
    assert plan.lines()[0].startswith("create user Profile 'plugins'")
    assert not _registry(yoi_env).exists(), "planning writes nothing"
    assert plan.to_dict()["entry"]["grants"]["request"][0]["host"] == "api.example.com"


def test_single_grants_add_up_and_revoke_removes(yoi_env: dict[str, str]) -> None:
    pkg = package(MANIFESTS["fs"])
    _enable(pkg, yoi_env, grant_requested=True)
    assert resolve_enabled([pkg], env=yoi_env).plugins[0].status == "partial"  # fs root missing
    _enable(pkg, yoi_env, grants=["fs=/srv/a:read", "fs=/srv/b b:list,write"])
    plan, path = _enable(pkg, yoi_env, revoke=["fs=/srv/a:read"])
    grants = host.read_profile(path)["plugins"]["enabled"][0]["grants"]
    assert grants["fs"] == [{"root": "/srv/b b", "operations": ["list", "write"]}]
    assert {"kind": "host_api", "api": "fs"} in grants["permissions"]
    assert "revoke fs /srv/a read" in plan.lines()
    assert resolve_enabled([pkg], env=yoi_env).plugins[0].status == "active"


def test_a_revoke_that_matches_no_grant_is_refused_and_changes_nothing(
    yoi_env: dict[str, str],
) -> None:
    """A near miss (no trailing slash) must not succeed while the grant stays in force."""
    pkg = package(MANIFESTS["fs"])
    plan, path = _enable(pkg, yoi_env, grants=["fs=/srv/a:read"])
    before = path.read_bytes()
    with pytest.raises(UsageError) as caught:
        plan_enable(pkg, revoke=["fs=/srv/a:list"], env=yoi_env)
    assert caught.value.rule == "grant-not-granted" and "/srv/a" in (caught.value.hint or "")
    assert path.read_bytes() == before


def test_reenabling_a_new_version_repins_and_keeps_grants(yoi_env: dict[str, str]) -> None:
    old = package(manifest(version="1.0.0", perms='{ kind = "external_write" }'))
    new = package(manifest(version="1.1.0", perms='{ kind = "external_write" }'))
    _enable(old, yoi_env, grant_requested=True)
    plan, path = _enable(new, yoi_env)
    assert plan.previous == ("1.0.0", old.digest)
    [entry] = host.read_profile(path)["plugins"]["enabled"]
    assert entry["grants"]["version"] == "1.1.0" and entry["grants"]["digest"] == new.digest
    assert entry["grants"]["permissions"] == [{"kind": "external_write"}]


def test_disable_removes_only_that_entry(yoi_env: dict[str, str]) -> None:
    a, b = package(manifest("a.one")), package(manifest("B-two"))
    _enable(a, yoi_env)
    _, path = _enable(b, yoi_env)
    assert apply_disable(plan_disable("user:a.one", env=yoi_env)) == 1
    doc = host.read_profile(path)
    assert [e["id"] for e in doc["plugins"]["enabled"]] == ["user:B-two"] and host.switch_on(doc)
    assert apply_disable(plan_disable("user:a.one", env=yoi_env)) == 0
    assert apply_disable(plan_disable("user:B-two", env=yoi_env)) == 1
    assert "plugins" not in host.read_profile(path)


KEPT_PROFILE = """\
# my profile: keep this comment
slug = "work"  # inline comment
scope = "workspace_write"

[model]
ref = "codex-oauth/gpt-5.5"

[features]
plugins = true

[[plugins.enabled]]
# someone else's plugin
id = "project:other"
version = "0.1.0"
digest = "sha256:%s"

[plugins.enabled.config]
answer = 42
""" % ("0" * 64)
KEPT_REGISTRY = """\
# registry comment
default = "work"

[profile.work]
path = "work.toml"
description = "mine"  # keep
"""


def test_comments_and_unrelated_keys_are_kept(yoi_env: dict[str, str]) -> None:
    folder = _registry(yoi_env).parent
    folder.mkdir(parents=True)
    _registry(yoi_env).write_text(KEPT_REGISTRY)
    (folder / "work.toml").write_text(KEPT_PROFILE)
    pkg = package(MANIFESTS["no-permissions"])
    plan, path = _enable(pkg, yoi_env)
    assert plan.profile.creation is None and path == folder / "work.toml"
    assert "remove [features]" in plan.switch
    text = path.read_text()
    for kept in ("# my profile: keep this comment", "# inline comment", "# someone else's plugin",
                 'ref = "codex-oauth/gpt-5.5"', "answer = 42"):  # fmt: skip
        assert kept in text
    doc = host.read_profile(path)  # the guide's [features] is gone: the host would refuse it
    assert [e["id"] for e in doc["plugins"]["enabled"]] == ["project:other", pkg.reference]
    assert _registry(yoi_env).read_text() == KEPT_REGISTRY


def test_an_entry_written_by_hand_keeps_its_place_and_config(yoi_env: dict[str, str]) -> None:
    pkg = package(MANIFESTS["no-permissions"])
    _, path = _enable(pkg, yoi_env)
    config = '[plugins.enabled.config]\nmode = "fast"\n\n[feature.plugins]'
    path.write_text(path.read_text().replace("[feature.plugins]", config))
    _enable(package(manifest(version="2.0.0")), yoi_env)
    [entry] = host.read_profile(path)["plugins"]["enabled"]
    assert entry["config"] == {"mode": "fast"} and entry["version"] == "2.0.0"


def test_a_json_profile_is_written_as_json(yoi_env: dict[str, str]) -> None:
    folder = _registry(yoi_env).parent
    folder.mkdir(parents=True)
    _registry(yoi_env).write_text('default = "j"\n[profile]\nj = "j.json"\n')
    (folder / "j.json").write_text(
        json.dumps({"slug": "j", "feature": {"task": {"enabled": True}}})
    )
    _, path = _enable(package(MANIFESTS["external-write"]), yoi_env, grant_requested=True)
    doc = host.read_profile(path)
    assert doc["feature"]["task"] == {"enabled": True} and host.switch_on(doc)


@pytest.mark.parametrize(
    "key", ["manifest", "worker", "features_extra", "plugins_extra", "entry_extra"]
)
def test_a_profile_the_host_refuses_is_not_written(key: str, yoi_env: dict[str, str]) -> None:
    folder = _registry(yoi_env).parent
    folder.mkdir(parents=True)
    _registry(yoi_env).write_text('default = "w"\n[profile]\nw = "w.toml"\n')
    body = {
        "manifest": "[manifest]\nx = 1\n",
        "worker": '[worker]\nname = "w"\n',
        "features_extra": "[features]\nplugins = true\nother = 1\n",
        "plugins_extra": "[plugins]\nautoload = true\n",
        "entry_extra": '[[plugins.enabled]]\nid = "user:x"\nenabled = true\n',
    }[key]
    (folder / "w.toml").write_text(body)
    with pytest.raises(InstallError) as err:
        _enable(package(MANIFESTS["no-permissions"]), yoi_env)
    assert err.value.rule == "yoi-profile-refused"
    assert (folder / "w.toml").read_text() == body


# --- the reader refuses each hand-broken variant ----------------------------------------------


def _broken(doc: dict, path: str, value: object) -> dict:
    out = copy.deepcopy(doc)
    *parents, last = path.split("/")
    target = out
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return out


DELETE = object()
E = "plugins/enabled/0"
BROKEN = [
    ("unknown-field", "format", "yoi.profile.v1"),  # the host sets the format; a Profile cannot
    ("manifest-shaped", "worker", {"name": "w"}),
    ("manifest-shaped", "config", {}),
    ("unknown-field", "features", {"plugins": True}),
    ("feature-switch-form", "feature/plugins", True),
    ("feature-switch-form", "feature/plugins/enabled", "yes"),
    ("unknown-field", "plugins/autoload", True),
    ("unknown-field", f"{E}/enabled", True),
    ("unknown-field", f"{E}/grants/network", []),
    ("unknown-field", f"{E}/grants/request/0/url", "https://x"),
    ("unknown-field", f"{E}/grants/permissions/1/label", "tool.echo"),
    ("unknown-field", f"{E}/grants/fs/0/recursive", True),
    ("missing-field", f"{E}/version", DELETE),
    ("missing-field", f"{E}/digest", DELETE),
    ("missing-field", f"{E}/grants/permissions/1/name", DELETE),
    ("missing-field", f"{E}/grants/permissions/1/kind", DELETE),
    ("permission-kind", f"{E}/grants/permissions/1/kind", "network"),
    ("surface-enum", f"{E}/surfaces", ["tool", "mcp"]),
    ("surface-enum", f"{E}/grants/permissions/0/surface", "tools"),
    ("host-api-enum", f"{E}/grants/permissions/2/api", "http"),
    ("fs-operation", f"{E}/grants/fs/0/operations", ["read", "delete"]),
    ("type", f"{E}/grants/request/0/port", 70000),
    ("type", f"{E}/grants/request/0/methods", "GET"),
    ("id-not-qualified", f"{E}/id", "example.echo"),
    ("id-not-qualified", f"{E}/id", "global:example.echo"),
    ("digest-form", f"{E}/digest", "sha256:ABC"),
    ("grant-id-missing", f"{E}/grants/id", DELETE),
    ("grant-id-invalid", f"{E}/grants/id", "example.echo"),
    ("grant-id-mismatch", f"{E}/grants/id", "project:example.echo"),
    ("grant-digest-missing", f"{E}/grants/digest", DELETE),
    ("grant-digest-mismatch", f"{E}/grants/digest", "sha256:" + "1" * 64),
    ("grant-version-missing", f"{E}/grants/version", DELETE),
    ("grant-version-mismatch", f"{E}/grants/version", "9.9.9"),
]


@pytest.fixture
def written(yoi_env: dict[str, str]) -> dict:
    pkg = package(MANIFESTS["request+websocket"])
    _, path = _enable(pkg, yoi_env, grant_requested=True, grants=["fs=/srv:read"])
    return tomllib.loads(path.read_text())


@pytest.mark.parametrize(("rule", "path", "value"), BROKEN, ids=[f"{r}:{p}" for r, p, _ in BROKEN])
def test_the_reader_refuses_each_broken_variant(written: dict, rule: str, path: str, value) -> None:
    host.check_profile(written)  # the unbroken one passes
    with pytest.raises(host.HostRefused) as err:
        host.check_profile(_broken(written, path, value))
    assert err.value.rule == rule


# --- crash safety ----------------------------------------------------------------------------


def _child(pkg, env: dict[str, str], crash_at: int) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.environ["PLUGIN_KIT_CRASH_AT"] = str(crash_at)
            _fs._crash_counter = 0
            apply_enable(plan_enable(pkg, env=env, grant_requested=True))
            code = 100 + _fs._crash_counter  # ran to the end: report how many checkpoints
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("first", [True, False], ids=["creating", "updating"])
def test_killed_at_every_step_leaves_old_or_new(first: bool, yoi_env: dict[str, str]) -> None:
    old_pkg = package(MANIFESTS["no-permissions"])
    new_pkg = package(manifest(version="2.0.0", perms='{ kind = "external_write" }'))
    if not first:
        _enable(old_pkg, yoi_env)
    profile = Path(yoi_env["XDG_CONFIG_HOME"]) / "yoi" / "profiles" / "plugins.toml"
    states = {p: p.read_bytes() if p.exists() else None for p in (profile, _registry(yoi_env))}
    crash_at, outcomes = 1, []
    while True:
        code = _child(new_pkg, yoi_env, crash_at)
        outcomes.append(code)
        for path, before in states.items():
            if path.exists():
                doc = host.read_profile(path) if path == profile else host.read_registry(path)
                if path == profile:
                    versions = {e["version"] for e in doc.get("plugins", {}).get("enabled", [])}
                    assert versions <= {"1.0.0", "2.0.0"} and len(versions) <= 1
            else:
                assert before is None
        if code >= 100:
            break
        assert code == 86, f"the child died otherwise at checkpoint {crash_at}: {code}"
        crash_at += 1
    assert crash_at >= 2, "the write passes at least two checkpoints"
    doc = host.read_profile(profile)
    assert doc["plugins"]["enabled"][0]["version"] == "2.0.0"
    assert host.read_registry(_registry(yoi_env)) == {"plugins": profile}
    assert not list(profile.parent.glob(".*.tmp")), (
        "the last run removed the crashed runs' temp files"
    )


# --- property: odd ids and targets survive tomlkit and tomllib --------------------------------

ID_CHARS = st.sampled_from(list("abcXYZ019-_.")).filter(str)
TEXT = st.text(
    alphabet=st.sampled_from(list("aZ09-._/ *~:%é\"'\\#[]{}=ü\t")), min_size=1, max_size=12
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pid=st.text(alphabet=ID_CHARS, min_size=1, max_size=20).filter(
        lambda s: not s.startswith(".") and not s.endswith(".")
    ),
    host_name=TEXT,
    prefix=TEXT,
    root=TEXT,
)
def test_odd_ids_and_targets_round_trip(pid, host_name, prefix, root, yoi_env) -> None:
    pkg = package(manifest(pid, perms='{ kind = "host_api", api = "fs" }'))
    grants = [
        RequestGrant(
            scheme="https", host=host_name, port=443, methods=("GET",), path_prefixes=(prefix,)
        ),
        FsGrant(f"/{root}", ("read",)),
    ]
    plan, path = _enable(pkg, yoi_env, grants=grants)
    [entry] = [e for e in host.read_profile(path)["plugins"]["enabled"] if e["id"] == pkg.reference]
    assert entry["grants"] == plan.entry()["grants"]
    assert entry["grants"]["fs"][-1]["root"] == f"/{root}"
    apply_disable(plan_disable(pkg.reference, env=yoi_env))


def test_bad_grants_are_refused_before_anything_is_written(yoi_env: dict[str, str]) -> None:
    pkg = package(MANIFESTS["no-permissions"])
    for spec in ["network=x", "permission=host_api.http", "permission=surfaces.mcp",
                 "request=https://x", "request=https://x FETCH /", "request=x GET /",
                 "websocket=https://x /", "fs=relative:read", "fs=/x:delete", "fs=/x",
                 "request=https://x:99999 GET /"]:  # fmt: skip
        with pytest.raises(UsageError) as err:
            plan_enable(pkg, env=yoi_env, grants=[spec])
        assert err.value.rule == "yoi-grant-syntax"
    assert not _registry(yoi_env).exists()


def test_a_profile_tomlkit_cannot_edit_is_refused_untouched(yoi_env: dict[str, str]) -> None:
    pkg = package(MANIFESTS["no-permissions"])
    _, path = _enable(pkg, yoi_env)
    body = path.read_text() + '\n[plugins.enabled.config]\nmode = "late"\n'  # valid, out of order
    path.write_text(body)
    with pytest.raises(InstallError) as err:
        _enable(package(manifest(version="2.0.0")), yoi_env)
    assert err.value.rule == "yoi-profile-edit" and path.read_text() == body


def test_malformed_existing_grants_are_refused(yoi_env: dict[str, str]) -> None:
    pkg = package(MANIFESTS["no-permissions"])
    _, path = _enable(pkg, yoi_env)
    body = path.read_text().replace(
        "[plugins.enabled.grants]", '[plugins.enabled.grants]\npermissions = ["all"]'
    )
    path.write_text(body)
    with pytest.raises(InstallError) as err:
        plan_enable(pkg, env=yoi_env)
    assert err.value.rule == "yoi-profile-refused" and path.read_text() == body


def test_a_grant_yoi_could_never_match_can_still_be_revoked(yoi_env: dict[str, str]) -> None:
    """An earlier version (or a hand edit) wrote grants `--grant` now refuses
    (yoi-grant-unmatchable); the spec the refusal hint lists must still revoke them."""
    pkg = package(MANIFESTS["request+websocket"])
    stale = [RequestGrant(scheme="https", host="bücher.example", methods=("GET",)),
             RequestGrant(scheme="https", host="h.example", path_prefixes=("/a/../b/",),
                          methods=("GET",))]  # fmt: skip
    _enable(pkg, yoi_env, grants=stale)
    with pytest.raises(UsageError) as caught:
        plan_enable(pkg, grants=[stale[0].spec], env=yoi_env)
    assert caught.value.rule == "yoi-grant-unmatchable"
    plan, path = _enable(pkg, yoi_env, revoke=[g.spec for g in stale])
    assert host.read_profile(path)["plugins"]["enabled"][0]["grants"].get("request", []) == []
    assert {g.label for g in plan.revoked} == {g.label for g in stale}
