"""End to end for a Yoi plugin against catalogs made by `plugin publish`: to a folder (file://)
and to the loopback GitHub fake (assets over HTTP). Publish, catalog add, install by name (user
and project), enable, list shows `active`, upgrade with more permissions (the store and the pin
stay on the old digest, shown as needing a grant; enable swaps and re-pins), upgrade without
(re-pinned at once), disable, uninstall. Every Profile written is read back by the test-side
reader of the host's rules (helpers/yoi_host_config.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpers import yoi_host_config as host

from plugin_kit.installer.api import discover, resolve_enabled
from plugin_kit.signing.keys import generate_keypair

PID = "example.echo"


def _entry(home: Path, ref: str) -> dict | None:
    reg = host.read_registry(home / ".config" / "yoi" / "profiles.toml")
    doc = host.read_profile(reg["plugins"])
    return next((e for e in doc.get("plugins", {}).get("enabled", []) if e["id"] == ref), None)


def _status(ws: Path, ref: str):
    return {p.ref: p for p in discover(ws)}[ref]


def _journey(plugin, url: str, pubkey: str, ws: Path, home: Path, publish: Callable) -> None:
    assert plugin("catalog", "add", url, "--name", "acme", "--pubkey", pubkey).code == 0
    assert "example.echo" in plugin("search", "--host", "yoi").out
    # User store and project store, both by name.
    r = plugin("install", PID, "--yes", "--json")
    assert r.code == 0, r.err
    assert r.json()["store_path"] == str(home / ".local/share/yoi/plugins/example.echo.yoi-plugin")
    r = plugin("install", f"acme/{PID}", "--project", "--workspace", ws, "--yes", "--json")
    assert r.code == 0, r.err
    assert r.json()["store_path"] == str(ws / ".yoi/plugins/example.echo.yoi-plugin")
    ref = f"project:{PID}"
    assert _status(ws, ref).status == "disabled"

    r = plugin("enable", ref, "--workspace", ws, "--grant-requested", "--yes")
    assert r.code == 0, r.err
    v1 = _entry(home, ref)
    assert v1 is not None and v1["version"] == "1.0.0"
    assert host.binding_error(v1["grants"], ref, v1["digest"], "1.0.0") is None
    assert plugin("list", "--workspace", ws, "--json").json()["packages"][0]["status"] == "active"
    assert [p.ref for p in resolve_enabled(ws)] == [ref]

    # 1.1.0 asks for more: Yoi keeps running 1.0.0, the new one waits for a grant.
    publish("1.1.0", "request+websocket")
    assert plugin("catalog", "refresh", "acme").code == 0
    dry = plugin("upgrade", ref, "--workspace", ws, "--dry-run", "--json")
    (planned,) = dry.json()["results"]
    assert planned["status"] == "planned" and planned["to_version"] == "1.1.0"
    assert any(
        line.startswith("request https://api.example.com") for line in planned["new_capabilities"]
    )
    assert _entry(home, ref) == v1
    up = plugin("upgrade", ref, "--workspace", ws, "--yes", "--json")
    assert up.code == 0, up.err
    (res,) = up.json()["results"]
    assert res["status"] == "needs-grant" and res["new_capabilities"]
    assert _entry(home, ref) == v1
    pkg = _status(ws, ref)
    assert (pkg.version, pkg.status, pkg.running_digest) == ("1.0.0", "active", v1["digest"])
    assert any(d.rule == "needs-grant" for d in pkg.diagnostics)
    assert "needs-grant" in plugin("list", "--workspace", ws).out
    r = plugin("enable", ref, "--workspace", ws, "--grant-requested", "--yes")
    assert r.code == 0, r.err
    v11 = _entry(home, ref)
    assert v11["version"] == "1.1.0" and v11["digest"] != v1["digest"]
    assert host.binding_error(v11["grants"], ref, v11["digest"], "1.1.0") is None
    assert (_status(ws, ref).version, _status(ws, ref).status) == ("1.1.0", "active")

    # 1.2.0 asks for nothing more: swapped and re-pinned with the same grants.
    publish("1.2.0", "request+websocket")
    assert plugin("catalog", "refresh", "acme").code == 0
    up = plugin("upgrade", "--all", "--workspace", ws, "--yes", "--json")
    assert up.code == 0, up.err
    statuses = {r["ref"]: r["status"] for r in up.json()["results"]}
    assert statuses[ref] == "upgraded"
    v12 = _entry(home, ref)
    assert v12["version"] == "1.2.0" and v12["grants"]["request"] == v11["grants"]["request"]
    assert _status(ws, ref).status == "active"
    assert plugin("verify", "--all", "--workspace", ws, "--json").json()["ok"]

    assert plugin("disable", ref, "--workspace", ws).code == 0
    assert _entry(home, ref) is None and _status(ws, ref).status == "disabled"
    for r_ in (ref, f"user:{PID}"):
        assert plugin("uninstall", r_, "--workspace", ws).code == 0
    assert discover(ws) == [] and resolve_enabled(ws) == []


def test_folder_catalog_made_by_plugin_publish(
    plugin, make_yoi_archive, tmp_path: Path, isolated_home
) -> None:
    pair = generate_keypair(tmp_path / "release", None)
    site = tmp_path / "site"

    def publish(version: str, kind: str = "no-permissions") -> None:
        built = make_yoi_archive(kind, version)
        r = plugin("publish", built.path, "--target", f"dir:{site}", "--key", pair.secret_key)
        assert r.code == 0, r.err

    publish("1.0.0")
    _journey(plugin, (site / "catalog" / "extensions.json").as_uri(), pair.public_key_base64,
             tmp_path / "ws", isolated_home, publish)  # fmt: skip


def test_github_release_catalog_over_loopback_http(
    plugin, make_yoi_archive, tmp_path: Path, isolated_home
) -> None:
    from fakes.github import FakeGitHub

    from plugin_kit.publisher.publish import PublishOptions
    from plugin_kit.publisher.publish import publish as run_publish
    from plugin_kit.publisher.retry import RetryPolicy

    pair = generate_keypair(tmp_path / "release", None)
    fast = RetryPolicy(
        attempts=3, base_delay=0, max_delay=0, max_wait=0, secondary_wait=0, sleep=lambda _s: None
    )
    mirror = tmp_path / "mirror" / "catalog"
    with FakeGitHub(token="t0ken") as gh:
        gh.create_repo("acme/echo")
        env = {"GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "acme/echo",
               "GITHUB_API_URL": gh.api_url}  # fmt: skip

        def publish(version: str, kind: str = "no-permissions") -> None:
            built = make_yoi_archive(kind, version)
            run_publish(PublishOptions(archives=[built.path], key_path=pair.secret_key, env=env,
                                       policy=fast, write_pacing=0, catalog_id="acme"))  # fmt: skip
            files = gh.repo("acme/echo").files["main"]
            mirror.mkdir(parents=True, exist_ok=True)
            for name in ("extensions.json", "extensions.json.minisig"):
                data = files[f"catalog/{name}"]
                (mirror / name).write_bytes(data if isinstance(data, bytes) else data.encode())

        publish("1.0.0")
        _journey(plugin, (mirror / "extensions.json").as_uri(), pair.public_key_base64,
                 tmp_path / "ws", isolated_home, publish)  # fmt: skip
        from plugin_kit.installer.catalogs import load_catalog, registry

        entry = load_catalog(registry()["acme"]).doc["entries"][0]
        assert entry["source"]["assets"][0]["url"].startswith("http://127.0.0.1:")
