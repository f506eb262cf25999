"""A checked-out repository controls `.insomnia/plugins/`: its journal and lock are hostile input."""

from __future__ import annotations

import json
from pathlib import Path

from plugin_kit.installer.enablement import load_enablements
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.stores import workspace_store


def _journal(ws: Path, ops: list[dict[str, str]]) -> Path:
    root = ws / ".insomnia" / "plugins"
    root.mkdir(parents=True, exist_ok=True)
    (root / ".txn.json").write_text(json.dumps({"ops": ops}))
    return root


def test_journal_naming_paths_outside_the_store_is_refused(tmp_path: Path, plugin) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    planted = tmp_path / "planted"
    planted.write_text("evil")
    ws = tmp_path / "repo"
    for ops in (
        [{"op": "delete", "final": str(victim)}],
        [{"op": "delete", "final": "../../../victim.txt"}],
        [{"op": "replace", "tmp": str(planted), "final": str(victim)}],
        [{"op": "replace", "tmp": "../../../planted", "final": "plugins.lock"}],
    ):
        _journal(ws, ops)
        r = plugin("list", "--workspace", str(ws))
        assert r.code == 1 and "store-journal" in r.err, (ops, r.err)
        assert victim.read_text() == "precious" and planted.read_text() == "evil"


def test_a_directory_named_like_a_temp_file_is_not_a_crash(tmp_path: Path, plugin) -> None:
    root = tmp_path / ".insomnia" / "plugins"
    (root / ".x.tmp-1").mkdir(parents=True)
    r = plugin("list", "--workspace", str(tmp_path))
    assert r.code == 0, r.err


def _install_project(plugin, make_archive, ws: Path):
    built = make_archive("weather-tools", "1.0.0")
    r = plugin(
        "install", built.path, "--sha256", built.sha256, "--project", "--workspace", ws, "--yes"
    )
    assert r.code == 0, r.err
    return built


def test_grant_requested_grants_what_the_package_requests_not_what_the_lock_says(
    tmp_path: Path, plugin, make_archive
) -> None:
    ws = tmp_path / "repo"
    _install_project(plugin, make_archive, ws)
    store = workspace_store(ws)
    # The repository rewrites its own lock to ask for more than the package does.
    text = store.lock_path.read_text()
    text = text.replace(
        "[plugin.requested_capabilities]",
        '[plugin.requested_capabilities]\nprocess = true\nsecrets = ["*"]',
    )
    store.lock_path.write_text(text)
    assert read_lock(store)["weather-tools"].requested_capabilities.get("process") is True
    r = plugin("enable", "project:weather-tools", "--grant-requested", "--yes", "--workspace", ws)
    assert r.code == 0, r.err
    [rec] = load_enablements()
    assert "process" not in rec.grants and "secrets" not in rec.grants
    assert rec.grants["network"] == [{"host": "api.weather.gov", "path_prefix": "/"}]


def test_lock_with_wrong_types_is_a_clear_error(tmp_path: Path, plugin, make_archive) -> None:
    ws = tmp_path / "repo"
    built = _install_project(plugin, make_archive, ws)
    store = workspace_store(ws)
    text = store.lock_path.read_text()
    text = text.replace("[plugin.signature]", '[plugin.previous]\nversion = "0.9.0"\n\n[plugin.x]')
    store.lock_path.write_text(text.replace("size = ", 'signature = "x"\nsize = ', 1))
    listed = plugin("list", "--workspace", ws)
    assert listed.code == 0 and "lock-corrupt" in listed.out, listed.err
    newer = make_archive("weather-tools", "1.1.0")
    for args in (
        ("install", newer.path, "--sha256", newer.sha256, "--project", "--workspace", ws, "--yes"),
        ("cache", "gc"),
    ):
        r = plugin(*args)
        assert r.code == 1 and "lock-corrupt" in r.err, (args, r.err)
    assert built.path.is_file()


def test_a_token_in_an_install_url_is_not_written_to_the_lock_or_audit(
    tmp_path: Path, plugin, make_archive
) -> None:
    import functools
    import http.server
    import threading

    from plugin_kit.installer.audit import audit_log_path

    built = make_archive("weather-tools", "1.0.0")
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(built.path.parent)
    )
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{built.path.name}?token=s3cr3t-T0KEN"
        ws = tmp_path / "repo"
        r = plugin(
            "install", url, "--sha256", built.sha256, "--project", "--workspace", ws, "--yes"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert r.code == 0, r.err
    store = workspace_store(ws)
    assert "s3cr3t" not in store.lock_path.read_text()
    assert built.path.name in read_lock(store)["weather-tools"].source["url"]
    assert "s3cr3t" not in audit_log_path().read_text()


def test_credentials_in_an_install_url_are_not_shown_in_the_plan(plugin) -> None:
    url = "https://alice:pa55w0rd@example.org/dl/w-1.0.0.insomnia-plugin?token=s3cr3t-T0KEN"
    sha = "ab" * 32
    r = plugin("install", url, "--sha256", sha, "--dry-run", "--json")
    assert r.code == 0, r.err
    plan = r.json()["plan"]
    assert "example.org/dl/w-1.0.0.insomnia-plugin" in plan["url"]
    for shown in (r.out, r.err):
        assert "s3cr3t" not in shown and "pa55w0rd" not in shown and "alice" not in shown
    for args in (("--dry-run",), ()):  # the text plan on stderr, also before a refused confirm
        r = plugin("install", url, "--sha256", sha, *args)
        assert r.code == (0 if args else 4), r.err
        assert "example.org/dl/w-1.0.0.insomnia-plugin" in r.err
        assert "s3cr3t" not in r.err + r.out and "pa55w0rd" not in r.err + r.out


def test_credentials_in_an_install_url_are_not_shown_in_errors(plugin, make_archive) -> None:
    built = make_archive("weather-tools", "1.0.0")
    url = built.path.as_uri() + "?token=s3cr3t-T0KEN"
    r = plugin("install", url, "--sha256", "0" * 64, "--yes")
    assert r.code == 3, r.err
    assert built.path.name in r.err and "s3cr3t" not in r.err + r.out


def test_a_symlinked_workspace_store_is_never_written_through(
    tmp_path: Path, site, plugin, make_archive
) -> None:
    import shutil

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for linked in (".insomnia", ".insomnia/plugins"):
        ws = tmp_path / f"repo-{linked.count('/')}"
        (ws / linked).parent.mkdir(parents=True, exist_ok=True)
        (ws / linked).symlink_to(elsewhere, target_is_directory=True)
        r = plugin("install", "weather-tools", "--project", "--workspace", ws, "--yes")
        assert r.code == 1 and "store-symlink" in r.err, r.err
        assert list(elsewhere.iterdir()) == []
    # A real store that a later checkout turns into a symlink: upgrade and uninstall refuse.
    ws = tmp_path / "repo-later"
    assert plugin("install", "weather-tools", "--project", "--workspace", ws, "--yes").code == 0
    shutil.move(ws / ".insomnia", elsewhere / ".insomnia")
    (ws / ".insomnia").symlink_to(elsewhere / ".insomnia", target_is_directory=True)
    before = sorted(p.name for p in (elsewhere / ".insomnia" / "plugins").iterdir())
    site.release(make_archive("weather-tools", "1.0.1"))
    assert plugin("catalog", "refresh").code == 0
    for args in (
        ("upgrade", "project:weather-tools", "--yes"),
        ("uninstall", "project:weather-tools"),
    ):
        r = plugin(*args, "--workspace", ws)
        assert r.code == 1 and "store-symlink" in r.err, (args, r.err)
    assert sorted(p.name for p in (elsewhere / ".insomnia" / "plugins").iterdir()) == before


def test_an_archive_sha256_that_is_a_path_makes_the_lock_corrupt(
    tmp_path: Path, plugin, make_archive
) -> None:
    """archive_sha256 names a file in the cache: a repository's lock cannot make it a path."""
    ws = tmp_path / "repo"
    _install_project(plugin, make_archive, ws)
    store = workspace_store(ws)
    sha = read_lock(store)["weather-tools"].archive_sha256
    store.lock_path.write_text(store.lock_path.read_text().replace(sha, "../../../../etc/passwd"))
    listed = plugin("list", "--workspace", ws)
    assert listed.code == 0 and "lock-corrupt" in listed.out and "64 hex" in listed.out, listed.out


def test_a_symlinked_store_lock_file_is_never_opened(tmp_path: Path, plugin, make_archive) -> None:
    """A lock library may open the lock file with O_TRUNC, following links: a checkout's
    `.store.lock` pointing at a file of yours must be refused before any lock is taken."""
    ws = tmp_path / "repo"
    _install_project(plugin, make_archive, ws)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    mutex = workspace_store(ws).mutex_path
    mutex.unlink(missing_ok=True)
    mutex.symlink_to(victim)
    r = plugin("uninstall", "project:weather-tools", "--workspace", ws)
    assert r.code == 1 and "store-symlink" in r.err, r.err
    assert victim.read_text() == "keep me\n"
