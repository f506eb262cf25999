"""Interactive create-plugin on a real pseudo-terminal: each answer is checked at its prompt."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import tomllib
from pathlib import Path

from scaffold.helpers import isolated_env

_DEADLINE = 120  # seconds without output before the test gives up (a hung prompt)


class Terminal:
    """create-plugin on a pty: wait for a prompt, type a line, keep everything it printed."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        code = "from plugin_kit.cli.create import main; main()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.seen = ""

    def expect(self, text: str) -> str:
        start = len(self.seen)
        while text not in self.seen[start:]:
            ready, _, _ = select.select([self.master], [], [], _DEADLINE)
            assert ready, f"no {text!r} on the terminal; it shows:\n{self.seen}"
            try:
                chunk = os.read(self.master, 4096).decode("utf-8", "replace")
            except OSError:  # the child closed the terminal
                chunk = ""
            assert chunk, f"create-plugin ended before {text!r}:\n{self.seen}"
            self.seen += chunk
        return self.seen[start:]

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def finish(self) -> int:
        while True:
            ready, _, _ = select.select([self.master], [], [], _DEADLINE)
            try:
                chunk = os.read(self.master, 4096).decode("utf-8", "replace") if ready else ""
            except OSError:
                chunk = ""
            if not chunk:
                break
            self.seen += chunk
        os.close(self.master)
        return self.proc.wait(timeout=_DEADLINE)


def test_each_answer_is_checked_at_its_prompt(tmp_path: Path) -> None:
    folder = tmp_path / "weather-tools"
    folder.mkdir()
    env = {**isolated_env(tmp_path / "home"), "PYTHONPATH": os.pathsep.join(sys.path)}
    term = Terminal([".", "--no-git"], folder, env)  # `create-plugin .`: the folder names the id

    kinds = term.expect("runtime [wasm]")
    assert "hooks" in kinds and "no code" in kinds and "MCP server" in kinds
    term.type("lambda")
    assert "choose one of: hooks, wasm, mcp" in term.expect("runtime [wasm]")
    term.type("hooks")
    term.expect("name [Weather Tools]")
    term.type("")
    term.expect("id [weather-tools]")
    term.type("Weather_Tools")
    assert "not a plugin id" in term.expect("id [weather-tools]")
    term.type("")  # the folder's name, as offered
    term.expect("description")
    term.type("")
    # No git identity in this home: no stand-in author is offered, Enter asks again.
    term.expect("author: ")
    term.type("")
    term.expect("author: ")
    term.type("Ada Lovelace <ada@analytical.engine>")
    term.expect("license [MIT]")
    term.type("0.1")
    assert "not an SPDX license expression" in term.expect("license [MIT]")
    term.type("Apache-2.0")
    assert term.finish() == 0, term.seen
    assert "rendering" not in term.seen and "--id" not in term.seen

    plugin = tomllib.loads((folder / "plugin.toml").read_text())["plugin"]
    assert (plugin["id"], plugin["runtime"], plugin["license"]) == (
        "weather-tools", "hooks", "Apache-2.0",
    )  # fmt: skip
    assert plugin["authors"] == ["Ada Lovelace <ada@analytical.engine>"]
    assert "author-placeholder" not in term.seen


def test_yoi_ids_are_checked_by_the_hosts_rule(tmp_path: Path) -> None:
    """Yoi ids are the host's `is_safe_id`: upper case and dots pass, a leading dot does not."""
    env = {**isolated_env(tmp_path / "home"), "PYTHONPATH": os.pathsep.join(sys.path)}
    args = ["--host", "yoi", "--runtime", "tool", "--no-git", "--author", "Ada <ada@a.dev>"]
    term = Terminal([*args, "--license", "MIT"], tmp_path, env)
    term.expect("name [My Plugin]")
    term.type("Shout")
    term.expect("id [shout]")
    term.type(".hidden")
    assert "not a Yoi plugin id" in term.expect("id [shout]")
    term.type("")
    term.expect("description")
    term.type("")
    assert term.finish() == 0, term.seen
    assert (tmp_path / "shout" / "plugin.toml").is_file()
