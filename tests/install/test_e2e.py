"""End to end against catalogs made by `plugin publish`: to a folder (file://) and to the
loopback GitHub fake (assets downloaded over HTTP): install, list (disabled), enable,
upgrade with more capabilities (stays disabled, old one still enabled), uninstall."""

from __future__ import annotations

from pathlib import Path

from plugin_kit.installer.api import discover, resolve_enabled
from plugin_kit.signing.keys import generate_keypair

MORE = (
    'network = [{ host = "api.weather.gov", path_prefix = "/" }]\n'
    'secrets = ["WEATHER_*"]\nprocess = false'
)


def _journey(plugin, catalog_url: str, pubkey: str, ws: Path, publish_v2) -> None:
    assert plugin("catalog", "add", catalog_url, "--name", "acme", "--pubkey", pubkey).code == 0
    r = plugin("install", "weather-tools", "--project", "--workspace", ws, "--yes", "--json")
    assert r.code == 0, r.err
    listed = plugin("list", "--workspace", ws, "--json").json()["packages"]
    assert [(p["ref"], p["status"]) for p in listed] == [("project:weather-tools", "disabled")]
    assert (
        plugin(
            "enable", "project:weather-tools", "--grant-requested", "--yes", "--workspace", ws
        ).code
        == 0
    )
    assert [p.status for p in discover(ws)] == ["enabled"]
    publish_v2()
    assert plugin("catalog", "refresh", "acme").code == 0
    up = plugin("upgrade", "project:weather-tools", "--workspace", ws, "--yes", "--json")
    assert up.code == 0, up.err
    assert up.json()["results"][0]["status"] == "needs-grant"
    [pkg] = discover(ws)
    assert (pkg.version, pkg.status, pkg.running_version) == ("1.1.0", "needs-grant", "1.0.0")
    assert [p.version for p in resolve_enabled(ws)] == ["1.0.0"]
    assert plugin("verify", "--all", "--workspace", ws).code == 0
    assert plugin("uninstall", "project:weather-tools", "--workspace", ws).code == 0
    assert discover(ws) == [] and resolve_enabled(ws) == []


def test_folder_catalog_made_by_plugin_publish(plugin, make_archive, tmp_path: Path) -> None:
    pair = generate_keypair(tmp_path / "release", None)
    site = tmp_path / "site"

    def publish(version: str, caps: str | None = None) -> None:
        kw = {"capabilities": caps} if caps else {}
        built = make_archive("weather-tools", version, **kw)
        r = plugin("publish", built.path, "--target", f"dir:{site}", "--key", pair.secret_key)
        assert r.code == 0, r.err

    publish("1.0.0")
    _journey(
        plugin,
        (site / "catalog" / "extensions.json").as_uri(),
        pair.public_key_base64,
        tmp_path / "ws",
        lambda: publish("1.1.0", MORE),
    )


def test_github_release_catalog_over_loopback_http(plugin, make_archive, tmp_path: Path) -> None:
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
        gh.create_repo("acme/weather-tools")
        env = {
            "GITHUB_TOKEN": "t0ken",
            "GITHUB_REPOSITORY": "acme/weather-tools",
            "GITHUB_API_URL": gh.api_url,
        }

        def publish(version: str, caps: str | None = None) -> None:
            kw = {"capabilities": caps} if caps else {}
            built = make_archive("weather-tools", version, **kw)
            run_publish(
                PublishOptions(
                    archives=[built.path],
                    key_path=pair.secret_key,
                    env=env,
                    policy=fast,
                    write_pacing=0,
                    catalog_id="acme",
                )
            )
            # The catalog lives in the repository; serve the committed bytes from a folder,
            # while the archives are fetched from the release over loopback HTTP.
            files = gh.repo("acme/weather-tools").files["main"]
            mirror.mkdir(parents=True, exist_ok=True)
            for name in ("extensions.json", "extensions.json.minisig"):
                data = files[f"catalog/{name}"]
                (mirror / name).write_bytes(data if isinstance(data, bytes) else data.encode())

        publish("1.0.0")
        from plugin_kit.installer.catalogs import load_catalog, registry

        _journey(
            plugin,
            (mirror / "extensions.json").as_uri(),
            pair.public_key_base64,
            tmp_path / "ws",
            lambda: publish("1.1.0", MORE),
        )
        entry = load_catalog(registry()["acme"]).doc["entries"][0]
        assert entry["source"]["assets"][0]["url"].startswith("http://127.0.0.1:")
