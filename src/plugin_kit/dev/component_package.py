"""A Yoi project as the dev host loads it: built, digested as the host digests it, and copied into
the digest-keyed cache, from which the component is loaded (as Yoi loads it from its store).

The build command is the one `plugin pack` runs (content/settings.py reads plugin-kit.toml for
both). The package is every file the packer never skips (NEVER_PACKED), without the sidecar and
the workspace's `.yoi/`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugin_kit.errors import DevError, ValidationError
from plugin_kit.hosts import SIDECAR_NAME, YOI

__all__ = ["Staged", "read_yoi_manifest", "package_files", "cache_package"]


@dataclass(frozen=True)
class Staged:
    """A built package ready to load: the folder holding it, its digest, id and version."""

    package_dir: Path
    digest: str
    id: str
    version: str


def read_yoi_manifest(folder: Path) -> Any:
    from plugin_kit.validators.models import manifest_model

    path = Path(folder) / "plugin.toml"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}", rule="manifest-missing",
                              place=str(path)) from exc  # fmt: skip
    return manifest_model(YOI).parse(data, place=str(path))


def package_files(project: Path) -> list[tuple[str, Path]]:
    """(path in the package, file) for every file of the Yoi package, in path-byte order."""
    from plugin_kit.content.collect import NEVER_PACKED, walk_tree

    never = [*NEVER_PACKED, f"/{SIDECAR_NAME}", "/.yoi/", "*.yoi-plugin"]
    walked = walk_tree(Path(project), never)
    return sorted(((rel, Path(project) / rel) for rel, _st in walked), key=lambda f: f[0].encode())


def cache_package(files: list[tuple[str, Path]]) -> tuple[Path, str]:
    """Copy the package into the digest-keyed cache; return its folder and digest.

    The digest is taken from the copies, so an edit saved meanwhile cannot make the folder and
    its key disagree; the copies are renamed into place, so a reader never sees half a package."""
    from plugin_kit.content.collect import SourceFile
    from plugin_kit.content.digest import content_digest
    from plugin_kit.installer.cache import ensure_cached, staged_tree
    from plugin_kit.installer.paths import plugin_cache_dir

    def copy(tree: Path) -> str:
        for rel, source in files:
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tree / rel)
        records = [SourceFile(rel, tree / rel, 0o644, (tree / rel).stat().st_size).record()
                   for rel, _ in files]  # fmt: skip
        return content_digest(records, YOI)

    base = plugin_cache_dir()
    try:
        # A staged tree of the cache: `plugin cache gc` leaves it alone while this runs; it is
        # renamed to its digest's name as an install's is, under the digest's lock, and a tree
        # already there is reused only if it still hashes to its name (not a link, not edited).
        with staged_tree(copy) as staged:
            digest = staged.info
            final = ensure_cached(staged.tree, digest, YOI, staged=staged.tree)
    except OSError as exc:
        raise DevError(f"cannot cache the package: {exc}", rule="io", place=str(base)) from exc
    return final, digest
