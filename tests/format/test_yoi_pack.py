""".yoi-plugin packages: the digest, the writer's bytes, round trips, reproducibility, interop with
zipfile / unzip / bsdtar, plugin-kit.toml, and the CLI (pack, inspect, digest, sign, verify)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers.yoi_host import host_digest, host_read
from helpers.zips import YOI_FILES, Entry, write_yoi_tree, zip_bytes

from plugin_kit.content.collect import SourceFile, collect_files
from plugin_kit.content.digest import FileRecord, content_digest
from plugin_kit.errors import ArchiveError, PackError, ValidationError
from plugin_kit.hosts import YOI
from plugin_kit.packer import zipwriter
from plugin_kit.packer.digest import digest_path
from plugin_kit.packer.reader import extract_archive, read_archive
from plugin_kit.packer.writer import pack

ARCHIVE = "example.tool-0.1.0.yoi-plugin"
VECTOR = "sha256:8a601447ab5115a69b02d93926fc1a2543ee08d84cb95364d8ba8c89ce63b3cb"  # docs/format.md, "Yoi packages"


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_digest_vector_by_hand() -> None:
    by_hand = hashlib.sha256(b"yoi-plugin-package-digest-v1\0")
    by_hand.update(b"b/c\0" + struct.pack(">Q", 2) + hashlib.sha256(b"bc").digest())
    by_hand.update(b"plugin.toml\0" + struct.pack(">Q", 1) + hashlib.sha256(b"a").digest())
    records = [
        FileRecord("plugin.toml", 0o644, 1, hashlib.sha256(b"a").digest()),
        FileRecord("b/c", 0o755, 2, hashlib.sha256(b"bc").digest()),  # the mode is not covered
    ]
    assert "sha256:" + by_hand.hexdigest() == content_digest(records, YOI) == VECTOR
    assert content_digest(records, YOI) == host_digest({"plugin.toml": b"a", "b/c": b"bc"})
    assert content_digest(records, YOI) != content_digest(records)  # another tag, and the mode


def test_tree_archive_extraction_and_host_agree_on_the_digest(tmp_path: Path) -> None:
    root = write_yoi_tree(tmp_path / "p", {"src/a-b.txt": "x", "Zed/é.txt": "é"})
    os.chmod(root / "README.md", 0o755)  # Yoi's digest ignores the exec bit
    result = pack(root, tmp_path / "out")
    assert result.path.name == ARCHIVE and result.host is YOI
    expected = host_digest(tree_bytes(root))
    assert host_digest(host_read(result.path.read_bytes())) == expected  # Yoi loads it, same digest
    assert result.digest == digest_path(root) == digest_path(result.path) == expected
    info = extract_archive(result.path, tmp_path / "x")
    assert info.digest == expected == digest_path(tmp_path / "x")
    assert tree_bytes(tmp_path / "x") == tree_bytes(root)
    assert {p.stat().st_mode & 0o777 for p in (tmp_path / "x").rglob("*") if p.is_file()} == {0o644}


def test_writer_bytes_follow_the_profile(tmp_path: Path) -> None:
    root = write_yoi_tree(tmp_path / "p", {"a/b.txt": "ab", "A.txt": "A", "ä.txt": "ä"})
    path = pack(root, tmp_path / "out").path
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        assert z.comment == b""
    names = [i.filename for i in infos]
    assert names == sorted(names, key=str.encode) and "plugin.toml" in names
    assert not any(n.endswith("/") for n in names)
    for i in infos:
        assert (i.flag_bits, i.compress_type, i.extra, i.comment) == (0x0800, 0, b"", b"")
        assert i.date_time == (1980, 1, 1, 0, 0, 0)
        assert (i.create_system, i.external_attr >> 16) == (3, 0o100644)
        assert i.CRC != 0
    data = path.read_bytes()
    assert data.startswith(b"PK\x03\x04") and data[-22:-18] == b"PK\x05\x06"
    assert data[-2:] == b"\0\0"  # no archive comment


def _pack_in_child(root: Path, out: Path, umask: int, tz: str) -> bytes:
    env = {**os.environ, "TZ": tz, "LC_ALL": "C" if tz == "UTC" else "C.UTF-8"}
    code = (
        f"import os; os.umask({umask:#o}); from plugin_kit.packer.writer import pack;"
        f"print(pack({str(root)!r}, {str(out)!r}).path)"
    )
    made = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return Path(made.stdout.strip()).read_bytes()


def test_same_tree_same_bytes_across_processes(tmp_path: Path) -> None:
    files = {"z.txt": "z", "a/b/c.txt": "c", "M.bin": bytes(range(256)), "ü/ß.txt": "ß"}
    one = write_yoi_tree(tmp_path / "one", files)
    two = tmp_path / "elsewhere" / "deeper" / "two"
    two.mkdir(parents=True)
    for rel in reversed(list({**YOI_FILES, **files})):  # another creation order
        (two / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(one / rel, two / rel)
    for i, p in enumerate(sorted(two.rglob("*"))):
        os.utime(p, (1_000_000 + i * 7919, 2_000_000_000 - i))
        if p.is_file():
            os.chmod(p, 0o600 if i % 2 else 0o775)
    first = _pack_in_child(one, tmp_path / "o1", 0o022, "UTC")
    second = _pack_in_child(two, tmp_path / "o2", 0o077, "Asia/Tokyo")
    assert first == second


def test_zipfile_reads_back_identical_bytes(tmp_path: Path) -> None:
    # 2.5 MiB: more than the writer's chunk, so it takes the two-read path for its CRC-32.
    big = os.urandom(5 << 19)
    root = write_yoi_tree(
        tmp_path / "p", {"dir/x.bin": os.urandom(70_000), "é/ñ.txt": "ñ", "big.bin": big}
    )
    path = pack(root, tmp_path / "out").path
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert {n: z.read(n) for n in z.namelist()} == tree_bytes(root)


@pytest.mark.parametrize("tool", ["unzip", "bsdtar"])
def test_unzip_and_bsdtar_extract_identical_files(tmp_path: Path, tool: str) -> None:
    files = {"dir/x.bin": os.urandom(70_000), "é/ñ.txt": "ñ", "big.bin": os.urandom(5 << 19)}
    root = write_yoi_tree(tmp_path / "p", files)
    path = pack(root, tmp_path / "out").path
    dest = tmp_path / "dest"
    dest.mkdir()
    if tool == "unzip":
        test = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True)
        assert test.returncode == 0 and "No errors detected" in test.stdout
        cmd = ["unzip", "-q", str(path), "-d", str(dest)]
    else:
        cmd = ["bsdtar", "-xf", str(path), "-C", str(dest)]
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert tree_bytes(dest) == tree_bytes(root)
    assert {p.stat().st_mode & 0o777 for p in dest.rglob("*") if p.is_file()} == {0o644}


def test_sidecar_selects_files_and_is_never_packed(tmp_path: Path) -> None:
    root = write_yoi_tree(tmp_path / "p", {"src/lib.rs": "fn x() {}", "notes.txt": "n",
                                           ".yoi/plugins/old.yoi-plugin": "x", "old.yoi-plugin": "x"})  # fmt: skip
    (root / "plugin-kit.toml").write_text('[package]\nexclude = ["src/", "*.txt"]\n')
    assert {f.path for f in collect_files(root)} == {
        "plugin.toml",
        "plugin.component.wasm",
        "README.md",
    }
    (root / "plugin-kit.toml").write_text('[package]\ninclude = ["plugin.component.wasm"]\n')
    assert {f.path for f in collect_files(root)} == {"plugin.toml", "plugin.component.wasm"}


def test_sidecar_build_runs_before_packing(tmp_path: Path) -> None:
    root = write_yoi_tree(tmp_path / "p")
    command = [sys.executable, "-c", "open('generated.txt', 'w').write('made')"]
    (root / "plugin-kit.toml").write_text(f"[build]\ncommand = {json.dumps(command)}\n")
    info = read_archive(pack(root, tmp_path / "out").path)
    assert "generated.txt" in {f.path for f in info.files}
    assert "plugin-kit.toml" not in {f.path for f in info.files}


def test_a_bad_sidecar_is_refused_with_its_field(tmp_path: Path) -> None:
    root = write_yoi_tree(tmp_path / "p")
    (root / "plugin-kit.toml").write_text('[package]\ninclude = "all"\n[extra]\nx = 1\n')
    with pytest.raises(ValidationError) as err:
        pack(root, tmp_path / "out")
    assert err.value.rule == "sidecar-schema"
    assert len(err.value.problems) == 2


def test_a_path_yoi_refuses_is_refused_at_pack(tmp_path: Path) -> None:
    root = write_yoi_tree(tmp_path / "p", {"~home.txt": "x"})
    with pytest.raises(PackError) as err:
        pack(root, tmp_path / "out")
    assert (err.value.rule, err.value.place) == ("path-tilde", "~home.txt")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_failed_pack_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    root = write_yoi_tree(tmp_path / "p")
    real, calls = zipwriter._entry, []

    def entry_then_fail(src, sink, buf):  # type: ignore[no-untyped-def]
        calls.append(src.path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(src, sink, buf)

    monkeypatch.setattr(zipwriter, "_entry", entry_then_fail)
    with pytest.raises(KeyboardInterrupt):
        pack(root, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_host_flag_overrides_detection(tmp_path: Path) -> None:
    src = tmp_path / "host-made.yoi-plugin"
    src.write_bytes(
        zip_bytes(
            [
                Entry("plugin.component.wasm", b"c"),
                Entry("plugin.toml", YOI_FILES["plugin.toml"].encode()),
            ]
        )
    )
    assert read_archive(src).host is YOI
    with pytest.raises(ArchiveError) as err:
        read_archive(src, host="insomnia")
    assert err.value.rule == "zstd-magic"


def run_cli(*args: str, cwd: Path) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "plugin_kit", *args], cwd=cwd,
                          capture_output=True, text=True)  # fmt: skip
    return proc.returncode, proc.stdout, proc.stderr


def test_cli_pack_inspect_digest_report_the_host(tmp_path: Path) -> None:
    root = write_yoi_tree(tmp_path / "p")
    code, out, err = run_cli("pack", "--json", "-o", "dist", ".", cwd=root)
    assert code == 0, err
    packed = json.loads(out)
    assert packed["host"] == "yoi" and packed["path"].endswith(ARCHIVE)
    code, out, _ = run_cli("inspect", "--json", packed["path"], cwd=root)
    shown = json.loads(out)
    assert code == 0 and shown["host"] == "yoi" and shown["digest"] == packed["digest"]
    assert shown["manifest"]["id"] == "example.tool"
    for target in (".", packed["path"]):
        code, out, _ = run_cli("digest", "--json", target, cwd=root)
        assert code == 0
        assert (json.loads(out)["digest"], json.loads(out)["host"]) == (packed["digest"], "yoi")
    code, out, _ = run_cli("inspect", packed["path"], cwd=root)
    assert code == 0 and "Yoi" in out and packed["digest"] in out
    code, _, err = run_cli("pack", "--host", "insomnia", ".", cwd=root)
    assert code != 0 and "manifest" in err


def test_cli_sign_and_verify_a_yoi_package(tmp_path: Path) -> None:
    root = write_yoi_tree(tmp_path / "p")
    path = pack(root, tmp_path).path
    assert run_cli("keygen", "-o", "k", "--no-password", cwd=tmp_path)[0] == 0
    code, out, err = run_cli("sign", path.name, "--key", "k.key", "--json", cwd=tmp_path)
    assert code == 0, err
    comment = json.loads(out)["signed"][0]["trusted_comment"]
    assert "example.tool" in comment and "0.1.0" in comment
    code, _, err = run_cli("verify", path.name, "--pubkey-file", "k.pub", cwd=tmp_path)
    assert code == 0, err
    hostile = tmp_path / "evil.yoi-plugin"
    hostile.write_bytes(zip_bytes([Entry("../x", b"x"), Entry("plugin.toml", b"")]))
    code, _, err = run_cli("sign", hostile.name, "--key", "k.key", cwd=tmp_path)
    assert code == 1 and "path-dot-segment" in err


def test_a_package_that_would_need_zip64_is_refused(tmp_path: Path) -> None:
    # 0xFFFF entries is the ZIP64 sentinel of the end record: refused before a file is opened.
    many = [SourceFile(f"f{i}", tmp_path / "absent", 0o644, 0) for i in range(0xFFFF)]
    with pytest.raises(PackError) as err:
        zipwriter.write_zip(many, io.BytesIO())
    assert err.value.rule == "zip64-needed" and "over the limit" in (err.value.hint or "")
