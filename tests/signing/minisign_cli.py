"""Shared by signing and catalog tests: the real minisign CLI, a test password, cheap scrypt limits."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

MINISIGN = shutil.which("minisign")
# Interoperability is part of the contract: without the CLI these tests fail, unless a developer
# opts out explicitly (CI never does; .ci/run installs minisign).
SKIP_CLI = MINISIGN is None and os.environ.get("PLUGIN_KIT_SKIP_MINISIGN_CLI") == "1"
needs_minisign = pytest.mark.skipif(
    SKIP_CLI, reason="PLUGIN_KIT_SKIP_MINISIGN_CLI=1 and no minisign"
)

# Small scrypt limits keep our encrypted keys fast in tests; the CLI reads them from the file.
FAST = {"opslimit": 1 << 16, "memlimit": 1 << 22}
PASSWORD = "correct horse battery staple"


def minisign(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MINISIGN or "minisign", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
