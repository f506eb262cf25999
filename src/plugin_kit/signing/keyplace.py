"""Where a new secret key may go: by default outside every project, and never where git tracks it.

A key written into a project folder is one `git add .` away from a public repository, so
`plugin keygen` writes to the per-user config folder unless told otherwise, and refuses a
path inside a git work tree that git would not ignore.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from plugin_kit.signing.errors import KeyFileError

__all__ = ["DEFAULT_KEY_NAME", "default_key_dir", "check_untracked"]

DEFAULT_KEY_NAME = "release"


def default_key_dir(env: dict[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/insomnia-plugin-kit/keys` (an empty variable counts as unset)."""
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "insomnia-plugin-kit" / "keys"


def check_untracked(secret_path: Path) -> None:
    """Refuse `secret_path` when it lies in a git work tree and git does not ignore it."""
    if shutil.which("git") is None:
        return
    folder = _existing_ancestor(secret_path.absolute().parent)
    inside = _git(folder, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return
    # check-ignore answers 0 for an ignored path, 1 for one git would track; works for new files.
    ignored = _git(folder, "check-ignore", "-q", "--no-index", str(secret_path.absolute()))
    if ignored.returncode == 0:
        return
    top = _git(folder, "rev-parse", "--show-toplevel").stdout.strip()
    raise KeyFileError(
        f"{secret_path} is inside the git work tree {top} and git would track it",
        rule="signing.key-in-git",
        place=str(secret_path),
        hint="leave out -o to use the default folder outside the project, or add '*.key' to "
        ".gitignore first",
    )


def _existing_ancestor(path: Path) -> Path:
    while not path.is_dir() and path != path.parent:
        path = path.parent
    return path


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False
    )
