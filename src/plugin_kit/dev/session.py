"""One dev cycle: validate, build, pack, install into the workspace store, reload, probe; timed per phase.

A cycle never raises a plugin's error: it reports it as an `error` event and leaves the last good
version loaded. A cycle whose watched files hash to what was already handled does nothing at all,
which absorbs duplicate watcher events and the build's own writes.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_kit.dev.adapters.base import HostOptions
from plugin_kit.dev.component_package import Staged
from plugin_kit.dev.host import DevHost, Loaded
from plugin_kit.dev.snapshot import IgnoreRules, tree_digest
from plugin_kit.errors import DevError, PluginKitError

__all__ = ["DevEvent", "Probe", "DevSession"]


@dataclass(frozen=True)
class Probe:
    """What to exercise after each load: one tool call and/or one hooks event."""

    call: str | None = None
    input: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] | None = None


@dataclass
class DevEvent:
    """One line of the dev loop's report: `reloaded`, `unchanged` or `error`."""

    event: str
    ms: dict[str, float] = field(default_factory=dict)
    digest: str | None = None
    id: str | None = None
    version: str | None = None
    changed: list[str] = field(default_factory=list)
    offers: dict[str, object] | None = None
    probe: dict[str, object] | None = None
    error: dict[str, object] | None = None
    loaded: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"event": self.event, "ms": self.ms}
        for key in ("digest", "id", "version", "offers", "probe", "error", "loaded"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.changed:
            out["changed"] = self.changed
        return out

    def probe_failures(self) -> list[str]:
        """What failed in the probe ("call [rule] message", "hooks ..."): the call or event could
        not run, or the tool answered with an error. Empty when the probe passed or did not run."""
        out = []
        for key, result in (self.probe or {}).items():
            if not isinstance(result, dict):
                continue
            err = result.get("error")
            if isinstance(err, dict):
                out.append(f"{key} [{err.get('rule')}] {err.get('message')}")
            elif result.get("is_error"):
                out.append(f"{key} {result.get('tool')} answered with an error")
        return out


class _Timer:
    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._start = time.perf_counter()
        self.current: str | None = None  # the phase running now, or the one that failed

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t = time.perf_counter()
        self.current = name
        try:
            yield
        finally:
            self.ms[name] = round((time.perf_counter() - t) * 1000, 1)

    def total(self) -> dict[str, float]:
        return {**self.ms, "total": round((time.perf_counter() - self._start) * 1000, 1)}


class DevSession:
    """The plugin under development, its workspace store and the dev host holding it."""

    def __init__(
        self,
        project: Path,
        *,
        workspace: Path | None = None,
        probe: Probe | None = None,
        environ: Mapping[str, str] | None = None,
        options: HostOptions | None = None,
    ) -> None:
        from plugin_kit.hosts import host_for_project

        self.project = Path(project).resolve()
        self.workspace = Path(workspace).resolve() if workspace else self.project
        self.probe = probe or Probe()
        self.rules = IgnoreRules(self.project)
        self.target = host_for_project(self.project)
        self.host = DevHost(self.workspace, environ, options)
        self._handled: set[str] = set()
        self._loaded_grants = ""

    def cycle(
        self, emit: Callable[[DevEvent], None], changed: list[str] | None = None
    ) -> DevEvent | None:
        """Run one cycle unless the watched files are unchanged; emit its event, then retire the old version."""
        timer = _Timer()
        with timer.phase("scan"):
            before = tree_digest(self.rules) + self.grant_stamp()
        if before in self._handled:
            return None
        self._handled = {before}
        retired: Loaded | None = None
        try:
            event, retired = self._run(timer)
        except PluginKitError as err:
            # Labelled by the phase it came from: a WAT syntax error is a build error.
            event = DevEvent("error", error={**err.to_dict(), "phase": timer.current or err.phase})
        except OSError as exc:
            event = DevEvent(
                "error", error=DevError(str(exc), rule="io", place=exc.filename).to_dict()
            )
        except Exception as exc:  # a bug here must not end the loop: report it, keep serving
            err = DevError(
                f"{type(exc).__name__}: {exc}",
                rule="dev-internal",
                hint="This is a bug in plugin-kit; please report it with this message.",
            )
            event = DevEvent("error", error=err.to_dict())
        event.ms = timer.total()
        event.changed = sorted(changed or [])
        current = self.host.current
        event.loaded = current.digest if current else None
        try:
            emit(event)
        finally:
            if retired is not None:
                retired.close()
        return event

    def _built(self, manifest: Any) -> None:
        """Run the build command `plugin pack` would run, if there is one; its own writes are part
        of what this cycle handles, hashed right away so an edit saved while the rest of the cycle
        runs still counts as a change."""
        from plugin_kit.content.settings import pack_settings
        from plugin_kit.dev.build import run_dev_build

        command = pack_settings(self.project, manifest, self.target).build
        if command:
            run_dev_build(self.project, command)
            self._handled.add(tree_digest(self.rules) + self.grant_stamp())

    def _run(self, timer: _Timer) -> tuple[DevEvent, Loaded | None]:
        staged, manifest = _STAGES[self.target.name](self, timer)
        current = self.host.current
        stamp = self.grant_stamp()
        if current is not None and current.digest == staged.digest and stamp == self._loaded_grants:
            return DevEvent("unchanged", digest=staged.digest, id=staged.id,
                            version=staged.version), None  # fmt: skip
        with timer.phase("load"):
            loaded = self.host.load(
                staged.package_dir, staged.digest, manifest, source=self.project
            )
        try:
            with timer.phase("probe"):
                probe = self._probe(loaded)
        except BaseException:
            loaded.close()
            raise
        retired = self.host.activate(loaded)
        self._loaded_grants = stamp
        event = DevEvent("reloaded", digest=loaded.digest, id=loaded.id, version=loaded.version,
                         offers=loaded.plugin.offers(), probe=probe)  # fmt: skip
        return event, retired

    def _probe(self, loaded: Loaded) -> dict[str, object] | None:
        """The optional call and hooks event; a failing probe is reported, not fatal: the version loaded."""
        out: dict[str, object] = {}
        if self.probe.call:
            try:
                out["call"] = loaded.plugin.call(self.probe.call, self.probe.input).to_dict()
            except DevError as err:
                out["call"] = {"tool": self.probe.call, "is_error": True, "error": err.to_dict()}
        if self.probe.event is not None:
            key = loaded.plugin.event_key
            try:
                out[key] = loaded.plugin.drive_event(self.probe.event)
            except DevError as err:
                out[key] = {"error": err.to_dict()}
        return out or None

    def grant_files(self) -> dict[Path, str]:
        """Files outside the project that decide the grants (watched too), with their labels."""
        if self.host.options.grants:
            return {}
        return _GRANT_FILES.get(self.target.name, lambda _s: {})(self)

    def grant_stamp(self) -> str:
        """What the grant files hold now: a change reloads even when the package did not change."""
        import hashlib

        files = self.grant_files()
        h = hashlib.sha256()
        for path in sorted(files):
            try:
                data = path.read_bytes()
            except OSError:
                data = b"\0missing"
            h.update(f"{path}\0".encode() + hashlib.sha256(data).digest())
        return h.hexdigest() if files else ""

    def close(self) -> None:
        self.host.close()


def _stage_insomnia(session: DevSession, timer: _Timer) -> tuple[Staged, Any]:
    """Validate, build, pack and install into the workspace store; load from the extracted cache."""
    from plugin_kit.installer.place import place_archive
    from plugin_kit.installer.stores import workspace_store
    from plugin_kit.packer.writer import pack
    from plugin_kit.validators.manifest import load_manifest

    with timer.phase("validate"):
        manifest = load_manifest(session.project)
    with timer.phase("build"):
        session._built(manifest)
    with tempfile.TemporaryDirectory(prefix="plugin-dev-pack-") as out:
        with timer.phase("pack"):
            packed = pack(session.project, Path(out), run_build=False)
        with timer.phase("install"):
            installed = place_archive(
                packed.path,
                workspace_store(session.workspace),
                source={"type": "dev", "path": str(session.project)},
            )
    package = Path(installed.cache_path)
    staged = Staged(package, installed.content_digest, installed.id, installed.version)
    return staged, load_manifest(package)


def _stage_yoi(session: DevSession, timer: _Timer) -> tuple[Staged, Any]:
    """Validate, build (the sidecar's command), copy into the digest-keyed cache; load from there."""
    from plugin_kit.dev import component_package as cp

    with timer.phase("validate"):
        source_manifest = cp.read_yoi_manifest(session.project)
    with timer.phase("build"):
        session._built(source_manifest)
    with timer.phase("install"):
        package, digest = cp.cache_package(cp.package_files(session.project))
        manifest = cp.read_yoi_manifest(package)
    return Staged(package, digest, manifest.id, manifest.version), manifest


# One stage per host (hosts.Host.name): what turns the project into a package to load.
_STAGES: dict[str, Callable[[DevSession, _Timer], tuple[Staged, Any]]] = {
    "insomnia": _stage_insomnia,
    "yoi": _stage_yoi,
}


def _yoi_grant_files(session: DevSession) -> dict[Path, str]:
    from plugin_kit.dev.component_profile import profile_files

    return profile_files(session.host.options.profile, session.host.environ)


# Per host (hosts.Host.name): the files outside the project that supply the dev host's grants.
_GRANT_FILES: dict[str, Callable[[DevSession], dict[Path, str]]] = {"yoi": _yoi_grant_files}
