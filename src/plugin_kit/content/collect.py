"""Which files of a plugin folder go into its archive: [package] include/exclude, gitignore-style.

The patterns come from where the host keeps them (content/settings.py: plugin.toml for Insomnia,
the sidecar plugin-kit.toml for Yoi).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from plugin_kit.content.digest import CHUNK, FileRecord, path_order
from plugin_kit.errors import PackError, ValidationError
from plugin_kit.hosts import SIDECAR_NAME, Host, host_for_project
from plugin_kit.validators.hostpaths import host_path_violation
from plugin_kit.validators.models import PluginManifest
from plugin_kit.validators.paths import MANIFEST_NAME, CollisionChecker

__all__ = [
    "SourceFile", "collect_files", "archive_order", "load_project_manifest", "walk_tree",
    "NEVER_PACKED",
]  # fmt: skip

# Never packed, whatever [package] says: VCS folders, caches, editor droppings, our own outputs.
# (`\#*#`: a line starting with `#` is a comment in gitignore syntax; `#*#` excluded nothing.)
NEVER_PACKED = [
    ".git/", ".hg/", ".svn/", ".bzr/", "__pycache__/", "*.pyc", ".pytest_cache/",
    "*.swp", "*.swo", "*~", ".#*", "\\#*#", ".DS_Store",
    "/dist/", "/.insomnia/", "*.insomnia-plugin", "*.minisig.tmp",
    "/.yoi/", "*.yoi-plugin", f"/{SIDECAR_NAME}",
]  # fmt: skip


@dataclass(frozen=True)
class SourceFile:
    """A file of the plugin folder that will be packed, with its normalised mode."""

    path: str
    source: Path
    mode: int
    size: int

    def record(self) -> FileRecord:
        import hashlib  # here: `plugin validate` hashes nothing (content/digest.py)

        h = hashlib.sha256()
        with open(self.source, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        return FileRecord(self.path, self.mode, self.size, h.digest())


def archive_order(path: str) -> tuple[int, bytes]:
    """plugin.toml first, then the UTF-8 bytes of the path."""
    return (0 if path == MANIFEST_NAME else 1, path_order(path))


def _spec(lines: list[str] | None):  # type: ignore[no-untyped-def]
    """pathspec's gitignore matcher for `lines`; None (and pathspec not imported) for none."""
    if not lines:
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def walk_tree(root: Path, never: list[str] | None = None) -> list[tuple[str, os.stat_result]]:
    """Every non-folder entry below `root` with its lstat, `/`-separated, links not followed;
    folders and files matching a gitignore-style line of `never` are skipped (without `never`,
    pathspec is not imported: install and list walk trees this way)."""
    skip = _spec(never)
    found: list[tuple[str, os.stat_result]] = []
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(root / rel_dir if rel_dir else root) as it:
            for entry in it:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    if not (skip and skip.match_file(rel + "/")):
                        stack.append(rel)
                elif not (skip and skip.match_file(rel)):
                    found.append((rel, st))
    return found


def _refuse(rule: str, path: str, message: str, hint: str) -> PackError:
    return PackError(message, rule=rule, place=path, hint=hint)


def _wanted(rel: str, st: os.stat_result, include, exclude) -> bool:  # type: ignore[no-untyped-def]
    if rel == MANIFEST_NAME:
        return True
    probe = (
        rel + "/x" if stat.S_ISLNK(st.st_mode) else rel
    )  # a linked folder counts if its contents would
    if include is not None and not (include.match_file(rel) or include.match_file(probe)):
        return False
    return exclude is None or not exclude.match_file(rel)


def _check(rel: str, st: os.stat_result, checker: CollisionChecker, host: Host) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise _refuse(
            "symlink",
            rel,
            f"{rel} is a symbolic link",
            "Replace the link with the file, or exclude it.",
        )
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(
            "special-file", rel, f"{rel} is not a regular file", "Exclude it in [package].exclude."
        )
    bad = host_path_violation(rel, host) or checker.add(rel)
    if bad is not None:
        raise _refuse(
            bad.rule, rel, bad.message, "Rename the file, or exclude it in [package].exclude."
        )


def load_project_manifest(root: Path, host: Host) -> PluginManifest:
    """Read and parse ROOT/plugin.toml with the host's manifest model (ValidationError if bad)."""
    from plugin_kit.validators.models import manifest_model

    path = root / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"cannot read {path}: {exc.strerror}", rule="manifest-missing", place=str(path),
            hint="Pass the plugin's folder, or run `create-plugin` to make one.",
        ) from exc  # fmt: skip
    return manifest_model(host).parse(data, place=str(path))


def collect_files(
    project_dir: Path, manifest: PluginManifest | None = None, *, host: Host | str | None = None
) -> list[SourceFile]:
    """The files `plugin pack` would pack, in archive order; refuses links, special files, bad paths.

    `host` is a Host, a host name (--host) or None (read from plugin.toml). For a host whose
    digest ignores the mode (Yoi), every file is recorded as 0644.
    """
    from plugin_kit.content.settings import pack_settings

    root = Path(project_dir)
    host = host if isinstance(host, Host) else host_for_project(root, host)
    manifest = manifest or load_project_manifest(root, host)
    settings = pack_settings(root, manifest, host)
    include = _spec(settings.include)
    exclude = _spec(settings.exclude)
    try:
        walked = walk_tree(root, NEVER_PACKED)
    except OSError as exc:
        raise PackError(
            f"cannot read {exc.filename}: {exc.strerror}", rule="io", place=str(exc.filename)
        ) from exc
    checker = CollisionChecker()
    out = []
    for rel, st in sorted(walked, key=lambda item: archive_order(item[0])):
        if not _wanted(rel, st, include, exclude):
            continue
        _check(rel, st, checker, host)
        mode = 0o755 if host.digest_has_mode and st.st_mode & 0o111 else 0o644
        out.append(SourceFile(rel, root / rel, mode, st.st_size))
    return out
