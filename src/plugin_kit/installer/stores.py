"""The user store and workspace stores, and the journalled transaction that changes them.

A store is a folder of `<id><suffix>` files of one host (`<id>.insomnia-plugin`,
`<id>.yoi-plugin`) plus `plugins.lock`; where it is comes from its Host (hosts.py). A Yoi
store keeps `plugins.lock`, `.store.lock` and the journal beside the packages: Yoi's
discovery (crates/manifest/src/plugin.rs `discover_store`) only takes names whose extension
is `yoi-plugin` and counts only those against `max_packages_per_store` (128), so the other
files are neither read nor counted (staged temps are `.<name>.tmp-XXXX`: their extension is
`tmp-XXXX`). Every change runs
under `.store.lock`: new files are written as fsynced temp siblings, a journal naming the
renames is written atomically, the renames are applied, the journal is removed. A crash at
any point leaves either the old state (no journal: stray temps are deleted) or a journal
that the next run rolls forward, so a store is always the old or the new state. The grants
in plugins.toml follow the same commit point (see enablement.py: a grant is bound to the
install it was given for).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from plugin_kit.errors import FileRefusedError, InstallError
from plugin_kit.fsio import read_bounded
from plugin_kit.hosts import HOSTS, INSOMNIA, Host
from plugin_kit.installer._fs import (
    atomic_write,
    checkpoint,
    file_lock,
    fsync_dir,
    remove_write_temps,
    temp_sibling,
)
from plugin_kit.installer.paths import cache_root, make_dir

_log = logging.getLogger(__name__)

__all__ = [
    "Store",
    "StoreKind",
    "user_store",
    "workspace_store",
    "store_transaction",
    "locked_store",
    "StoreTransaction",
    "recover",
    "recover_if_needed",
    "all_stores",
    "known_workspaces",
]

StoreKind = Literal["user", "project"]
_JOURNAL = ".txn.json"
_MAX_JOURNAL_BYTES = 1 << 20
_MAX_KNOWN_BYTES = 1 << 20


@dataclass(frozen=True)
class Store:
    """One store: `kind` is "user" or "project"; a project store belongs to `workspace`.
    It holds packages of one `host` (their file suffix, its place); install refuses any other
    host's."""

    kind: StoreKind
    root: Path
    workspace: Path | None = None
    host: Host = INSOMNIA

    @property
    def lock_path(self) -> Path:
        return self.root / "plugins.lock"

    @property
    def mutex_path(self) -> Path:
        return self.root / ".store.lock"

    def archive_path(self, plugin_id: str) -> Path:
        return self.root / f"{plugin_id}{self.host.suffix}"

    def ref(self, plugin_id: str) -> str:
        return f"{self.kind}:{plugin_id}"

    def plugin_id(self, path: Path) -> str:
        """The id a store file is named for (`<id><suffix>`)."""
        return path.name.removesuffix(self.host.suffix)

    def for_host(self, host: Host) -> Store:
        """The store of the same kind (and workspace) for `host`."""
        if self.host == host:
            return self
        return workspace_store(self.workspace, host) if self.workspace else user_store(host)

    def archives(self) -> list[Path]:
        """The package files present, including ones nobody installed (dropped by hand)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.glob(f"*{self.host.suffix}")
            if not p.name.startswith(".") and p.is_file()
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "root": str(self.root),
            "workspace": str(self.workspace) if self.workspace else None,
            "host": self.host.name,
        }


def user_store(host: Host = INSOMNIA) -> Store:
    """`host`'s user store where the host looks (Yoi: ${XDG_DATA_HOME:-~/.local/share}/yoi/plugins)."""
    return Store("user", host.user_store(), host=host)


def workspace_store(workspace: Path, host: Host = INSOMNIA) -> Store:
    ws = Path(os.path.abspath(workspace))
    return Store("project", ws / host.project_store, ws, host)


def all_stores(workspace: Path | None) -> list[Store]:
    """Every host's user store and, with a workspace, every host's workspace store."""
    stores = [user_store(h) for h in HOSTS.values()]
    if workspace is not None:
        stores += [workspace_store(workspace, h) for h in HOSTS.values()]
    return stores


def _known_path() -> Path:
    return cache_root() / "known-workspaces.json"


def known_workspaces() -> list[Path]:
    """Workspaces we have placed plugins into (so `cache gc` keeps what they use)."""
    try:
        data = read_bounded(_known_path(), _MAX_KNOWN_BYTES, what="known-workspaces.json")
        return [Path(p) for p in json.loads(data)]
    except (OSError, ValueError, TypeError, FileRefusedError):
        return []


def _remember(store: Store) -> None:
    if store.workspace is None:
        return
    path = _known_path()
    # Under a lock: two installs at once must not lose a workspace, nor delete each other's temp.
    with file_lock(path.with_name(".known-workspaces.lock"), what="known-workspaces"):
        remove_write_temps(path)
        known = {str(p) for p in known_workspaces()}
        if str(store.workspace) not in known:
            known.add(str(store.workspace))
            atomic_write(path, json.dumps(sorted(known)).encode())


def _apply(store: Store, ops: list[dict[str, str]]) -> None:
    for op in ops:
        final = store.root / op["final"]
        if op["op"] == "replace":
            tmp = store.root / op["tmp"]
            if tmp.exists():  # absent: this rename already happened before a crash
                os.replace(tmp, final)
                _log.debug("wrote %s", final)
        else:
            final.unlink(missing_ok=True)
            _log.debug("removed %s", final)
        checkpoint(f"txn:{op['op']}:{op['final']}")
    fsync_dir(store.root)


def _is_store_name(name: object) -> bool:
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\0" not in name
    )


def _valid_op(op: object, suffix: str) -> bool:
    """Only renames between a temp sibling and a store file, never a path outside the store."""
    if not isinstance(op, dict):
        return False
    final = op.get("final")
    if not _is_store_name(final) or not (final == "plugins.lock" or final.endswith(suffix)):
        return False
    if op.get("op") == "delete":
        return True
    tmp = op.get("tmp")
    return op.get("op") == "replace" and _is_store_name(tmp) and tmp.startswith(f".{final}.tmp-")


def _read_journal(journal: Path, suffix: str) -> list[dict[str, str]]:
    # A workspace store sits in a repository checkout, so its journal is untrusted input.
    try:
        ops = json.loads(read_bounded(journal, _MAX_JOURNAL_BYTES, what="the store journal"))["ops"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        ops = None
    if not isinstance(ops, list) or not all(_valid_op(op, suffix) for op in ops):
        raise InstallError(
            "the store's transaction journal is unreadable or names files outside the store",
            rule="store-journal",
            place=str(journal),
            hint="remove it by hand, then run `plugin verify --all`",
        )
    return ops


def _strays(store: Store) -> Iterator[Path]:
    """Temp files of staged store files (`.NAME.tmp-*`) and of the journal's own atomic write."""
    yield from store.root.glob(".*.tmp-*")
    yield from store.root.glob(f".{_JOURNAL}.*.tmp")


def recover(store: Store) -> None:
    """Finish an interrupted transaction, then delete stray temp files. Caller holds the lock."""
    journal = store.root / _JOURNAL
    if journal.exists():
        _apply(store, _read_journal(journal, store.host.suffix))
        journal.unlink()
        fsync_dir(store.root)
    for stray in list(_strays(store)):
        if stray.is_symlink() or not stray.is_dir():  # only our temp files, never a folder
            stray.unlink(missing_ok=True)


@dataclass
class StoreTransaction:
    """Collects file changes; `commit()` applies them all or (after a crash) the next run does."""

    store: Store
    _ops: list[dict[str, str]] = field(default_factory=list)
    _temps: list[Path] = field(default_factory=list)

    def _stage(self, name: str) -> Path:
        tmp = temp_sibling(self.store.root / name)
        self._temps.append(tmp)
        self._ops.append({"op": "replace", "tmp": tmp.name, "final": name})
        return tmp

    def put_file(self, name: str, source: Path) -> None:
        tmp = self._stage(name)
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        os.chmod(tmp, 0o644)
        checkpoint(f"txn:staged:{name}")

    def put_bytes(self, name: str, data: bytes) -> None:
        tmp = self._stage(name)
        with open(tmp, "wb") as dst:
            dst.write(data)
            dst.flush()
            os.fsync(dst.fileno())
        os.chmod(tmp, 0o644)
        checkpoint(f"txn:staged:{name}")

    def delete(self, name: str) -> None:
        self._ops.append({"op": "delete", "final": name})

    def commit(self) -> None:
        """The journal's write is the commit point; callers may commit inside the body to do
        more under the lock (settling grants), and the exit then has nothing left to commit."""
        if not self._ops:
            return
        journal = self.store.root / _JOURNAL
        atomic_write(journal, json.dumps({"ops": self._ops}).encode())
        checkpoint("txn:journal")
        _apply(self.store, self._ops)
        journal.unlink()
        fsync_dir(self.store.root)
        self._ops.clear()
        self._temps.clear()
        checkpoint("txn:committed")

    def abort(self) -> None:
        for tmp in self._temps:
            tmp.unlink(missing_ok=True)


def _refuse_symlinked(store: Store) -> None:
    """A checkout could make .insomnia or .insomnia/plugins (.yoi, .yoi/plugins) a symlink to
    any folder we may write, or the store's lock file a symlink to a file the lock library would
    open (filelock before 4 opens it with O_TRUNC, following the link)."""
    if store.workspace is None:
        return
    for path in (store.root.parent, store.root, store.mutex_path):
        if path.is_symlink():
            raise InstallError(
                f"{path} is a symlink; refusing to write a store through it",
                rule="store-symlink",
                place=str(path),
                hint="replace it with a real folder (or remove it), then retry",
            )


@contextlib.contextmanager
def locked_store(store: Store) -> Iterator[None]:
    """Hold the store lock with any interrupted change finished (enable uses it alone, so the
    lock entry it binds a grant to cannot change under it)."""
    _refuse_symlinked(store)
    make_dir(store.root)
    with file_lock(store.mutex_path, what=f"{store.kind} store"):
        recover(store)
        yield


@contextlib.contextmanager
def store_transaction(store: Store) -> Iterator[StoreTransaction]:
    """Hold the store lock, finish any interrupted change, and commit only if the body succeeds."""
    with locked_store(store):
        txn = StoreTransaction(store)
        try:
            yield txn
        except BaseException:
            txn.abort()
            raise
        txn.commit()
    _remember(store)


def recover_if_needed(store: Store) -> None:
    """Readers call this: it only takes the lock when a journal or temp file says a change was cut short."""
    if (store.root / _JOURNAL).exists() or next(_strays(store), None) is not None:
        with file_lock(store.mutex_path, what=f"{store.kind} store"):
            recover(store)
