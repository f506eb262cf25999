"""Conventions a `gh`, `cargo` or `npm` user expects: NO_COLOR, a suggestion for a mistyped
command, shell completion, the environment listed in --help, one progress look, and
nothing a terminal would interpret in a log."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from helpers.tty import bash_completions, plugin_on_tty, plugin_piped

SRC = Path(__file__).resolve().parents[1] / "src" / "plugin_kit"
ROOT = SRC.parents[1]
ESC = "\x1b"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        **env,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        **extra,
    }


def _plugin(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return plugin_piped(*args, env=env, cwd=cwd)


def test_no_color_is_honoured_on_a_terminal(tmp_path: Path) -> None:
    code, coloured = plugin_on_tty("show", "nothing-here", env=_env(tmp_path), cwd=tmp_path)
    assert code != 0 and f"{ESC}[" in coloured  # the red "error" label, on a terminal
    code, plain = plugin_on_tty(
        "show", "nothing-here", env=_env(tmp_path, NO_COLOR="1"), cwd=tmp_path
    )
    assert code != 0 and "error[" in plain and ESC not in plain


def test_a_mistyped_command_suggests_the_right_one(tmp_path: Path) -> None:
    r = _plugin("instal", "x", env=_env(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and "Did you mean 'install'?" in r.stderr
    r = _plugin("catalog", "lss", env=_env(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and "Did you mean 'ls'?" in r.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_for_each_shell(tmp_path: Path, shell: str) -> None:
    r = _plugin("completion", shell, env=_env(tmp_path), cwd=tmp_path)
    assert r.returncode == 0 and "_PLUGIN_COMPLETE" in r.stdout
    assert f"{shell}_complete" in r.stdout  # the script asks `plugin` itself for candidates


def test_bash_accepts_the_script_and_it_completes_commands(tmp_path: Path) -> None:
    script = _plugin("completion", "bash", env=_env(tmp_path), cwd=tmp_path).stdout
    (tmp_path / "c.bash").write_text(script)
    checked = subprocess.run(["bash", "-n", str(tmp_path / "c.bash")], capture_output=True)
    assert checked.returncode == 0, checked.stderr
    words = complete(tmp_path, "plugin", "ins")
    assert {"inspect", "install"} <= set(words)


def complete(tmp_path: Path, *words: str) -> list[str]:
    return bash_completions(*words, env=_env(tmp_path), cwd=tmp_path)


def _environment_names() -> set[str]:
    """Every variable the code reads by name: os.environ / env lookups and the XDG helpers."""
    pattern = re.compile(
        r'(?:environ|env)(?:\.get)?[\(\[]\s*"([A-Z][A-Z0-9_]+)"'
        r'|_env_path\(env, "([A-Z_]+)"|_xdg\("([A-Z_]+)"|ENV_[A-Z_]+ = "([A-Z_]+)"'
        r'|user_store_base=\("([A-Z_]+)"'
    )
    names = set()
    for path in SRC.rglob("*.py"):
        if "templates" in path.parts:  # the generated project's own files, not the tool
            continue
        for match in pattern.finditer(path.read_text()):
            names.add(next(g for g in match.groups() if g))
    # A test hook (installer/_fs.py), and a variable set (not read) for a dev plugin's process.
    return names - {"PLUGIN_KIT_CRASH_AT", "PYTHONDONTWRITEBYTECODE"}


def test_help_lists_every_environment_variable_the_tool_reads(tmp_path: Path) -> None:
    names = _environment_names()
    assert {"XDG_CONFIG_HOME", "PLUGIN_KIT_LOCK_TIMEOUT", "MINISIGN_PASSWORD"} <= names
    shown = _plugin("--help", env=_env(tmp_path), cwd=tmp_path).stdout
    missing = {n for n in names if n not in shown}
    assert not missing, f"plugin --help does not list {sorted(missing)}"
    assert "NO_COLOR" in shown


def test_demo_script_writes_no_escape_codes_into_a_log() -> None:
    """scripts/demo.sh styles its step titles only on a terminal (and not with NO_COLOR)."""
    script = (ROOT / "scripts" / "demo.sh").read_text()
    step = next(line for line in script.splitlines() if line.startswith("step()"))
    run = subprocess.run(
        ["bash", "-c", f"{step}\nstep hello"], capture_output=True, text=True, timeout=30
    )
    assert run.stdout == "\n== hello\n" and ESC not in run.stdout


def test_make_demo_shows_the_install_step() -> None:
    makefile = (ROOT / "Makefile").read_text()
    install = [line for line in makefile.splitlines() if "pip install" in line and "-e" in line]
    assert install and all("--quiet" not in line for line in install)


def test_a_line_while_scrypt_unlocks_an_encrypted_key(tmp_path: Path) -> None:
    from plugin_kit.signing.keys import generate_keypair

    pair = generate_keypair(tmp_path / "enc", "pw", opslimit=1 << 16, memlimit=1 << 22)
    (tmp_path / "f.txt").write_text("x")
    env = {k: v for k, v in _env(tmp_path).items() if k != "MINISIGN_PASSWORD"}
    args = ("sign", "f.txt", "--key", str(pair.secret_key))
    # Typed once getpass shows its part of the prompt (": "): it flushes the terminal's input
    # first, and older click writes "Password for the secret key:" itself before that.
    code, out = plugin_on_tty(*args, env=env, cwd=tmp_path, answer=b"pw\n", when=b"secret key: ")
    assert code == 0, out
    assert out.index("Password for the secret key") < out.index("unlocking the key (scrypt")
    (tmp_path / "f.txt.minisig").unlink()
    r = _plugin(*args, env={**env, "MINISIGN_PASSWORD": "pw"}, cwd=tmp_path)
    assert r.returncode == 0 and "unlocking the key (scrypt" in r.stderr
    plain = generate_keypair(tmp_path / "plain", None)
    (tmp_path / "f.txt.minisig").unlink()
    r = _plugin("sign", "f.txt", "--key", str(plain.secret_key), env=env, cwd=tmp_path)
    assert r.returncode == 0 and "unlocking" not in r.stderr
