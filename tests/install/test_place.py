"""place_archive, the journalled store transaction, plugins.lock and the cache."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from plugin_kit.errors import VerificationError
from plugin_kit.installer._toml import dumps
from plugin_kit.installer.cache import cache_path, collect_garbage
from plugin_kit.installer.lockfile import read_lock
from plugin_kit.installer.paths import locks_dir
from plugin_kit.installer.place import place_archive
from plugin_kit.installer.stores import (
    Store,
    recover,
    store_transaction,
    user_store,
    workspace_store,
)


def test_place_into_user_store_writes_cache_store_and_lock(make_archive) -> None:
    built = make_archive("weather-tools", "1.0.0")
    store = user_store()
    got = place_archive(built.path, store, source={"type": "file", "path": str(built.path)})
    assert got.ref == "user:weather-tools" and got.content_digest == built.digest
    assert store.archive_path("weather-tools").read_bytes() == built.path.read_bytes()
    entry = read_lock(store)["weather-tools"]
    assert (entry.version, entry.archive_sha256, entry.content_digest) == (
        "1.0.0",
        built.sha256,
        built.digest,
    )
    assert entry.requested_capabilities["network"][0]["host"] == "api.weather.gov"
    tree = cache_path(built.digest)
    assert (tree / "plugin.toml").is_file()
    assert not os.access(tree / "plugin.toml", os.W_OK) or os.geteuid() == 0
    assert stat.S_IMODE(tree.stat().st_mode) == 0o555


def test_second_version_records_previous_and_same_bytes_are_a_no_op(
    make_archive, tmp_path: Path
) -> None:
    store = workspace_store(tmp_path / "ws")
    one, two = make_archive("weather-tools", "1.0.0"), make_archive("weather-tools", "2.0.0")
    place_archive(one.path, store, source={"type": "file"})
    again = place_archive(one.path, store, source={"type": "file"})
    assert again.unchanged
    moved = place_archive(two.path, store, source={"type": "file"})
    assert moved.previous_version == "1.0.0"
    entry = read_lock(store)["weather-tools"]
    assert entry.version == "2.0.0" and entry.previous["content_digest"] == one.digest
    assert store.root == tmp_path / "ws" / ".insomnia" / "plugins"


def test_expected_digest_mismatch_changes_nothing(make_archive) -> None:
    built = make_archive()
    store = user_store()
    with pytest.raises(VerificationError) as err:
        place_archive(built.path, store, source={}, expected_digest="sha256:" + "0" * 64)
    assert err.value.rule == "digest-mismatch"
    assert read_lock(store) == {} and not store.archive_path("weather-tools").exists()


def test_interrupted_transaction_is_rolled_forward(tmp_path: Path) -> None:
    store = Store("user", tmp_path / "store")
    store.root.mkdir()
    (store.root / "a.insomnia-plugin").write_bytes(b"old")
    with store_transaction(store) as txn:
        txn.put_bytes("a.insomnia-plugin", b"new")
        txn.delete("b.insomnia-plugin")
        # Simulate a crash after the journal is written but before the renames.
        txn.commit = lambda: None  # type: ignore[method-assign]
        staged = list(txn._ops)
    import json

    (store.root / ".txn.json").write_text(json.dumps({"ops": staged}))
    recover(store)
    assert (store.root / "a.insomnia-plugin").read_bytes() == b"new"
    assert not list(store.root.glob(".*.tmp-*")) and not (store.root / ".txn.json").exists()


def test_stray_temps_without_journal_are_discarded(tmp_path: Path) -> None:
    store = Store("user", tmp_path / "store")
    store.root.mkdir()
    (store.root / "a.insomnia-plugin").write_bytes(b"old")
    (store.root / ".a.insomnia-plugin.tmp-x").write_bytes(b"half")
    recover(store)
    assert (store.root / "a.insomnia-plugin").read_bytes() == b"old"
    assert not (store.root / ".a.insomnia-plugin.tmp-x").exists()


def test_failed_body_leaves_no_temp(tmp_path: Path) -> None:
    store = Store("user", tmp_path / "store")
    with pytest.raises(RuntimeError), store_transaction(store) as txn:
        txn.put_bytes("x.insomnia-plugin", b"data")
        raise RuntimeError("boom")
    assert sorted(p.name for p in store.root.iterdir()) == [".store.lock"]


def test_gc_keeps_referenced_and_removes_the_rest(make_archive) -> None:
    one, two = make_archive("a-plugin", "1.0.0"), make_archive("b-plugin", "1.0.0")
    place_archive(one.path, user_store(), source={})
    place_archive(two.path, user_store(), source={})
    result = collect_garbage({one.digest}, {one.sha256})
    assert cache_path(one.digest).is_dir() and not cache_path(two.digest).exists()
    assert result.removed_trees == [cache_path(two.digest).name]


def test_gc_removes_the_lock_files_of_digests_no_longer_cached(make_archive) -> None:
    """Each digest ever cached left a lock file and its holder's label in locks/."""
    one, two = make_archive("a-plugin", "1.0.0"), make_archive("b-plugin", "1.0.0")
    place_archive(one.path, user_store(), source={})
    place_archive(two.path, user_store(), source={})
    lock = locks_dir() / f"digest-{cache_path(two.digest).name}.lock"
    kept = locks_dir() / f"digest-{cache_path(one.digest).name}.lock"
    labels = set(locks_dir().glob("owner-*.pid"))
    assert lock.is_file() and kept.is_file() and labels
    dry = collect_garbage({one.digest}, {one.sha256}, dry_run=True)
    assert dry.removed_locks == [lock.name] and lock.is_file()  # lists what the run removes
    result = collect_garbage({one.digest}, {one.sha256})
    assert result.removed_trees == [cache_path(two.digest).name]
    assert result.removed_locks == dry.removed_locks and not lock.exists() and kept.is_file()
    assert len(set(locks_dir().glob("owner-*.pid"))) == len(labels) - 1
    place_archive(two.path, user_store(), source={}, force=True)  # the lock is made anew
    assert lock.is_file() and cache_path(two.digest).is_dir()


def test_gc_leaves_a_digest_lock_someone_holds(make_archive) -> None:
    """A process that is about to cache a digest holds its lock before the tree exists."""
    import subprocess
    import sys

    lock = locks_dir() / f"digest-{'ab' * 32}.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from plugin_kit.installer._fs import file_lock\n"
         "with file_lock(Path(sys.argv[1]), what='cache'):\n"
         "    print('held', flush=True); sys.stdin.read()", str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert collect_garbage(set(), set()).removed_locks == [] and lock.is_file()
    finally:
        holder.kill()
        holder.wait()
    assert collect_garbage(set(), set()).removed_locks == [lock.name] and not lock.exists()


@pytest.mark.parametrize(
    "text", ["plain", 'quote " and \\ back', "tab\tnew\nline", "del\x7f", "é ü 漢", "\x00\x1f"]
)
def test_toml_writer_round_trips_hostile_strings(text: str) -> None:
    doc = {
        "k": text,
        "t": {text: [text, {"x": text}]},
        "plugin": [{"id": text, "caps": {"n": [{"h": text}]}}],
    }
    assert tomllib.loads(dumps(doc)) == doc


def test_gc_removes_a_digest_lock_whose_label_cannot_be_removed() -> None:
    """A folder planted where the holder's label goes must not keep the lock file, nor may gc
    report a lock file removed that is still there."""
    from plugin_kit.installer._fs import _owner_path

    lock = locks_dir() / f"digest-{'cd' * 32}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.touch()
    _owner_path(lock).mkdir()
    assert collect_garbage(set(), set()).removed_locks == [lock.name]
    assert not lock.exists() and _owner_path(lock).is_dir()


WAITER = """
import logging, sys
from pathlib import Path
from plugin_kit.installer._fs import file_lock

class Say(logging.Handler):
    def emit(self, record):
        print("waiting", flush=True)

logging.getLogger("plugin_kit").addHandler(Say())
logging.getLogger("plugin_kit").setLevel(logging.INFO)
with file_lock(Path(sys.argv[1]), what="cache"):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_waiter_on_a_digest_lock_gc_unlinks_holds_the_lock_file_others_see() -> None:
    """gc unlinks a digest's lock file while a process waits on it: the waiter must end up
    holding the lock file at that name (filelock retakes a lock whose file was unlinked), or
    a third process would take the same lock at once."""
    import subprocess
    import sys

    from plugin_kit.installer._fs import file_lock, forget_lock

    lock = locks_dir() / f"digest-{'ef' * 32}.lock"
    with file_lock(lock, what="cache", label=False) as held:  # as gc holds it
        assert held
        waiter = subprocess.Popen([sys.executable, "-c", WAITER, str(lock)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert waiter.stdout is not None and waiter.stdout.readline().strip() == "waiting"
        assert forget_lock(lock)
    try:
        assert waiter.stdout.readline().strip() == "held" and lock.is_file()
        with file_lock(lock, what="cache", wait=False) as third:
            assert not third, "two processes hold the same digest lock"
    finally:
        waiter.kill()
        waiter.wait()


def test_gc_leaves_a_folder_or_link_planted_where_a_digest_lock_goes(tmp_path: Path) -> None:
    """gc cannot lock them, so it leaves them (and never follows the link to unlink its
    target); the command still succeeds."""
    victim = tmp_path / "victim"
    victim.write_text("keep")
    folder = locks_dir() / f"digest-{'a1' * 32}.lock"
    link = locks_dir() / f"digest-{'b2' * 32}.lock"
    folder.mkdir(parents=True)
    link.symlink_to(victim)
    assert collect_garbage(set(), set()).removed_locks == []
    assert folder.is_dir() and link.is_symlink() and victim.read_text() == "keep"
