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
