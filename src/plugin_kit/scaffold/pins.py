"""Versions pinned into generated workflows, and the action reference: the one place for both.

The toolchain's action is referenced by the major tag its release moves (`@v0`, see the
repository's release.yml), allowed by the generated `.github/zizmor.yml`, or by a commit given
with `create-plugin --set action_ref=<sha>`. Until the toolchain's first release exists the tag
is a placeholder: `create-plugin` and `plugin validate` say so (ACTION_RELEASED). Third-party
actions are pinned by full commit hash (node24 releases), as zizmor's unpinned-uses requires;
the toolchain's own action.yml and workflows use the same commits (tests/publish check).
"""

from __future__ import annotations

import re
from pathlib import Path

from plugin_kit.errors import UsageError
from plugin_kit.links import ACTION
from plugin_kit.validators.problems import Problem

__all__ = ["ACTION_TAG", "THIRD_PARTY", "action_ref", "placeholder_uses", "workflow_pins"]

ACTION_TAG = "v0"  # the major tag the toolchain's release.yml moves to each v0.x.y
# Flip to True in the commit that follows the toolchain's first release (docs/publishing.md).
ACTION_RELEASED = False
# name -> (commit, release): checked against the actions' own repositories' tags.
THIRD_PARTY = {
    "actions/checkout": ("fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09", "v5.1.0"),
    "actions/setup-python": ("ece7cb06caefa5fff74198d8649806c4678c61a1", "v6.3.0"),
    "actions/cache": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/attest-build-provenance": ("a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32", "v4.1.0"),
}
_COMMIT = re.compile(r"[0-9a-f]{40}")
_TAG = re.compile(r"v\d+(\.\d+){0,2}")


def action_ref(given: str = "") -> str:
    """The ref generated workflows use: a full commit, a release tag, or by default ACTION_TAG."""
    ref = given.strip() or ACTION_TAG
    if not (_COMMIT.fullmatch(ref) or _TAG.fullmatch(ref)):
        raise UsageError(
            f"action_ref {ref!r} is neither a full commit hash nor a release tag such as v0",
            rule="create.action-ref",
            place="--set action_ref",
            hint=f"pass the 40-hex commit of a {ACTION} release, e.g. --set action_ref=<sha>",
        )
    return ref


def workflow_pins(given_ref: str = "") -> dict[str, str]:
    """Private template variables (not answers): rendered into ci.yml and release.yml."""
    ref = action_ref(given_ref)
    by_tag = bool(_TAG.fullmatch(ref))
    pins = {
        "_action_uses": f"{ACTION}@{ref}",
        "_action_comment": "release tag (.github/zizmor.yml)" if by_tag else "a release commit",
        "_action": ACTION,
    }
    for name, (sha, version) in THIRD_PARTY.items():
        key = name.split("/", 1)[1].replace("-", "_")
        pins[f"_{key}_uses"] = f"{name}@{sha}"
        pins[f"_{key}_version"] = version
    return pins


def placeholder_uses(project: Path) -> list[Problem]:
    """Warnings for workflows that still use the action at the unreleased placeholder tag."""
    if ACTION_RELEASED:
        return []
    out = []
    needle = re.compile(rf"uses:\s*{re.escape(ACTION)}@{re.escape(ACTION_TAG)}\b")
    for wf in sorted((project / ".github" / "workflows").glob("*.y*ml")):
        for n, line in enumerate(wf.read_text(encoding="utf-8", errors="replace").splitlines()):
            if needle.search(line):
                out.append(_placeholder(wf.relative_to(project).as_posix(), n + 1))
    return out


def _placeholder(file: str, line: int) -> Problem:
    return Problem(
        "action-ref-placeholder",
        f"line {line} uses {ACTION}@{ACTION_TAG}, a tag the toolchain has not released yet",
        file=file,
        phase="workflow",
        hint=f"once {ACTION} has a release, keep @{ACTION_TAG} or pin its commit in the uses: "
        "line (create-plugin --set action_ref=<sha> does it for a new project)",
        severity="warning",
    )
