"""The same id installed for both hosts in the user store: a bare REF is refused as ambiguous
by every command that names one, with a hint naming `--host`, and `--host` picks the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import yoi_host_config as host

ID = "weather-tools"


@pytest.fixture
def both(plugin, make_archive, make_yoi_archive):
    for pack in (make_archive(ID, "1.0.0"), make_yoi_archive("no-permissions", plugin_id=ID)):
        r = plugin("install", pack.path, "--sha256", pack.sha256, "--yes")
        assert r.code == 0, r.err


def _profile(home: Path) -> dict:
    reg = host.read_registry(home / ".config" / "yoi" / "profiles.toml")
    return host.read_profile(reg["plugins"])


@pytest.mark.parametrize(
    "args",
    [
        ["enable", ID, "--grant-requested", "--yes"],
        ["disable", ID],
        ["uninstall", ID],
        ["verify", ID],
        ["upgrade", ID, "--offline", "--yes"],
    ],
    ids=lambda a: a[0],
)
def test_a_bare_ref_is_ambiguous_and_the_hint_names_host(plugin, both, tmp_path, args) -> None:
    r = plugin(*args, "--workspace", tmp_path, "--json")
    assert r.code == 2, r.out
    err = r.json()["error"]
    assert err["rule"] == "ref-ambiguous"
    assert "--host insomnia or --host yoi" in err["hint"], err["hint"]


def test_host_picks_the_store_for_each_command(plugin, both, isolated_home, tmp_path) -> None:
    ws = ["--workspace", tmp_path, "--json"]
    r = plugin("enable", ID, "--host", "yoi", "--grant-requested", "--yes", *ws)
    assert r.code == 0, r.out
    assert r.json()["host"] == "yoi"
    assert [e["id"] for e in _profile(isolated_home)["plugins"]["enabled"]] == [f"user:{ID}"]
    r = plugin("enable", ID, "--host", "insomnia", "--grant-requested", "--yes", *ws)
    assert r.code == 0, r.out
    assert "host" not in r.json() and r.json()["active"] is True  # our plugins.toml
    r = plugin("verify", ID, "--host", "yoi", *ws)
    assert r.code == 0 and [c["ref"] for c in r.json()["checked"]] == [f"user:{ID}"]
    r = plugin("verify", "--all", "--host", "insomnia", *ws)
    assert r.code == 0 and len(r.json()["checked"]) == 1, r.out
    r = plugin("upgrade", ID, "--host", "insomnia", "--offline", "--yes", *ws)
    assert r.code == 0, r.out
    assert [x["status"] for x in r.json()["results"]] == ["skipped"]  # not from a catalog
    r = plugin("disable", ID, "--host", "yoi", *ws)
    assert r.code == 0 and r.json()["removed"] == 1, r.out
    assert "plugins" not in _profile(isolated_home)
    r = plugin("uninstall", ID, "--host", "yoi", *ws)
    assert r.code == 0 and r.json()["host"] == "yoi", r.out
    # One store holds it now: the bare REF is no longer ambiguous.
    r = plugin("uninstall", ID, *ws)
    assert r.code == 0 and "host" not in r.json(), r.out
    r = plugin("uninstall", ID, "--host", "yoi", *ws)
    assert r.code != 0 and r.json()["error"]["rule"] == "not-installed"


def test_every_host_has_one_manager_and_no_host_is_compared_in_manage() -> None:
    """manage.py asks a per-host table (as place.py's enablers), never `host.enablement ==`."""
    import inspect

    from plugin_kit.hosts import HOSTS
    from plugin_kit.installer import manage, place

    assert {h.enablement for h in HOSTS.values()} == set(manage._MANAGERS)
    assert all(place.enabler(h) is not None for h in HOSTS.values())
    source = inspect.getsource(manage)
    assert "enablement !=" not in source and "enablement ==" not in source
