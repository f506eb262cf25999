"""Where the toolchain lives online: the one place that names its repository and action.

The repository is not public yet; REPOSITORY is the name it will be published under. Docs,
templates, workflow pins and error hints all build their URLs from here, so moving it is one
edit (plus `[project.urls]` in pyproject.toml, which cannot import; a test keeps them equal).
"""

from __future__ import annotations

import re

__all__ = ["ACTION", "REPOSITORY", "docs_url"]

# owner/name on GitHub; also the action's `uses:` name (action.yml sits at the repository root).
ACTION = "insomnia-plugin-kit/insomnia-plugin-kit"
REPOSITORY = f"https://github.com/{ACTION}"


def docs_url(page: str, section: str = "") -> str:
    """The online page of docs/<page> (the wheel ships no docs), optionally at a heading."""
    # GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    slug = re.sub(r"[^\w\- ]", "", section.lower()).replace(" ", "-")
    anchor = f"#{slug}" if section else ""
    return f"{REPOSITORY}/blob/main/docs/{page}{anchor}"
