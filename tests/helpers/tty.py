"""Run the CLI on a real pseudo-terminal (standard library `pty`), where a terminal matters:
progress lines, prompts, colour."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path


def plugin_on_tty(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    answer: bytes | None = None,
    when: bytes = b"[y/N]",
) -> tuple[int, str]:
    """`plugin ARGS` with stdin, stdout and stderr on one pty; returns (exit code, all output,
    "\\r\\n" read as "\\n"). `answer` is typed once the output shows `when` (a question)."""
    main, tty = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plugin_kit", *args],
        stdin=tty,
        stdout=tty,
        stderr=tty,
        env=env,
        cwd=cwd,
    )
    os.close(tty)
    out, answered = b"", answer is None
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if not answered and when in out:
            os.write(main, answer or b"")
            answered = True
    os.close(main)
    return proc.wait(timeout=120), out.decode("utf-8", "replace").replace("\r\n", "\n")


def plugin_piped(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`plugin ARGS` with no terminal at all: stdin empty, stdout and stderr captured."""
    return subprocess.run(
        [sys.executable, "-m", "plugin_kit", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def bash_completions(
    *words: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> list[str]:
    """What `plugin` answers bash's completion request for the last of `words`."""
    request = {
        "_PLUGIN_COMPLETE": "bash_complete",
        "COMP_WORDS": " ".join(words),
        "COMP_CWORD": str(len(words) - 1),
    }
    r = plugin_piped(env={**(env if env is not None else os.environ), **request}, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return [line.split(",", 1)[1] for line in r.stdout.splitlines() if "," in line]
