"""Versions pinned into generated workflows: the one place to change them.

ACTION_SHA is a placeholder until the toolchain's action has a tagged release: replace it
with the commit of that tag (docs/authoring.md, "Releasing"). Third-party actions are
pinned by full commit hash, as zizmor's unpinned-uses audit requires.
"""

from __future__ import annotations

from plugin_kit import __version__

__all__ = ["workflow_pins"]

ACTION_REPO = "insomnia/plugin-kit"
ACTION_SHA = "0123456789abcdef0123456789abcdef01234567"
CHECKOUT_SHA = "08eba0b27e820071cde6df949e0beb9ba4906955"
CHECKOUT_VERSION = "v4.3.0"
SETUP_PYTHON_SHA = "a26af69be951a213d495a4c3e4e4022e16d87065"
SETUP_PYTHON_VERSION = "v5.6.0"


def workflow_pins() -> dict[str, str]:
    """Private template variables (not answers): rendered into ci.yml and release.yml."""
    return {
        "_action_repo": ACTION_REPO,
        "_action_sha": ACTION_SHA,
        "_action_version": f"v{__version__}",
        "_checkout_sha": CHECKOUT_SHA,
        "_checkout_version": CHECKOUT_VERSION,
        "_setup_python_sha": SETUP_PYTHON_SHA,
        "_setup_python_version": SETUP_PYTHON_VERSION,
        "_toolchain_version": __version__,
    }
