"""The watch loop: one dev cycle per settled batch of changes, single-flight, never exiting on a bad edit.

watchfiles with a 10 ms step reports an isolated save in ~16 ms (research/dx.md 5.2); changes made while
a cycle runs are buffered and handled as one follow-up cycle. Polling (--poll, WSL, Docker mounts) only
sees one change per mtime second, and none at all for a file rewritten within the second it was last
scanned; so when polling, the loop also re-hashes the tree every RECHECK seconds (a no-op when nothing
changed) and picks up the final state of a burst the poller missed.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from threading import Event

from plugin_kit.dev.session import DevEvent, DevSession
from plugin_kit.dev.snapshot import IgnoreRules

__all__ = ["polling_mode", "watch", "STEP_MS", "DEBOUNCE_MS", "POLL_DELAY_MS", "RECHECK", "TICK_MS"]

STEP_MS = 10
DEBOUNCE_MS = 400
POLL_DELAY_MS = 200
# The poller compares whole-second mtimes: a save in an already-scanned second shows up only on re-hash.
RECHECK = 1.0
# How often the loop wakes without changes: to start, and to run the re-check when polling.
TICK_MS = 200


def polling_mode(force: bool) -> str | None:
    """Why the loop polls (a short reason for the status line), or None when it uses native events."""
    if force:
        return "--poll"
    if os.environ.get("WATCHFILES_FORCE_POLLING"):
        return "WATCHFILES_FORCE_POLLING is set"
    # WSL1 kernels end in "-Microsoft", WSL2 kernels in "-microsoft-standard-WSL2".
    if "microsoft" in platform.uname().release.lower():
        return "WSL detected"
    return None


def _changed(root: Path, changes: set[tuple[object, str]], labels: dict[str, str]) -> list[str]:
    """Relative paths of the batch, without an editor's temp file that came and went within it."""
    import watchfiles

    kinds: dict[str, set[object]] = {}
    for kind, path in changes:
        kinds.setdefault(path, set()).add(kind)
    transient = {watchfiles.Change.added, watchfiles.Change.deleted}
    out = set()
    for path, seen in kinds.items():
        if transient <= seen and not os.path.exists(path):
            continue
        if path in labels:
            out.add(labels[path])
            continue
        try:
            out.add(Path(path).relative_to(root).as_posix())
        except ValueError:
            out.add(path)
    return sorted(out)


def watch(
    session: DevSession,
    emit: Callable[[DevEvent], None],
    *,
    polling: bool = False,
    stop_event: Event | None = None,
) -> None:
    """Build once, then on every change until Ctrl-C (KeyboardInterrupt) or `stop_event`."""
    import watchfiles

    # The first build runs on the first (empty) yield: the watcher exists by then, so an edit made
    # while that build runs is not lost.
    initial = True
    checked = time.monotonic()
    # The Profile and registry that supply the grants: their folders are watched (a file that does
    # not exist yet cannot be), and only those files in them count.
    labels = {str(p): label for p, label in session.grant_files().items()}
    parents = {str(Path(p).parent) for p in labels}
    folders = [
        f
        for f in sorted(parents)
        if os.path.isdir(f) and not Path(f).is_relative_to(session.project)
    ]

    def keep(change: object, path: str) -> bool:
        return path in labels or session.rules.watch_filter(change, path)

    for changes in watchfiles.watch(
        session.project,
        *folders,
        watch_filter=keep,
        step=STEP_MS,
        debounce=DEBOUNCE_MS,
        force_polling=polling,
        poll_delay_ms=POLL_DELAY_MS,
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
        stop_event=stop_event,
        raise_interrupt=True,
    ):
        if initial:
            initial = False
            session.cycle(emit)
        if changes:
            changed = _changed(session.project, changes, labels)
            if ".gitignore" in changed:
                session.rules = IgnoreRules(session.project)
            session.cycle(emit, changed)
            checked = time.monotonic()
        elif polling and time.monotonic() - checked >= RECHECK:
            session.cycle(emit)
            checked = time.monotonic()
