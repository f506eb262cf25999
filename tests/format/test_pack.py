"""plugin pack: round trip, reproducibility across environments, and what GNU tar and zstd see."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.plugins import INCLUDE_LINE, MANIFEST
from helpers.refusals import swap_while_extracting
from helpers.tty import plugin_piped

from plugin_kit.content.collect import collect_files
from plugin_kit.content.digest import sha256_file
from plugin_kit.errors import PackError
from plugin_kit.packer.digest import digest_path
from plugin_kit.packer.reader import extract_archive, read_archive
from plugin_kit.packer.writer import pack

run_plugin = plugin_piped  # the CLI in a subprocess, no terminal


def test_round_trip_digest_equals_source(make_plugin, tmp_path: Path) -> None:
    root = make_plugin(files={"bin/run.sh": "#!/bin/sh\necho hi\n"})
    os.chmod(root / "bin/run.sh", 0o700)
    result = pack(root, tmp_path / "out")
    assert result.path.name == "weather-tools-0.3.1.insomnia-plugin"
    assert result.sha256 == sha256_file(result.path)
    info = extract_archive(result.path, tmp_path / "x")
    assert info.digest == result.digest == digest_path(root)
    assert [f.path for f in info.files] == [
        "plugin.toml", "LICENSE", "README.md", "bin/run.sh", "hooks.toml", "schemas/get_forecast.json",
    ]  # fmt: skip
    assert (tmp_path / "x/bin/run.sh").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "x/hooks.toml").stat().st_mode & 0o777 == 0o644
    assert not (tmp_path / "x/notes.txt").exists(), "files outside [package].include are not packed"
    for f in info.files:
        assert (tmp_path / "x" / f.path).read_bytes() == (root / f.path).read_bytes()


def test_plugin_digest_cli_agrees_for_tree_and_archive(make_plugin) -> None:
    root = make_plugin()
    archive = pack(root).path
    tree = run_plugin("digest", str(root))
    arch = run_plugin("digest", str(archive))
    assert tree.returncode == arch.returncode == 0
    assert tree.stdout == arch.stdout and tree.stdout.startswith("sha256:")


def _scramble(root: Path, order_seed: int) -> None:
    """Recreate every file in another order with other mtimes and permission bits (exec kept)."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    contents = {p: (p.read_bytes(), os.access(p, os.X_OK)) for p in files}
    for p in files:
        p.unlink()
    for i, p in enumerate(files[order_seed:] + files[:order_seed]):
        data, exe = contents[p]
        p.write_bytes(data)
        os.chmod(p, (0o750 if exe else 0o600) if i % 2 else (0o775 if exe else 0o664))
        os.utime(p, (1_000_000 + i * 7919, 2_000_000_000 - i * 104729))


def test_reproducible_across_processes_and_environments(make_plugin, tmp_path: Path) -> None:
    a = make_plugin("a", files={"bin/tool": "#!/bin/sh\n"})
    os.chmod(a / "bin/tool", 0o755)
    b = tmp_path / "some" / "other checkout path"
    shutil.copytree(a, b.parent / b.name, symlinks=True)
    _scramble(b, 3)
    env_a = {**os.environ, "TZ": "UTC", "LC_ALL": "C"}
    env_b = {**os.environ, "TZ": "Pacific/Kiritimati", "LC_ALL": "C.UTF-8", "LANG": "tr_TR.UTF-8"}
    outs = []
    for root, env, umask in ((a, env_a, "022"), (b, env_b, "077")):
        out = tmp_path / f"out-{root.name.replace(' ', '_')}"
        cmd = f"umask {umask} && {sys.executable} -m plugin_kit pack --json -o '{out}' '{root}'"
        proc = subprocess.run(["sh", "-c", cmd], env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        outs.append(next(out.glob("*.insomnia-plugin")).read_bytes())
    assert outs[0] == outs[1]


def test_worker_count_does_not_change_bytes(make_plugin, tmp_path: Path) -> None:
    import io

    from plugin_kit.packer.writer import write_archive

    files = collect_files(make_plugin(files={"big.txt": "line of text\n" * 200_000}))
    results = []
    for threads in (1, 2, 4):
        buf = io.BytesIO()
        write_archive(files, buf, threads=threads)
        results.append(buf.getvalue())
    assert results[0] == results[1] == results[2]


def test_reused_read_buffer_gives_the_serial_archive(make_plugin) -> None:
    """The writer reads every file through one reused CHUNK buffer (small files, a file split
    over several fills, sizes at the buffer's edge). The archive must be the tar stream made
    from each file read whole, compressed at once with the same parameters, and the digest that
    of each file hashed whole."""
    import io
    import random

    import zstandard

    from plugin_kit.content.digest import CHUNK, FileRecord, content_digest
    from plugin_kit.packer.tarformat import end_of_archive, file_header, padding
    from plugin_kit.packer.writer import ZSTD_LEVEL, write_archive

    rng = random.Random(3)
    sizes = [0, 1, 511, 512, 513, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5]
    extra = {f"d/s{i:03d}.bin": rng.randbytes(rng.choice(sizes[:5])) for i in range(300)}
    extra |= {f"e/b{n}.bin": rng.randbytes(n) for n in sizes}
    files = collect_files(make_plugin(files=extra))
    out = io.BytesIO()
    sha, size, digest = write_archive(files, out)
    stream, records = io.BytesIO(), []
    for f in files:
        data = f.source.read_bytes()
        stream.write(file_header(f.path, f.mode, f.size) + data + padding(f.size))
        records.append(FileRecord(f.path, f.mode, f.size, hashlib.sha256(data).digest()))
    stream.write(end_of_archive(stream.tell()))
    params = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=1, write_checksum=True,
                                      write_content_size=True, write_dict_id=False)  # fmt: skip
    assert out.getvalue() == params.compress(stream.getvalue())
    assert (sha, size) == (hashlib.sha256(out.getvalue()).hexdigest(), len(out.getvalue()))
    assert digest == content_digest(records)


# The archive of a fixed tree, as the serial writer makes it (and made it while a reader thread
# fed it; the bytes depend only on the tree and the pinned zstandard wheel: a change here breaks
# reproducibility).
PINNED_SHA256 = "5d1a39d005b1d8c4c95edb9d422b66787888ff35fbdd29dfd411066b40b7c0f6"


def test_archive_bytes_are_pinned(make_plugin, tmp_path: Path) -> None:
    import random

    blob = random.Random(15).randbytes(3 << 20) + b"line of text\n" * 100_000  # several chunks
    result = pack(make_plugin(files={"bin/blob.bin": blob}), tmp_path / "out")
    assert (result.sha256, result.size) == (PINNED_SHA256, 3147811)
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == PINNED_SHA256


def test_gnu_tar_and_zstd_cli_read_the_archive(make_plugin, tmp_path: Path) -> None:
    root = make_plugin(
        files={
            "bin/run.sh": "#!/bin/sh\n",
            "deep/" + "d" * 90 + "/" + "f" * 80 + ".txt": "long path\n",
        }
    )
    os.chmod(root / "bin/run.sh", 0o755)
    archive = pack(root, tmp_path).path
    subprocess.run(["zstd", "-t", "-q", str(archive)], check=True)
    listing = subprocess.run(
        f"zstd -dc '{archive}' | tar --numeric-owner -tvf -",
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert listing[0].split()[-1] == "plugin.toml"
    for line in listing:
        perms, owner, _size, date, time_, *_ = line.split()
        assert owner == "0/0" and (date, time_) == ("1980-01-01", "00:00")
        assert perms in ("-rw-r--r--", "-rwxr-xr-x")
    assert any(line.endswith("bin/run.sh") and line.startswith("-rwxr-xr-x") for line in listing)
    x = tmp_path / "gnu"
    x.mkdir()
    subprocess.run(["tar", "--zstd", "-xf", str(archive), "-C", str(x)], check=True)
    assert digest_path(x) == read_archive(archive).digest


def test_non_ascii_paths_use_pax_and_gnu_tar_agrees(make_plugin, tmp_path: Path) -> None:
    root = make_plugin(manifest=_include_all(), files={"docs/café ünï.md": "# café\n"})
    archive = pack(root, tmp_path).path
    names = (
        subprocess.run(
            f"zstd -dc '{archive}' | tar -tf -", shell=True, capture_output=True, check=True
        )
        .stdout.decode("utf-8")
        .splitlines()
    )
    assert "docs/café ünï.md" in names


def _include_all() -> str:
    return MANIFEST.replace(INCLUDE_LINE, "")


@pytest.mark.parametrize(
    ("setup", "rule"),
    [
        (lambda r: os.symlink("/etc/passwd", r / "schemas" / "evil.json"), "symlink"),
        (lambda r: os.symlink(r / "schemas", r / "bin"), "symlink"),
        (lambda r: os.mkfifo(r / "schemas" / "pipe"), "special-file"),
        (lambda r: (r / "schemas" / "CON.json").write_text("{}"), "path-reserved-name"),
        (lambda r: (r / "schemas" / "a:b.json").write_text("{}"), "path-character"),
        (lambda r: (r / "schemas" / "cafe\u0301.json").write_text("{}"), "path-not-nfc"),
        (
            lambda r: [(r / "schemas" / n).write_text("{}") for n in ("A.json", "a.json")],
            "path-collision",
        ),
        (
            lambda r: [
                (r / "schemas" / d).mkdir() or (r / "schemas" / d / f).write_text("{}")
                for d, f in (("Docs", "a.json"), ("docs", "b.json"))
            ],
            "path-collision",
        ),
        (
            lambda r: (
                (r / "schemas" / "PROGRA~1").mkdir() or (r / "schemas/PROGRA~1/x").write_text("")
            ),
            "path-short-name",
        ),
        (lambda r: (r / "schemas" / "x\u0663.json").write_text("{}"), "path-character"),
        (lambda r: (r / "schemas" / "x\u20dd.json").write_text("{}"), "path-character"),
    ],
    ids=[
        "symlink-file",
        "symlink-dir",
        "fifo",
        "reserved",
        "colon",
        "nfd",
        "case-collision",
        "folder-case-collision",
        "short-name",
        "arabic-digit",
        "enclosing-mark",
    ],  # fmt: skip
)
def test_pack_refuses_what_the_reader_would_refuse(
    make_plugin, tmp_path: Path, setup, rule: str
) -> None:
    root = make_plugin()
    setup(root)
    out = tmp_path / "out"
    with pytest.raises(PackError) as info:
        pack(root, out)
    assert info.value.rule == rule
    assert info.value.place and info.value.place.startswith("schemas/") or info.value.place == "bin"
    assert not out.exists() or not any(out.iterdir())


def test_never_packed_junk(make_plugin, tmp_path: Path) -> None:
    root = make_plugin(manifest=_include_all())
    for junk in (".git/config", "__pycache__/x.pyc", "dist/old.insomnia-plugin", ".insomnia/plugins/x",
                 "schemas/.x.json.swp", "schemas/x.json~", "old-1.0.0.insomnia-plugin",
                 "#notes.txt#", "schemas/#x.json#", "schemas/.#x.json"):  # fmt: skip
        p = root / junk
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("junk")
    paths = {f.path for f in collect_files(root)}
    assert "notes.txt" in paths
    assert not any(p.startswith((".git", "__pycache__", "dist", ".insomnia")) for p in paths)
    assert not any(p.endswith(("~", ".swp", ".insomnia-plugin")) for p in paths)
    assert not any("#" in p for p in paths)  # Emacs autosaves and lock links


def test_invalid_plugin_is_not_packed(make_plugin, tmp_path: Path) -> None:
    root = make_plugin()
    (root / "hooks.toml").unlink()
    with pytest.raises(PackError) as info:
        pack(root, tmp_path / "out")
    assert info.value.rule == "file-missing"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_invalid_hooks_file_is_not_packed(make_plugin, tmp_path: Path) -> None:
    root = make_plugin(
        files={"hooks.toml": '[[hooks]]\nevent = "pre_tool_use"\naction = "block"\n'}
    )
    with pytest.raises(PackError) as info:
        pack(root, tmp_path / "out")
    assert info.value.rule == "hooks-invalid" and info.value.place == "hooks.toml:hooks[0].action"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_build_command_runs_before_packing_and_failure_stops(make_plugin, tmp_path: Path) -> None:
    ok = MANIFEST + '\n[build]\ncommand = ["sh", "-c", "echo built > generated.txt"]\n'
    root = make_plugin("ok", manifest=ok.replace('"LICENSE",', '"LICENSE", "generated.txt",'))
    result = pack(root, tmp_path / "o1")
    assert "generated.txt" in {f.path for f in read_archive(result.path).files}
    bad = MANIFEST + '\n[build]\ncommand = ["sh", "-c", "echo compiler exploded >&2; exit 3"]\n'
    root = make_plugin("bad", manifest=bad)
    with pytest.raises(PackError) as info:
        pack(root, tmp_path / "o2")
    assert info.value.rule == "build-failed" and "compiler exploded" in info.value.message
    assert not (tmp_path / "o2").exists()
    assert pack(root, tmp_path / "o3", run_build=False).files == 5


def test_interrupted_pack_leaves_no_partial_file(make_plugin, tmp_path: Path) -> None:
    root = make_plugin()
    out = tmp_path / "out"

    def interrupt(done: int, total: int) -> None:  # after the first file, in the packing thread
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pack(root, out, progress=interrupt)
    assert list(out.iterdir()) == []


def test_a_file_that_shrinks_while_packing_is_refused(make_plugin, tmp_path: Path) -> None:
    import threading

    root = make_plugin()
    out = tmp_path / "out"
    (root / "README.md").write_bytes(os.urandom(7 << 20))

    def shrink(done: int, total: int) -> None:  # plugin.toml is packed; README.md comes later
        (root / "README.md").write_text("#")

    before = threading.active_count()
    with pytest.raises(PackError) as info:
        pack(root, out, progress=shrink)
    assert info.value.rule == "file-changed" and info.value.place == "README.md"
    assert list(out.iterdir()) == [] and threading.active_count() == before


def test_pack_cli_json_keys(make_plugin, tmp_path: Path) -> None:
    import json

    proc = run_plugin("pack", str(make_plugin()), "-o", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"path", "size", "files", "sha256", "digest", "id", "version"} <= set(data)
    assert data["size"] == Path(data["path"]).stat().st_size and data["files"] == 5


def test_archive_swapped_while_extracting_yields_what_was_checked(
    make_plugin, tmp_path: Path, monkeypatch
) -> None:
    # One pass: the bytes written are the bytes checked and hashed, whatever the file becomes.
    first = pack(make_plugin("a"), tmp_path / "a").path
    other_root = make_plugin("b", files={"README.md": "# Weather tools, other bytes\n"})
    other = pack(other_root, tmp_path / "b").path.read_bytes()
    swap_while_extracting(monkeypatch, first, other)  # asserts either outcome is sound


REFERENCE_EXTRACT = {
    "insomnia": lambda archive, out: ["tar", "--zstd", "-xf", str(archive), "-C", str(out)],
    "yoi": lambda archive, out: ["unzip", "-q", str(archive), "-d", str(out)],
}


def _files(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777)
            for p in root.rglob("*") if p.is_file()}  # fmt: skip


@pytest.mark.parametrize("host", ["insomnia", "yoi"])
def test_one_pass_writes_only_into_a_temporary_sibling(
    make_plugin, tmp_path: Path, monkeypatch, host: str
) -> None:
    """While members are checked and written the destination does not exist, only a hidden
    temporary sibling, renamed when every rule has passed; the files equal the reference tool's."""
    from helpers.zips import write_yoi_tree

    from plugin_kit.hosts import get_host
    from plugin_kit.packer.formats import archive_format

    source_cls = archive_format(get_host(host)).source
    extra = {"src/a-b.txt": "x", "Zed/é.txt": "é"}
    project = make_plugin() if host == "insomnia" else write_yoi_tree(tmp_path / "p", extra)
    archive = pack(project, tmp_path / "dist").path
    box, ref = tmp_path / "box", tmp_path / "ref"
    box.mkdir(), ref.mkdir()
    seen: list[list[str]] = []
    real = source_cls.members

    def members_watched(self):  # type: ignore[no-untyped-def]
        for item in real(self):
            seen.append(sorted(p.name for p in box.iterdir()))
            yield item

    monkeypatch.setattr(source_cls, "members", members_watched)
    info = extract_archive(archive, box / "dest")
    assert len(seen) == len(info.files) > 2
    assert all(len(names) == 1 and names[0].startswith(".dest.") for names in seen), seen
    assert sorted(p.name for p in box.iterdir()) == ["dest"]
    subprocess.run(REFERENCE_EXTRACT[host](archive, ref), check=True)
    assert _files(box / "dest") == _files(ref)
    assert sorted(_files(ref)) == sorted(f.path for f in info.files)
