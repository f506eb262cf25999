"""Grants: exactly the declared secrets and filesystem scopes, nothing else."""

from __future__ import annotations

from pathlib import Path

from plugin_kit.dev.policy import filesystem_preopens, requested, secret_env

ENV = {
    "WEATHER_KEY": "k",
    "WEATHER_URL": "u",
    "WEATHERMAN": "w",
    "SECRET_TOKEN": "s",
    "PATH": "/bin",
}


def test_secret_globs_pass_only_matching_names():
    passed, withheld = secret_env(["WEATHER_*"], ENV)
    assert passed == {"WEATHER_KEY": "k", "WEATHER_URL": "u"}
    assert withheld == 3


def test_exact_secret_name_does_not_act_as_a_prefix():
    passed, _ = secret_env(["WEATHER"], ENV)
    assert passed == {}


def test_glob_metacharacters_in_values_are_never_looked_at():
    passed, _ = secret_env(["A*"], {"A1": "*", "B": "A*"})
    assert passed == {"A1": "*"}


def test_nothing_declared_passes_only_the_base():
    passed, withheld = secret_env([], ENV, base=("PATH",))
    assert passed == {"PATH": "/bin"}
    assert withheld == 4


def test_preopens_follow_requested_scopes(tmp_path: Path):
    roots = {"workspace": tmp_path / "ws", "temp": tmp_path / "t"}
    got = filesystem_preopens({"read": ["workspace"], "write": ["temp"]}, roots)
    assert [(p.scope, p.guest, p.writable) for p in got] == [
        ("temp", "/tmp", True),
        ("workspace", "/workspace", False),
    ]


def test_scope_without_a_root_is_not_granted(tmp_path: Path):
    assert filesystem_preopens({"read": ["home"]}, {"workspace": tmp_path}) == []


def test_requested_fills_denials_in():
    assert requested({}) == {
        "network": [], "secrets": [], "filesystem": {"read": [], "write": []}, "process": False, "rate_limits": {},
    }  # fmt: skip
