"""The dev host: holds exactly one plugin, the one under development, and swaps it only for a good one.

A new version is loaded into a fresh instance next to the old one; the old one is retired only after
the new one loaded and answered its probe. A failed load leaves the previous version loaded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugin_kit.dev.adapters import load_plugin
from plugin_kit.dev.adapters._warm import WarmPool
from plugin_kit.dev.adapters.base import HostOptions, LoadContext, LoadedPlugin

__all__ = ["Loaded", "DevHost"]


@dataclass
class Loaded:
    """One loaded version: the instance, its content digest, and its private temp folder."""

    plugin: LoadedPlugin
    digest: str
    id: str
    version: str
    temp_dir: Path

    def close(self) -> None:
        try:
            self.plugin.close()
        finally:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


class DevHost:
    """Loads from the extracted cache folder; grants the manifest's requests and nothing else."""

    def __init__(
        self,
        workspace: Path,
        environ: Mapping[str, str] | None = None,
        options: HostOptions | None = None,
    ) -> None:
        self.workspace = Path(workspace)
        self.environ = dict(os.environ if environ is None else environ)
        self.options = options or HostOptions()
        self.current: Loaded | None = None
        self.warm = WarmPool()

    def load(
        self, package_dir: Path, digest: str, manifest: Any, *, source: Path | None = None
    ) -> Loaded:
        """A fresh instance of the package (whose parsed manifest is `manifest`, built from the
        author's folder `source`); not yet active. Raises and cleans up on failure."""
        temp_dir = Path(tempfile.mkdtemp(prefix=f"plugin-dev-{manifest.id}-"))
        ctx = LoadContext(package_dir, manifest, self.workspace, temp_dir, self.environ, self.warm,
                          self.options, source)  # fmt: skip
        try:
            plugin = load_plugin(ctx)
        except BaseException:
            shutil.rmtree(temp_dir, ignore_errors=True)
            raise
        return Loaded(plugin, digest, manifest.id, manifest.version, temp_dir)

    def activate(self, loaded: Loaded) -> Loaded | None:
        """Make `loaded` current; return the previous one for the caller to close when convenient."""
        previous, self.current = self.current, loaded
        return previous

    def close(self) -> None:
        current, self.current = self.current, None
        try:
            if current is not None:
                current.close()
        finally:
            self.warm.close()
