"""A staged tree is guarded by a lock its stager holds, not by a pid (installer/cache.py
`staging`, `_clean_staged`): while the stager lives, `plugin cache gc` and an install's
cleanup leave what it stages alone, whatever pid its name carries (a pid from another PID
namespace names nothing here, or an unrelated process); once it is killed, the next cleanup
removes the tree and its lock file. Real processes and real locks throughout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plugin_kit.installer.cache import clean_downloads, staged_tree
from plugin_kit.installer.install import plan_install, run_install
from plugin_kit.installer.paths import downloads_dir, locks_dir, plugin_cache_dir
from plugin_kit.installer.stores import user_store

STAGER = """
import sys, tempfile
from pathlib import Path
from plugin_kit.installer.cache import staged_tree, staging

def fill(dest):
    (dest / "sub").mkdir(parents=True)
    (dest / "sub" / "f").write_bytes(b"x")

mode = sys.argv[1]
if mode == "install":  # an install's own staging: a new name with this process's pid
    with staged_tree(fill) as staged:
        print(staged.tree.name, flush=True)
        sys.stdin.read()
else:  # the name given: a stager whose pid, seen from the test, is someone else's or nobody's
    with staging(Path(sys.argv[2])) as tree:
        if mode == "extracting":  # the reader's hidden sibling, before its rename to `tree`
            tmp = tempfile.mkdtemp(prefix=f".{tree.name}.", suffix=".tmp", dir=tree.parent)
            fill(Path(tmp))
            print(Path(tmp).name, flush=True)
        else:
            if mode == "named":
                fill(tree)
            print(tree.name, flush=True)
        sys.stdin.read()
"""
DAY = 24 * 3600


def _dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()  # reaped: its pid names no running process
    return gone.pid


def _staged_locks() -> list[str]:
    return sorted(p.name for p in locks_dir().glob("*.staged.lock"))


Stager = Callable[..., tuple[subprocess.Popen[str], Path]]


@pytest.fixture
def stager() -> Iterator[Stager]:
    """Start a process that stages (`mode`, see STAGER) and stays paused on its stdin; it
    returns the process and the cache entry it holds. Every one is killed when the test ends."""
    procs: list[subprocess.Popen[str]] = []

    def start(mode: str, pid: int | None = None) -> tuple[subprocess.Popen[str], Path]:
        root = plugin_cache_dir()
        root.mkdir(parents=True, exist_ok=True)
        name = f".{pid}-{os.urandom(4).hex()}.staged"
        proc = subprocess.Popen(
            [sys.executable, "-c", STAGER, mode, str(root / name)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        entry = root / proc.stdout.readline().strip()
        assert entry.name and (mode == "empty" or entry.exists()), entry
        return proc, entry

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)  # no cleanup runs: the tree stays, the kernel drops the lock
    proc.wait()


@pytest.mark.parametrize(
    ("mode", "dead_pid"), [("install", False), ("named", True), ("extracting", True)]
)
def test_a_live_stager_keeps_its_tree_from_gc_and_installs_until_it_is_killed(
    stager: Stager, site, plugin, mode: str, dead_pid: bool
) -> None:
    proc, entry = stager(mode, _dead_pid() if dead_pid else None)
    gc = plugin("cache", "gc", "--json")
    assert gc.code == 0 and gc.json()["removed_temp"] == [] and entry.exists()
    run_install(plan_install("weather-tools", user_store()))  # its cleanup runs first
    assert entry.exists() and len(_staged_locks()) == 1
    _kill(proc)
    assert clean_downloads() == [entry]
    assert not entry.exists() and _staged_locks() == []


@pytest.mark.parametrize("whose", ["this process", "its parent"])
def test_a_free_lock_keeps_no_tree_whatever_running_pid_its_name_has(
    stager: Stager, plugin, whose: str
) -> None:
    """A recycled pid: the name says a running process, which stages nothing."""
    proc, entry = stager("named", os.getpid() if whose == "this process" else os.getppid())
    _kill(proc)
    gc = plugin("cache", "gc", "--json")
    assert gc.code == 0 and gc.json()["removed_temp"] == [entry.name]
    assert not entry.exists() and _staged_locks() == []


def test_a_tree_this_process_stages_is_kept_by_its_own_cleanup() -> None:
    def fill(dest: Path) -> None:
        dest.mkdir()

    with staged_tree(fill) as staged:
        assert clean_downloads() == [] and staged.tree.is_dir()
        assert _staged_locks() == [f"{staged.tree.name[1:]}.lock"]
    assert not staged.tree.exists() and _staged_locks() == []


def test_gc_dry_run_lists_a_killed_stagers_tree_and_removes_nothing(stager: Stager, plugin) -> None:
    live, kept = stager("named", _dead_pid())
    killed, entry = stager("named", _dead_pid())
    _kill(killed)
    gc = plugin("cache", "gc", "--dry-run", "--json")
    assert gc.code == 0 and gc.json()["removed_temp"] == [entry.name]
    assert entry.exists() and kept.exists() and len(_staged_locks()) == 2


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_lockless_trees_of_earlier_versions_go_once_a_day_old_whatever_their_pid() -> None:
    """Earlier versions guarded a staged tree by its pid alone and made no lock file."""
    root = plugin_cache_dir()
    trees = [root / f".{pid}-00ff.staged" for pid in (_dead_pid(), os.getppid())]
    for tree in trees:
        (tree / "sub").mkdir(parents=True)
    assert clean_downloads() == [] and all(t.exists() for t in trees)
    _age(trees[0], DAY + 60)
    assert clean_downloads() == trees[:1] and trees[1].exists()
    _age(trees[1], DAY + 60)
    assert clean_downloads() == trees[1:] and not trees[1].exists()


def test_a_lock_file_with_nothing_staged_goes_once_a_day_old_and_free(stager: Stager) -> None:
    """A stager killed before it staged (or after it removed its tree) leaves its lock file;
    one that holds its lock file and stages nothing yet keeps it, however old."""
    proc, _ = stager("empty", _dead_pid())
    held = locks_dir() / _staged_locks()[0]
    left = locks_dir() / f"{_dead_pid()}-00ff.staged.lock"
    left.touch()
    assert clean_downloads() == [] and left.exists()
    _age(left, DAY + 60)
    _age(held, DAY + 60)
    assert clean_downloads() == [] and not left.exists() and held.exists()
    _kill(proc)
    clean_downloads()
    assert _staged_locks() == []


DEV_STAGER = """
import shutil, sys
from pathlib import Path
from plugin_kit.dev.component_package import cache_package

real = shutil.copyfile
def pause_once(src, dst, **kw):  # after the first file: the package is half copied
    shutil.copyfile = real
    out = real(src, dst, **kw)
    print(Path(dst).parent.name, flush=True)
    sys.stdin.readline()
    return out
shutil.copyfile = pause_once
folder, _ = cache_package([("plugin.toml", Path(sys.argv[1])), ("b.txt", Path(sys.argv[1]))])
print(folder.name, flush=True)
"""


def test_plugin_dev_caching_a_package_is_a_staged_tree_gc_leaves_alone(
    tmp_path: Path, plugin
) -> None:
    """`plugin dev` copies a Yoi package into the cache (dev/component_package.py); gc used to
    remove its half-copied folder, failing the reload."""
    src = tmp_path / "f"
    src.write_text("x")
    proc = subprocess.Popen([sys.executable, "-c", DEV_STAGER, str(src)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    staged = plugin_cache_dir() / proc.stdout.readline().strip()
    assert staged.name.endswith(".staged") and (staged / "plugin.toml").is_file()
    gc = plugin("cache", "gc", "--json")
    assert gc.code == 0 and gc.json()["removed_temp"] == [] and gc.json()["removed_trees"] == []
    proc.stdin.write("\n")
    proc.stdin.flush()
    final = plugin_cache_dir() / proc.stdout.readline().strip()
    assert proc.wait() == 0 and (final / "b.txt").read_text() == "x"
    assert not staged.exists() and _staged_locks() == []


# A partial download is guarded by its lock as a staged tree is (cache.download_slot holds
# locks/<part name>.lock while the install downloads into the part and reads it).
PART_HOLDER = """
import sys
from pathlib import Path
from plugin_kit.installer._fs import file_lock
from plugin_kit.installer.cache import download_slot
from plugin_kit.installer.paths import locks_dir

if len(sys.argv) > 1:  # a part named with someone else's pid: another PID namespace's install
    part = Path(sys.argv[1])
    with file_lock(locks_dir() / f"{part.name}.lock", what="download", label=False):
        part.write_bytes(b"partial")
        print(part.name, flush=True)
        sys.stdin.read()
else:
    with download_slot() as part:
        part.write_bytes(b"partial")
        print(part.name, flush=True)
        sys.stdin.read()
"""


def _hold_part(*args: str) -> tuple[subprocess.Popen[str], Path]:
    downloads_dir().mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", PART_HOLDER, *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    return proc, downloads_dir() / proc.stdout.readline().strip()


@pytest.mark.parametrize("whose", ["its own", "a dead pid's"])
def test_a_live_download_keeps_its_part_until_it_is_killed(whose: str) -> None:
    named = [] if whose == "its own" else [str(downloads_dir() / f"{_dead_pid()}-00ff.part")]
    proc, part = _hold_part(*named)
    try:
        assert part.is_file() and clean_downloads() == [] and part.is_file()
    finally:
        _kill(proc)
    assert clean_downloads() == [part] and not part.exists()
    assert not list(locks_dir().glob("*.part.lock"))


def test_a_part_whose_lock_is_free_goes_whatever_running_pid_its_name_has() -> None:
    """A recycled pid, or a pid of another namespace that means someone else here."""
    proc, part = _hold_part(str(downloads_dir() / f"{os.getppid()}-00ff.part"))
    _kill(proc)
    assert part.is_file() and clean_downloads() == [part] and not part.exists()


def test_a_lockless_part_of_an_earlier_version_goes_once_a_day_old() -> None:
    folder = downloads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{_dead_pid()}-00ff.part"
    part.write_bytes(b"partial")
    assert clean_downloads() == [] and part.exists()
    _age(part, DAY + 60)
    assert clean_downloads() == [part] and not part.exists()


@pytest.mark.parametrize("planted", ["folder", "symlink"])
def test_a_lock_file_no_one_can_take_leaves_its_leftover_and_fails_nothing(
    planted: str, tmp_path: Path
) -> None:
    """A lock path the cleanup cannot lock (a folder, a link: filelock opens it O_NOFOLLOW)
    counts as held: its part stays, and the install or gc that cleans up goes on."""
    folder = downloads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    locks_dir().mkdir(parents=True, exist_ok=True)
    part = folder / f"{_dead_pid()}-00ff.part"
    part.write_bytes(b"partial")
    orphan = locks_dir() / f"{_dead_pid()}-11ee.part.lock"  # nothing downloaded under it
    for lock in (locks_dir() / f"{part.name}.lock", orphan):
        if planted == "folder":
            lock.mkdir()
        else:
            lock.symlink_to(tmp_path / "elsewhere")
        os.utime(lock, (1, 1), follow_symlinks=False)
    assert clean_downloads() == [] and part.is_file() and os.path.lexists(orphan)
    assert not (tmp_path / "elsewhere").exists()


def test_gc_dry_run_lists_a_killed_downloads_part_as_gc_removes_it(plugin) -> None:
    live, kept = _hold_part()
    killed, part = _hold_part()
    _kill(killed)
    try:
        gc = plugin("cache", "gc", "--dry-run", "--json")
        assert gc.code == 0 and gc.json()["removed_temp"] == [part.name]
        assert part.is_file() and kept.is_file()
        assert (locks_dir() / f"{part.name}.lock").exists()
        gc = plugin("cache", "gc", "--json")
        assert gc.code == 0 and gc.json()["removed_temp"] == [part.name]
        assert not part.exists() and kept.is_file()
    finally:
        _kill(live)


@pytest.mark.parametrize("planted", ["link", "file", "edited"])
def test_plugin_dev_never_loads_what_was_planted_under_its_digest(
    tmp_path: Path, planted: str
) -> None:
    """`plugin dev` reuses a cached package only as `plugin install` does: a real folder that
    still hashes to its name, checked under the digest's lock; anything else is replaced."""
    from plugin_kit.dev.component_package import cache_package

    src = tmp_path / "f"
    src.write_text("x")
    files = [("plugin.toml", src), ("b.txt", src)]
    final, digest = cache_package(files)
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "plugin.toml").write_text("planted")
    (decoy / "b.txt").write_text("planted")
    os.chmod(final, 0o755)
    for child in final.iterdir():
        os.chmod(child, 0o644)
    if planted == "edited":
        (final / "b.txt").write_text("planted")
    else:
        import shutil

        shutil.rmtree(final)
        final.symlink_to(decoy) if planted == "link" else final.write_text("planted")
    again, same = cache_package(files)
    assert (again, same) == (final, digest) and not again.is_symlink()
    assert (again / "b.txt").read_text() == "x" and (decoy / "b.txt").read_text() == "planted"
