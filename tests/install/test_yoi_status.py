"""Yoi's status words, computed the host's way (plugin.rs `resolve_enabled_plugins`, feature/plugin.rs
`inspect_resolved_plugin_static`, plugin_cli.rs `ItemBuilder::finish`), one case per branch."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.yoi_packages import MANIFESTS, TOOL_PERMS, isolate_yoi, manifest, package, tool

from plugin_kit.installer.yoi_enable import apply_enable, plan_enable
from plugin_kit.installer.yoi_grants import GrantSet, parse_grant, requested_grants
from plugin_kit.installer.yoi_resolve import resolve_enabled
from plugin_kit.installer.yoi_status import YoiStorePackage, yoi_statuses


def entry(pkg: YoiStorePackage, *specs: str, requested: bool = True, **over) -> dict:
    """An enablement entry as `enable` writes it, then `over` replacing keys (None deletes)."""
    grants = requested_grants(pkg.manifest) if requested else GrantSet()
    grants = grants.add(parse_grant(s) for s in specs)
    pin = {"id": pkg.reference, "version": pkg.manifest.version, "digest": pkg.digest}
    out = {**pin, "grants": {**pin, **grants.to_tables()}}
    out.update(over)
    return {k: v for k, v in out.items() if v is not None}


def status(entries: list[dict], packages: list[YoiStorePackage], refused=None) -> list[tuple]:
    return [(s.reference, s.status, s.reasons) for s in yoi_statuses(entries, packages, refused)]


ECHO = package(manifest(perms=TOOL_PERMS, body=tool("echo")))


def test_discovered_but_not_enabled_is_disabled_and_enabled_but_absent_is_missing() -> None:
    other = package(manifest("other"), source="project")
    assert status([entry(ECHO)], [other]) == [
        ("project:other", "disabled", ()),
        ("user:example.echo", "missing", ("enabled plugin package was not discovered",)),
    ]


def test_active() -> None:
    assert status([entry(ECHO)], [ECHO]) == [("user:example.echo", "active", ())]


def _binding(path: str, value: object) -> dict:
    e = entry(ECHO)
    e["grants"] = {k: v for k, v in e["grants"].items() if k != path}
    if value is not None:
        e["grants"][path] = value
    return e


REJECTED = [
    (
        {"id": "example.echo"},
        "plugin enablement id must be source-qualified as user:<id>, project:<id>, or builtin:<id>",
    ),  # fmt: skip
    (
        {"id": "global:example.echo"},
        "plugin enablement id is not a valid source-qualified plugin id",
    ),
    (
        {"digest": "sha256:" + "0" * 64},
        "enabled plugin digest pin does not match discovered package digest",
    ),
    (
        {"digest": ECHO.digest.upper()},
        "enabled plugin digest pin does not match discovered package digest",
    ),
    (
        {"version": "1.0"},
        "enabled plugin exact version requirement does not match discovered package version",
    ),  # fmt: skip
    ({"surfaces": ["tool", "service"]}, "enabled plugin requested undeclared surface `service`"),
    (
        {"grants": _binding("id", None)["grants"]},
        "plugin grant is missing a source-qualified package id binding",
    ),  # fmt: skip
    (
        {"grants": _binding("id", "echo")["grants"]},
        "plugin grant package id binding is not a valid source-qualified plugin id",
    ),  # fmt: skip
    (
        {"grants": _binding("id", "project:example.echo")["grants"]},
        "plugin grant package id binding does not match enabled package",
    ),  # fmt: skip
    (
        {"grants": _binding("digest", None)["grants"]},
        "plugin grant is missing a deterministic digest binding",
    ),  # fmt: skip
    (
        {"grants": _binding("digest", "sha256:" + "1" * 64)["grants"]},
        "plugin grant digest binding does not match enabled package digest",
    ),  # fmt: skip
    (
        {"grants": _binding("version", None)["grants"]},
        "plugin grant is missing an exact package version binding",
    ),  # fmt: skip
    (
        {"grants": _binding("version", "2.0.0")["grants"]},
        "plugin grant version binding does not match enabled package version",
    ),  # fmt: skip
]


@pytest.mark.parametrize(("over", "why"), REJECTED, ids=[w for _, w in REJECTED])
def test_each_resolution_failure_is_rejected_with_the_hosts_message(over: dict, why: str) -> None:
    e = {**entry(ECHO), **over}
    [item] = [s for s in yoi_statuses([e], [ECHO]) if s.configured]
    assert (item.status, item.reasons) == ("rejected", (why,))


def test_two_packages_with_one_identity_are_rejected() -> None:
    twin = package(manifest(perms=TOOL_PERMS, body=tool("echo")), digest="sha256:" + "2" * 64)
    [item] = yoi_statuses([entry(ECHO)], [ECHO, twin])
    assert item.status == "rejected" and "multiple discovered packages" in item.reasons[0]


def test_empty_grants_need_no_binding() -> None:
    wasm_only = package(manifest())
    e = entry(wasm_only, grants=None)
    assert status([e], [wasm_only]) == [("user:example.echo", "active", ())]


def test_a_tool_not_granted_leaves_nothing_usable() -> None:
    [item] = yoi_statuses([entry(ECHO, requested=False)], [ECHO])
    assert item.status == "rejected"
    assert item.reasons == ("granted surfaces.tool permission is missing",)


def test_one_usable_tool_and_one_not_is_partial() -> None:
    pkg = package(MANIFESTS["external-write"])
    e = entry(pkg, requested=False)
    e["grants"]["permissions"] = [
        {"kind": "surface", "surface": "tool"},
        {"kind": "tool", "name": "echo"},
        {"kind": "tool", "name": "write"},
    ]
    [item] = yoi_statuses([e], [pkg])
    assert (item.status, item.reasons) == (
        "partial",
        ("granted external_write permission is missing",),
    )


def test_host_api_without_usable_grants() -> None:
    fs = package(MANIFESTS["fs"])
    assert yoi_statuses([entry(fs)], [fs])[0].reasons == (
        "granted host_api.fs scope allowlist is missing",
    )
    assert yoi_statuses([entry(fs)], [fs])[0].status == "partial"
    assert yoi_statuses([entry(fs, "fs=/srv:read")], [fs])[0].status == "active"
    api_only = package(manifest(perms='{ kind = "host_api", api = "fs" }'))
    [item] = yoi_statuses([entry(api_only)], [api_only])
    assert item.status == "rejected", "no tool is usable and the host API is not eligible"


RW = MANIFESTS["request+websocket"]


@pytest.mark.parametrize(
    ("request_grant", "expected", "why"),
    [
        (None, "active", ()),
        ("https://api.example.com GET /v1/", "partial", (
            "partially covered by enabled request grant; only intersecting URLs are allowed",
        )),
        ("https://api.example.com GET,PUT /v1/x", "partial", (
            "enabled request grant is only usable where it intersects manifest declarations",
            "partially covered by enabled request grant; only intersecting URLs are allowed",
        )),
        ("https://api.example.com GET,POST", "partial", (
            "broad/arbitrary enabled request grant is constrained by manifest declarations",
            "covered by broad/arbitrary enabled request grant",
        )),
        ("https://other.example.com GET /v1/", "partial", (
            "enabled request grant has no matching manifest declaration",
            "missing enabled request grant for manifest target",
        )),
    ],
)  # fmt: skip
def test_request_targets_against_grants(request_grant, expected: str, why: tuple) -> None:
    pkg = package(RW)
    e = entry(pkg)
    if request_grant:
        e["grants"]["request"] = [parse_grant(f"request={request_grant}").to_table()]
    [item] = yoi_statuses([e], [pkg])
    assert (item.status, item.reasons) == (expected, why)


def test_a_websocket_target_not_granted() -> None:
    pkg = package(RW)
    e = entry(pkg)
    del e["grants"]["websocket"]
    [item] = yoi_statuses([e], [pkg])
    assert item.status == "partial"
    assert item.reasons == (
        "enabled host_api.websocket grants are missing",
        "missing enabled WebSocket grant for manifest target",
    )


def test_an_instance_service_granted_is_active() -> None:
    perms = '{ kind = "surface", surface = "service" }, { kind = "service", name = "svc" }'
    text = manifest(perms=perms, body='[[services]]\nname = "svc"\ndescription = "s"\n').replace(
        "tool@1.0.0", "instance@1.0.0"
    )
    pkg = package(text)
    assert yoi_statuses([entry(pkg)], [pkg])[0].status == "active"
    [item] = yoi_statuses([entry(pkg, requested=False)], [pkg])
    assert (item.status, item.reasons) == (
        "rejected",
        ("granted surfaces.service permission is missing",),
    )


@pytest.fixture
def yoi_env(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return isolate_yoi(isolated_home, monkeypatch)


def test_without_the_feature_switch_nothing_loads(yoi_env: dict[str, str]) -> None:
    path = apply_enable(plan_enable(ECHO, env=yoi_env, grant_requested=True))
    assert [p.reference for p in resolve_enabled([ECHO], env=yoi_env).loaded()] == [ECHO.reference]
    path.write_text(path.read_text().replace("enabled = true", "enabled = false"))
    result = resolve_enabled([ECHO], env=yoi_env)
    assert result.plugins[0].status == "active" and result.loaded() == []
    assert any("Yoi loads no plugin" in n for n in result.notes)
    assert result.to_dict()["feature_enabled"] is False


def test_a_builtin_default_enables_nothing(yoi_env: dict[str, str]) -> None:
    registry = Path(yoi_env["XDG_CONFIG_HOME"]) / "yoi" / "profiles.toml"
    registry.parent.mkdir(parents=True)
    registry.write_text('default = "builtin:companion"\n')
    result = resolve_enabled([ECHO], env=yoi_env)
    assert [(p.status) for p in result.plugins] == ["disabled"]
    assert result.notes[0] == "Yoi selects builtin:companion, which enables no plugin"


def test_a_store_file_the_reader_refused_is_rejected_enabled_or_not() -> None:
    refused = {"project:broken": "manifest-unknown-field: `network` is not a field"}
    got = status([entry(ECHO, id="project:broken")], [ECHO], refused)
    assert got == [
        ("project:broken", "rejected", ("manifest-unknown-field: `network` is not a field",)),
        ("user:example.echo", "disabled", ()),
    ]
    [item] = yoi_statuses([], [], refused)
    assert item.status == "rejected" and not item.configured


def test_a_broad_manifest_target_with_an_exact_grant() -> None:
    """feature/plugin.rs `static_inspection_reports_request_grant_intersections_as_runtime_eligible`."""
    perms = TOOL_PERMS + ', { kind = "host_api", api = "request" }'
    body = tool("echo") + '[[request]]\nscheme = "*"\nhost = "*"\nmethods = ["GET", "POST"]\n'
    pkg = package(manifest(perms=perms, body=body))
    e = entry(pkg, requested=False)
    e["grants"]["permissions"] = [{"kind": "surface", "surface": "tool"},
                                  {"kind": "tool", "name": "echo"},
                                  {"kind": "host_api", "api": "request"}]  # fmt: skip
    e["grants"]["request"] = [parse_grant("request=https://api.example.test GET /v1/").to_table()]
    [item] = yoi_statuses([e], [pkg])
    assert item.reasons == (
        "partially covered by enabled request grant; broad manifest target is constrained by narrower grants",
    )
    assert item.status == "partial"
