"""Run a plugin's [build].command before packing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from plugin_kit.errors import BuildError

__all__ = ["run_build"]


def _argv(command: list[str]) -> list[str]:
    # "plugin ..." means this toolchain, even when its venv is not on PATH.
    if command[0] == "plugin":
        return [sys.executable, "-m", "plugin_kit", *command[1:]]
    return list(command)


def run_build(project_dir: Path, command: list[str], *, timeout: float = 600) -> None:
    """Run the build in the plugin folder; on failure raise with the tail of its output."""
    try:
        proc = subprocess.run(
            _argv(command), cwd=project_dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=timeout, check=False,
        )  # fmt: skip
    except FileNotFoundError as exc:
        raise BuildError(
            f"build command not found: {command[0]}", rule="build-failed", place="plugin.toml:build.command",
            hint="Install the tool, or fix [build].command.",
        ) from exc  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise BuildError(
            f"build timed out after {timeout:.0f} s", rule="build-failed", place="build.command"
        ) from exc
    if proc.returncode != 0:
        tail = proc.stdout.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise BuildError(
            f"build failed with exit code {proc.returncode}:\n    " + "\n    ".join(tail),
            rule="build-failed", place="plugin.toml:build.command",
            hint="Fix the build, or pack what is there with --no-build.",
        )  # fmt: skip
