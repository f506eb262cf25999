"""What the dev loop watches, and a digest of it, so a change that changes nothing rebuilds nothing.

One ignore list serves the watcher and the digest: what is never packed (VCS folders, dist/, .insomnia/,
editor droppings), tool caches, editor temp files of atomic saves, and the project's own .gitignore.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from plugin_kit.content.collect import NEVER_PACKED
from plugin_kit.content.digest import FileRecord, content_digest

__all__ = ["IGNORED", "IgnoreRules", "tree_digest"]

# Beyond NEVER_PACKED: caches and editor temp files (vim's 4913 probe, JetBrains safe-write, atomic-save temps).
IGNORED = [
    "node_modules/", ".venv/", "venv/", ".tox/", ".mypy_cache/", ".ruff_cache/", ".hypothesis/",
    ".idea/", ".vscode/", "*.tmp", "*.temp", "*.swx", "*.swpx", "4913", "*___jb_tmp___", "*___jb_old___",
    "*.orig", "*.rej", ".directory", "flycheck_*",
]  # fmt: skip


class IgnoreRules:
    """Matches project-relative paths against NEVER_PACKED, IGNORED and the project's .gitignore."""

    def __init__(self, root: Path) -> None:
        import pathspec

        self.root = Path(root).resolve()
        lines = [*NEVER_PACKED, *IGNORED]
        gitignore = self.root / ".gitignore"
        if gitignore.is_file():
            lines += gitignore.read_text("utf-8", "replace").splitlines()
        self._spec = pathspec.GitIgnoreSpec.from_lines(lines)

    def ignored(self, rel: str, *, is_dir: bool = False) -> bool:
        if rel in ("", "."):
            return False
        # A file under an ignored folder is ignored too; check each ancestor as a folder.
        parts = rel.split("/")
        for i in range(1, len(parts)):
            if self._spec.match_file("/".join(parts[:i]) + "/"):
                return True
        return self._spec.match_file(rel + "/" if is_dir else rel)

    def watch_filter(self, change: Any, path: str) -> bool:
        """watchfiles' filter signature: keep the change unless its path is ignored."""
        try:
            rel = Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return False
        return not self.ignored(rel, is_dir=os.path.isdir(path))

    def files(self) -> list[tuple[str, os.stat_result]]:
        found: list[tuple[str, os.stat_result]] = []
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            with os.scandir(self.root / rel_dir) as it:
                for entry in it:
                    rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISDIR(st.st_mode):
                        if not self.ignored(rel, is_dir=True):
                            stack.append(rel)
                    elif stat.S_ISREG(st.st_mode) and not self.ignored(rel):
                        found.append((rel, st))
        return found


def _record(root: Path, rel: str, st: os.stat_result) -> FileRecord | None:
    from plugin_kit.content.collect import SourceFile

    mode = 0o755 if st.st_mode & 0o111 else 0o644
    try:
        return SourceFile(rel, root / rel, mode, st.st_size).record()
    except FileNotFoundError:
        return None  # deleted between listing and reading: the next event covers it


def tree_digest(rules: IgnoreRules) -> str:
    """Content digest (design.md's algorithm) over every watched file of the project."""
    records = [_record(rules.root, rel, st) for rel, st in rules.files()]
    return content_digest(r for r in records if r is not None)
