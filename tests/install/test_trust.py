"""The trust path's two bindings: a pinned publisher key is the whole key (never its id), and
what the user consents to is what the verified package asks for (docs/security.md)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from plugin_kit.installer.api import resolve_enabled
from plugin_kit.installer.enablement import load_enablements
from plugin_kit.installer.lockfile import read_lock, render_lock
from plugin_kit.installer.stores import user_store

GREEDY = (
    'secrets = ["SLACK_*"]\n'
    'filesystem = { read = ["workspace"], write = ["workspace"] }\n'
    "process = true"
)


def _store_untouched_since(version: str | None) -> None:
    lock = read_lock(user_store())
    assert (lock["weather-tools"].version if lock else None) == version


# --- 1. the publisher key pin -------------------------------------------------------------


def test_a_forged_key_with_the_publishers_key_id_is_a_new_key(
    site, plugin, make_archive, keys, forge_key_id
) -> None:
    assert plugin("install", "weather-tools", "--yes").code == 0
    assert plugin("enable", "weather-tools", "--grant-requested", "--yes").code == 0
    forged = forge_key_id(keys["release"])
    site.release(make_archive("weather-tools", "1.0.1"), key=forged)
    assert plugin("catalog", "refresh").code == 0
    planned = plugin("upgrade", "weather-tools", "--dry-run", "--json").json()["results"][0]
    assert planned["note"] == "new publisher key"
    r = plugin("upgrade", "weather-tools", "--yes")
    assert r.code == 4 and "publisher-key-changed" in r.err, r.err
    assert forged.public in r.err and "only a label" in r.err
    entry = read_lock(user_store())["weather-tools"]
    assert (entry.version, entry.public_key) == ("1.0.0", keys["release"].public)
    assert resolve_enabled(None)[0].version == "1.0.0"
    assert plugin("upgrade", "weather-tools", "--yes", "--accept-new-key").code == 0
    assert read_lock(user_store())["weather-tools"].public_key == forged.public


def test_an_old_lock_that_pins_only_a_key_id_needs_the_user(site, plugin, make_archive) -> None:
    """A lock entry with a key id and no key (edited): the id matches, which proves nothing."""
    assert plugin("install", "weather-tools", "--yes").code == 0
    store = user_store()
    entries = read_lock(store)
    del entries["weather-tools"].signature["public_key"]
    store.lock_path.write_bytes(render_lock(entries))
    site.release(make_archive("weather-tools", "1.0.1"))
    assert plugin("catalog", "refresh").code == 0
    r = plugin("upgrade", "weather-tools", "--yes")
    assert r.code == 4 and "publisher-key-unpinned" in r.err, r.err
    assert read_lock(store)["weather-tools"].version == "1.0.0"
    v = plugin("verify", "--all", "--json")
    assert v.code == 3 and v.json()["problems"][0]["check"] == "publisher key"
    assert plugin("upgrade", "weather-tools", "--yes", "--accept-new-key").code == 0
    assert read_lock(store)["weather-tools"].public_key == site.release_key.public
    assert plugin("verify", "--all").code == 0


def test_a_local_file_signed_by_a_forged_key_needs_accept_new_key(
    make_archive, plugin, keys, forge_key_id
) -> None:
    from plugin_kit.signing.signatures import sign_file

    def signed(version: str, key) -> Path:
        built = make_archive("weather-tools", version)
        Path(f"{built.path}.minisig").write_text(sign_file(built.path, key.secret))
        return built.path

    first = signed("1.0.0", keys["release"])
    assert plugin("install", first, "--pubkey", keys["release"].public, "--yes").code == 0
    forged = forge_key_id(keys["release"])
    second = signed("1.0.1", forged)
    r = plugin("install", second, "--pubkey", forged.public, "--yes")
    assert r.code == 4 and "publisher-key-changed" in r.err, r.err
    assert read_lock(user_store())["weather-tools"].public_key == keys["release"].public


def test_a_catalog_signed_by_a_key_with_the_pinned_key_id_is_refused(
    site, plugin, make_archive, forge_key_id
) -> None:
    forged = forge_key_id(site.catalog_key)
    site.release(make_archive("weather-tools", "1.0.1"), publish=False)
    site.write_catalog(site.bumped(), key=forged)
    r = plugin("catalog", "refresh", "--json")
    assert r.code == 3, r.out
    assert r.json()["catalogs"][0]["error"]["rule"] == "signing.bad-signature"
    assert plugin("catalog", "ls", "--json").json()["catalogs"][0]["pubkey"] == (
        site.catalog_key.public
    )


# --- 2. consent bound to the package ------------------------------------------------------


def _lying_entry(site, make_archive) -> None:
    """weather-tools 1.0.0 asks for secrets, writes and processes; its validly signed catalog
    entry says: low risk, no network, no process."""
    site.release(make_archive("weather-tools", "1.0.0", capabilities=GREEDY), publish=False)
    [entry] = site.doc["entries"]
    entry.update(capabilities={}, risk="low", capability_summary="network: none · process: no")
    site.write_catalog()


def test_an_entry_that_under_states_the_requests_is_refused_after_download(
    publisher, plugin, make_archive
) -> None:
    _lying_entry(publisher, make_archive)
    add = ("catalog", "add", publisher.url, "--name", "acme", "--pubkey")
    assert plugin(*add, publisher.catalog_key.public).code == 0
    plan = plugin("install", "weather-tools", "--dry-run", "--json").json()["plan"]
    assert (plan["risk"], plan["capabilities"]) == ("low", {})  # what the entry claims
    r = plugin("install", "weather-tools", "--yes", "--json")
    assert r.code == 3, r.out
    err = r.json()["error"]
    assert err["rule"] == "consent-mismatch" and "process: YES" in err["message"]
    assert read_lock(user_store()) == {} and user_store().archives() == []


def test_an_entry_whose_risk_contradicts_its_own_requests_is_refused_before_download(
    publisher, plugin, make_archive
) -> None:
    publisher.release(make_archive("weather-tools", "1.0.0", capabilities=GREEDY), publish=False)
    publisher.doc["entries"][0]["risk"] = "low"
    publisher.write_catalog()
    add = ("catalog", "add", publisher.url, "--name", "acme", "--pubkey")
    assert plugin(*add, publisher.catalog_key.public).code == 0
    shown = plugin("show", "weather-tools")
    assert shown.code == 0 and "risk:         high" in shown.out and "claims risk low" in shown.out
    r = plugin("install", "weather-tools", "--dry-run")
    assert r.code == 3 and "consent-mismatch" in r.err


def test_a_local_file_shows_the_manifests_requests_before_it_asks(make_archive, plugin) -> None:
    built = make_archive("weather-tools", "1.0.0", capabilities=GREEDY)
    r = plugin("install", built.path, "--sha256", built.sha256)
    assert r.code == 4 and "needs-confirmation" in r.err
    before_question = r.err.split("error[")[0]
    assert "risk:         high" in before_question
    assert "secrets: SLACK_*" in before_question and "process: YES" in before_question
    _store_untouched_since(None)


def test_a_url_shows_the_verified_manifests_requests(make_archive, plugin) -> None:
    built = make_archive("weather-tools", "1.0.0", capabilities=GREEDY)
    url = built.path.as_uri()
    r = plugin("install", url, "--sha256", built.sha256)
    assert r.code == 4 and "shown after the download is verified" in r.err
    _store_untouched_since(None)
    r = plugin("install", url, "--sha256", built.sha256, "--yes")
    assert r.code == 0, r.err
    assert "verified: weather-tools 1.0.0" in r.err and "process: YES" in r.err


def _on_terminal(args: list[str], answer: bytes) -> tuple[int, str]:
    """Run `plugin ARGS` on a pseudo-terminal and answer its one question with `answer`."""
    main, tty = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plugin_kit", *args], stdin=tty, stdout=tty, stderr=tty
    )
    os.close(tty)
    out, answered = b"", False
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if not answered and b"[y/N]" in out:
            os.write(main, answer)
            answered = True
    os.close(main)
    return proc.wait(), out.decode("utf-8", "replace").replace("\r\n", "\n")


def test_a_url_install_asks_on_a_terminal_after_showing_the_requests(make_archive, plugin) -> None:
    built = make_archive("weather-tools", "1.0.0", capabilities=GREEDY)
    code, out = _on_terminal(["install", built.path.as_uri(), "--sha256", built.sha256], b"n\n")
    assert code == 4 and "not-confirmed" in out
    assert out.index("process: YES") < out.index("Install it?")
    _store_untouched_since(None)


GRANTS = [
    "  grant: network: api.weather.gov/",
    "  grant: secret: SLACK_*",
    "  grant: filesystem read: workspace",
    "  grant: filesystem write: workspace",
    "  grant: process: yes (HIGH: runs programs with your rights)",
]


def test_enable_lists_every_grant_and_needs_a_yes(make_archive, plugin) -> None:
    built = make_archive(
        "weather-tools",
        "1.0.0",
        capabilities='network = [{ host = "api.weather.gov", path_prefix = "/" }]\n' + GREEDY,
    )
    assert plugin("install", built.path, "--sha256", built.sha256, "--yes").code == 0
    r = plugin("enable", "weather-tools", "--grant-requested")
    assert r.code == 4 and "needs-confirmation" in r.err
    assert load_enablements() == [] and resolve_enabled(None) == []
    code, out = _on_terminal(["enable", "weather-tools", "--grant-requested"], b"n\n")
    assert code == 4 and all(line in out for line in GRANTS)
    assert out.index(GRANTS[-1]) < out.index("Enable it with these grants?")
    assert load_enablements() == []
    r = plugin("enable", "weather-tools", "--grant-requested", "--yes")
    assert r.code == 0
    assert r.out.splitlines() == ["Enabled user:weather-tools 1.0.0", *GRANTS]
    narrow = plugin("enable", "weather-tools", "--grant", "secrets=SLACK_TOKEN", "--yes", "--json")
    assert narrow.json()["granted"] == ["secret: SLACK_TOKEN"]
    nothing = plugin("enable", "weather-tools", "--yes")
    assert nothing.out.splitlines()[1] == (
        "  grant: nothing (it runs with none of its requested capabilities)"
    )
