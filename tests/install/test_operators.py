"""An operator's first day (issue 13, items 8-13, 15, 16), through the CLI: repair, refs
against paths, grants that add up, upgrade against fresh catalogs, empty states, local
catalog paths, fetch errors, progress and lock waits, --verbose, completion."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from helpers.tty import bash_completions, plugin_on_tty

from plugin_kit.installer.audit import read_audit
from plugin_kit.installer.enablement import load_enablements
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.paths import plugin_cache_dir
from plugin_kit.installer.stores import user_store, workspace_store

MORE = 'network = [{ host = "api.weather.gov", path_prefix = "/" }]\nsecrets = ["WEATHER_KEY", "SLACK_*"]'


def _damage_cache_tree(digest: str) -> Path:
    tree = plugin_cache_dir() / digest.removeprefix("sha256:")
    readme = tree / "README.md"
    os.chmod(tree, 0o755)
    os.chmod(readme, 0o644)
    readme.write_text("tampered\n")
    return readme


# 8. repair ------------------------------------------------------------------------------


def test_install_force_repairs_a_damaged_cache_tree_and_store_file_keeping_grants(
    site, plugin
) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    entry = read_lock(user_store())["weather-tools"]
    readme = _damage_cache_tree(entry.content_digest)
    store_file = user_store().archive_path("weather-tools")
    os.chmod(store_file, 0o644)
    store_file.write_bytes(b"not the archive")
    found = plugin("verify", "--all")
    assert found.code == 3
    repair = "plugin install --force acme/weather-tools@1.0.0 --yes"
    assert f"  repair: {repair}" in found.err and "plugin install --force" in found.err
    found = plugin("verify", "--all", "--json")
    assert found.code == 3
    doc = found.json()
    assert doc["ok"] is False and doc["error"]["rule"] == "verify-store"
    assert (
        doc["error"]["phase"] == "verify"
        and doc["error"]["message"] == "2 problem(s) in the stores"
    )
    problems = doc["problems"]
    assert {p["check"] for p in problems} == {"store file", "cache tree"}
    assert all(p["repair"] == repair for p in problems)
    # without --force the damaged copy is "already installed"; with it, it is repaired
    assert "already installed" in plugin("install", "weather-tools", "--yes").out
    fixed = plugin(*repair.split()[1:], "--json")
    assert fixed.code == 0, fixed.err
    assert fixed.json()["repaired"] is True
    assert plugin("verify", "--all").code == 0
    assert readme.read_text() != "tampered\n"
    after = read_lock(user_store())["weather-tools"]
    assert after.install_id == entry.install_id  # the same install: its grants still apply
    [rec] = load_enablements()
    assert rec.active and rec.binding(after) == "current" and rec.grants["network"]
    assert [a["action"] for a in read_audit()][-1] == "repair"


def test_install_force_repairs_a_file_install_in_a_project(make_archive, plugin, tmp_path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    built = make_archive("weather-tools", "1.0.0")
    args = ("install", built.path, "--sha256", built.sha256, "--project", "--workspace", ws)
    assert plugin(*args, "--yes").code == 0
    entry = read_lock(workspace_store(ws))["weather-tools"]
    _damage_cache_tree(entry.content_digest)
    found = plugin("verify", "--all", "--workspace", ws, "--json").json()
    [problem] = found["problems"]
    assert problem["repair"] == (
        f"plugin install --force {built.path.resolve()} --sha256 {built.sha256}"
        f" --project --workspace {ws} --yes"
    )
    assert plugin(*problem["repair"].split()[1:]).code == 0
    assert plugin("verify", "--all", "--workspace", ws).code == 0


# 9. a ref is a ref, a path is a path ---------------------------------------------------


def test_verify_a_ref_with_a_folder_of_that_name_here(site, plugin, tmp_path, monkeypatch) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    monkeypatch.chdir(tmp_path)
    (tmp_path / "weather-tools").mkdir()  # the author's usual layout
    r = plugin("verify", "weather-tools")
    assert r.code == 0 and "checked user:weather-tools 1.0.0" in r.out
    for path_like in ("./weather-tools", "weather-tools-1.0.0.insomnia-plugin", "x.yoi-plugin"):
        r = plugin("verify", path_like)
        assert r.code == 2 and "verify.no-key" in r.err, path_like
    (tmp_path / "weather-tools").rmdir()
    (tmp_path / "weather-tools").write_text("a file")
    r = plugin("verify", "weather-tools")
    assert r.code == 2 and "verify.ambiguous" in r.err and "./weather-tools" in r.err


# 10. grants ----------------------------------------------------------------------------


def test_grants_add_up_revoke_and_say_what_is_not_granted(make_archive, plugin) -> None:
    built = make_archive("weather-tools", "1.0.0", capabilities=MORE)
    assert plugin("install", built.path, "--sha256", built.sha256, "--yes").code == 0
    bare = plugin("enable", "weather-tools", "--yes")
    assert "grant: nothing" in bare.out
    assert "not granted: network: api.weather.gov/" in bare.err
    assert "not granted: secret: WEATHER_KEY" in bare.err
    one = plugin("enable", "weather-tools", "--grant", "network=api.weather.gov", "--yes", "--json")
    assert one.json()["granted"] == ["network: api.weather.gov/"]
    two = plugin("enable", "weather-tools", "--grant", "secrets=WEATHER_KEY", "--yes", "--json")
    assert two.json()["granted"] == ["network: api.weather.gov/", "secret: WEATHER_KEY"]
    assert plugin("disable", "weather-tools").code == 0
    again = plugin("enable", "weather-tools", "--yes", "--json")  # a disable kept them
    assert again.json()["granted"] == two.json()["granted"]
    less = plugin(
        "enable", "weather-tools", "--revoke", "network=api.weather.gov", "--yes", "--json"
    )
    assert less.json()["granted"] == ["secret: WEATHER_KEY"]
    assert "+ network: api.weather.gov/" in less.json()["not_granted"]
    missing = plugin("enable", "weather-tools", "--revoke", "secrets=OTHER", "--yes")
    assert missing.code == 2 and "grant-not-granted" in missing.err
    assert "granted now: secret: WEATHER_KEY" in missing.err
    wide = plugin("enable", "weather-tools", "--grant", "network=evil.example", "--yes")
    assert wide.code == 2 and "grant-not-requested" in wide.err
    assert (
        "it requests: network: api.weather.gov/; secret: WEATHER_KEY; secret: SLACK_*" in wide.err
    )
    [rec] = load_enablements()
    assert rec.grants == {"secrets": ["WEATHER_KEY"]}


def test_enable_asks_showing_what_it_does_not_grant(make_archive, plugin) -> None:
    built = make_archive("weather-tools", "1.0.0", capabilities=MORE)
    assert plugin("install", built.path, "--sha256", built.sha256, "--yes").code == 0
    code, out = plugin_on_tty("enable", "weather-tools", answer=b"n\n")
    assert code == 4
    assert out.index("not granted: secret: SLACK_*") < out.index("Enable it with these grants?")


def test_end_of_input_at_the_question_stops_with_exit_130_and_grants_nothing(
    make_archive, plugin
) -> None:
    built = make_archive("weather-tools", "1.0.0", capabilities=MORE)
    assert plugin("install", built.path, "--sha256", built.sha256, "--yes").code == 0
    code, out = plugin_on_tty("enable", "weather-tools", answer=b"\x04")  # Ctrl-D
    assert code == 130, out
    assert "[aborted]: end of input at a question" in out
    assert "hint: run the command again to finish" in out
    assert load_enablements() == []


# 11. upgrade ---------------------------------------------------------------------------


def test_upgrade_refreshes_catalogs_first_and_exits_0_with_nothing_to_do(
    site, plugin, make_archive
) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    idle = plugin("upgrade", "--all")  # no terminal, no --yes: a cron job
    assert idle.code == 0, idle.err
    assert "user:weather-tools 1.0.0: up-to-date" in idle.out
    site.release(make_archive("weather-tools", "1.1.0"))  # published; the cache has not seen it
    offline = plugin("upgrade", "--all", "--offline", "--dry-run")
    assert "up-to-date" in offline.out and "not refreshed (--offline); fetched" in offline.err
    planned = plugin("upgrade", "--all", "--dry-run", "--json").json()
    assert planned["catalogs"][0]["refreshed"] is True
    assert planned["results"][0]["status"] == "planned"
    assert planned["results"][0]["to_version"] == "1.1.0"
    asks = plugin("upgrade", "--all")
    assert asks.code == 4 and "user:weather-tools 1.0.0 -> 1.1.0: planned" in asks.err
    assert plugin("upgrade", "--all", "--yes").code == 0
    assert read_lock(user_store())["weather-tools"].version == "1.1.0"


def test_upgrade_says_how_old_the_cache_is_when_a_refresh_fails(site, plugin) -> None:
    import shutil

    assert plugin("install", "weather-tools", "--yes").code == 0
    shutil.rmtree(site.root / "catalog")
    r = plugin("upgrade", "--all")
    assert r.code == 0 and "catalog acme: not refreshed ([fetch-failed]" in r.err
    assert "using the copy fetched 0 min ago" in r.err


# 12. empty states ----------------------------------------------------------------------


def test_a_fresh_machine_says_no_catalogs_and_nothing_installed(plugin) -> None:
    for args in (("search", "weather"), ("show", "weather-tools"), ("install", "weather-tools")):
        r = plugin(*args)
        assert r.code == 2 and "no catalogs registered" in r.err, args
        assert "plugin catalog add" in r.err
    ls = plugin("catalog", "ls")
    assert ls.code == 0 and "no catalogs registered" in ls.err
    everything = plugin("verify", "--all")
    assert everything.code == 0 and "nothing installed to verify" in everything.out


def test_list_has_column_headers(site, plugin) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    lines = plugin("list").out.splitlines()
    assert lines[0].split() == ["REF", "VERSION", "STATUS"]
    assert lines[1].split()[:3] == ["user:weather-tools", "1.0.0", "disabled"]


# 13. local catalog paths, --pubkey-file, fetch errors ----------------------------------


def test_catalog_add_takes_a_local_path(publisher, make_archive, plugin, monkeypatch) -> None:
    publisher.release(make_archive("weather-tools", "1.0.0"))
    monkeypatch.chdir(publisher.root.parent)
    rel = os.path.relpath(publisher.catalog_path)
    r = plugin("catalog", "add", rel, "--pubkey", publisher.catalog_key.public, "--json")
    assert r.code == 0, r.err
    assert r.json()["url"] == publisher.catalog_path.resolve().as_uri()
    gone = plugin("catalog", "add", "site/nothing.json", "--pubkey", publisher.catalog_key.public)
    assert gone.code == 2 and "no such file: site/nothing.json" in gone.err


def test_install_takes_pubkey_file(make_archive, plugin, tmp_path) -> None:
    from plugin_kit.signing.keys import generate_keypair, load_secret_key
    from plugin_kit.signing.signatures import sign_file

    built = make_archive("weather-tools", "1.0.0")
    pair = generate_keypair(tmp_path / "release", None)
    secret = load_secret_key(pair.secret_key.read_text(), None)
    sig = built.path.with_name(built.path.name + ".minisig")
    sig.write_text(sign_file(built.path, secret))
    r = plugin("install", built.path, "--pubkey-file", pair.public_key, "--yes", "--json")
    assert r.code == 0, r.err
    assert read_lock(user_store())["weather-tools"].public_key == pair.public_key_base64
    both = plugin("install", built.path, "--pubkey-file", pair.public_key, "--pubkey", "RW")
    assert both.code == 2


def test_a_failed_fetch_says_why(plugin, http_folder, tmp_path, keys) -> None:
    (tmp_path / "srv").mkdir()
    base = http_folder(tmp_path / "srv")
    r = plugin(
        "catalog", "add", f"{base}/catalog/extensions.json", "--pubkey", keys["catalog"].public
    )
    assert r.code != 0 and "HTTP 404 Not Found" in r.err and "nothing is at that URL" in r.err


# 15. progress and lock waits -------------------------------------------------------------


def test_download_progress_on_a_terminal_only_and_once_at_100(
    make_archive, plugin, http_folder, tmp_path
) -> None:
    built = make_archive("weather-tools", "1.0.0", extra="x" * 300_000)
    base = http_folder(built.path.parent)
    url = f"{base}/{built.path.name}"
    code, out = plugin_on_tty("install", url, "--sha256", built.sha256, "--yes")
    assert code == 0, out
    [last] = [line for line in out.split("\n") if "download" in line and "100%" in line]
    assert "MiB/s" in last and " of " in last and "MiB" in last
    assert out.count("100%") == 1
    assert plugin("uninstall", "weather-tools").code == 0
    piped = plugin("install", url, "--sha256", built.sha256, "--yes")
    assert piped.code == 0 and "%" not in piped.err and "MiB" not in piped.err


def test_pack_progress_on_a_terminal_in_the_same_look(make_archive, tmp_path) -> None:
    make_archive("weather-tools", "1.0.0", extra="y" * 200_000)
    [project] = tmp_path.glob("src-weather-tools-*")
    code, out = plugin_on_tty("pack", str(project), "-o", str(tmp_path / "out"))
    assert code == 0, out
    [last] = [line for line in out.split("\n") if "pack" in line and "100%" in line]
    assert " of " in last and "MiB/s" in last and out.count("100%") == 1


@contextlib.contextmanager
def _waiting_for_the_store_lock(*args: str) -> Iterator[subprocess.Popen]:
    """`plugin ARGS` started while this process holds the user store's lock, yielded once it
    says on stderr that it waits (that line is checked); the lock is let go on leaving."""
    from plugin_kit.installer.stores import locked_store

    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with locked_store(user_store()):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(60)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "plugin_kit", *args],
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = proc.stderr.readline()
        while "waiting for" not in line and line:
            line = proc.stderr.readline()
        assert f"waiting for the user store lock held by pid {os.getpid()}" in line
        yield proc
    finally:
        release.set()
        holder.join()


def test_waiting_for_a_store_lock_names_the_holder(site, plugin, tmp_path) -> None:
    with _waiting_for_the_store_lock("install", "weather-tools", "--yes") as proc:
        pass
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err


def test_ctrl_c_under_json_prints_the_error_object_and_exits_130(site, plugin) -> None:
    with _waiting_for_the_store_lock("install", "weather-tools", "--yes", "--json") as proc:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    doc = json.loads(out)  # exactly one document
    assert doc == {"ok": False, "error": {
        "phase": "interrupted", "rule": "interrupted", "place": None,
        "message": "interrupted", "hint": "run the command again to finish",
    }}  # fmt: skip
    assert not user_store().archive_path("weather-tools").exists()


# 16. --verbose, completion ---------------------------------------------------------------


def test_verbose_shows_urls_fetched_and_files_written(site, plugin) -> None:
    r = plugin("--verbose", "install", "weather-tools", "--yes")
    assert r.code == 0
    assert "fetching file://" in r.err and "extensions.json" not in r.out
    assert f"wrote {user_store().archive_path('weather-tools')}" in r.err
    quiet = plugin("uninstall", "weather-tools")
    assert "wrote" not in quiet.err and "fetching" not in quiet.err


def test_verbose_after_the_command_and_in_a_sub_group_too(site, plugin) -> None:
    r = plugin("install", "weather-tools", "--yes", "-v")
    assert r.code == 0 and "fetching file://" in r.err
    assert f"wrote {user_store().archive_path('weather-tools')}" in r.err
    r = plugin("catalog", "refresh", "--verbose")
    assert r.code == 0 and "fetching file://" in r.err


def test_completion_offers_installed_refs_and_catalog_names(site, plugin) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0

    complete = bash_completions
    assert complete("plugin", "enable", "wea") == ["weather-tools"]
    assert complete("plugin", "uninstall", "user:") == ["user:weather-tools"]
    assert complete("plugin", "catalog", "refresh", "a") == ["acme"]
    assert "acme/" in complete("plugin", "install", "")
    assert complete("plugin", "verify", "wea") == ["wea", "weather-tools"]  # a file, or the ref


def test_inspect_prints_no_python_reprs(make_archive, plugin) -> None:
    built = make_archive("weather-tools", "1.0.0", capabilities=MORE + "\nprocess = false")
    out = plugin("inspect", built.path).out
    assert "{'" not in out and "[{" not in out and "False" not in out
    assert "requests  process: no" in out
    assert "requests  network: host api.weather.gov, path_prefix /" in out


def test_upgrade_all_shows_one_finished_meter_per_download(site, plugin, make_archive) -> None:
    site.release(make_archive("other-tool", "1.0.0", keyword="other"))
    assert plugin("catalog", "refresh").code == 0
    for name in ("weather-tools", "other-tool"):
        assert plugin("install", name, "--yes").code == 0
        site.release(make_archive(name, "1.1.0"))
    code, out = plugin_on_tty("upgrade", "--all", "--yes")
    assert code == 0, out
    finished = [line for line in out.split("\n") if "download" in line and "100%" in line]
    assert len(finished) == 2, out


def test_uninstall_then_install_rebuilds_a_damaged_cache_tree(site, plugin) -> None:
    assert plugin("upgrade", "--all").out.strip() == "nothing to upgrade: no plugins installed"
    assert plugin("install", "weather-tools", "--yes").code == 0
    entry = read_lock(user_store())["weather-tools"]
    readme = _damage_cache_tree(entry.content_digest)
    assert plugin("uninstall", "weather-tools").code == 0
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert readme.read_text() != "tampered\n"  # re-hashed before reuse, so rebuilt
    assert plugin("verify", "--all").code == 0


def test_after_an_upgrade_that_asks_for_more_a_grant_adds_to_the_old_ones(
    site, plugin, make_archive
) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    site.release(make_archive("weather-tools", "1.1.0", capabilities=MORE))
    up = plugin("upgrade", "weather-tools", "--yes", "--json").json()["results"][0]
    assert up["status"] == "needs-grant"
    more = plugin("enable", "weather-tools", "--grant", "secrets=WEATHER_KEY", "--yes", "--json")
    assert more.json()["granted"] == ["network: api.weather.gov/", "secret: WEATHER_KEY"]
    assert more.json()["version"] == "1.1.0"
