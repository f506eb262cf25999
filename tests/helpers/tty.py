"""Run the CLI on a real pseudo-terminal (standard library `pty`), where a terminal matters:
progress lines, prompts, colour."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path


def plugin_on_tty(
    *args: str, env: dict[str, str], cwd: Path, answers: str = "", timeout: float = 120
) -> tuple[int, str]:
    """`plugin ARGS` with stdin, stdout and stderr on one pty; returns (exit code, all output).
    `answers` is typed once the process started (a prompt reads it from the terminal)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plugin_kit", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    os.close(slave)
    if answers:
        os.write(master, answers.encode())
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                proc.kill()
                raise AssertionError("no output from the pty in time: " + b"".join(chunks).decode())
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")
