"""The hostile corpus: one archive per reader rule, each refused by rule and entry with nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.archives import (
    HOOKS,
    MANIFEST,
    compress,
    header,
    member,
    pad,
    pax_member,
    raw_frame,
    rle_bomb_frame,
    skippable,
    tar,
    valid_members,
)
from helpers.refusals import assert_refused_and_nothing_written, refusal_and_peak_rss

from plugin_kit.packer.reader import read_archive
from plugin_kit.packer.tarformat import pax_records
from plugin_kit.validators.limits import Limits

MiB = 1024 * 1024


def pax_record(key: str, value: str) -> bytes:
    body = f" {key}={value}\n".encode()
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n = len(str(n)) + len(body)
    return str(n).encode() + body


VALID = tar(*valid_members())


def good(*extra_members: bytes) -> bytes:
    return tar(*valid_members(), *extra_members)


def with_files(files: dict[str, bytes], *, order: list[str] | None = None) -> bytes:
    names = order or list(files)
    return tar(member("plugin.toml", MANIFEST), *[member(n, files[n]) for n in names])


def manifest_tar(text: bytes, **files: bytes) -> bytes:
    files = {"hooks.toml": HOOKS, **files}
    return tar(member("plugin.toml", text), *[member(n, files[n]) for n in sorted(files)])


# (id, compressed archive bytes, expected rule, expected place substring or None, limits)
CASES: list[tuple[str, bytes, str, str | None, Limits | None]] = [
    # container and stream
    ("too-large", compress(VALID), "archive-too-large", None, Limits(max_archive_size=64)),
    ("not-zstd", b"GIF89a: not zstd at all", "zstd-magic", None, None),
    ("skippable-first", skippable() + compress(VALID), "zstd-skippable-frame", None, None),
    ("skippable-after", compress(VALID) + skippable(), "zstd-skippable-frame", None, None),
    ("concatenated", compress(VALID) + compress(VALID), "zstd-concatenated", None, None),
    ("trailing-zeros", compress(VALID) + b"\0\0\0\0\0", "zstd-trailing-data", None, None),
    ("trailing-garbage", compress(VALID) + b"garbage", "zstd-trailing-data", None, None),
    ("truncated-frame", compress(VALID)[:-9], "zstd-truncated", None, None),
    ("truncated-header", compress(VALID)[:5], "zstd-truncated", None, None),
    ("no-checksum", compress(VALID, checksum=False), "zstd-no-checksum", None, None),
    ("no-content-size", compress(VALID, content_size=False), "zstd-no-content-size", None, None),
    ("huge-window", raw_frame(VALID, window_log=27), "zstd-window", None, None),
    ("dictionary", raw_frame(VALID, dict_id=True), "zstd-dictionary", None, None),
    ("reserved-bit", raw_frame(VALID, reserved=True), "zstd-header", None, None),
    (
        "checksum-mismatch",
        raw_frame(VALID)[:-20] + b"X" + raw_frame(VALID)[-19:],
        "zstd-corrupt",
        None,
        None,
    ),
    ("declared-bomb", rle_bomb_frame(4 * MiB, declared=1 << 40), "total-too-large", None, None),
    ("lying-size", raw_frame(VALID, declared_size=1024), "zstd-corrupt", None, None),
    (
        "ratio-bomb",
        compress(good(member("zeros.bin", bytes(3 * MiB)))),
        "ratio-exceeded",
        None,
        Limits(ratio_grace=1 * MiB, max_ratio=100),
    ),
    # tar structure
    (
        "bad-checksum",
        compress(good(member("z.txt", b"x", checksum_delta=1))),
        "header-checksum",
        None,
        None,
    ),
    (
        "gnu-magic",
        compress(good(member("z.txt", b"x", magic=b"ustar  \x00"))),
        "header-magic",
        None,
        None,
    ),
    ("v7-magic", compress(good(member("z.txt", b"x", magic=bytes(8)))), "header-magic", None, None),
    (
        "base256-size",
        compress(good(header("z.txt", 0, size_field=b"\x80" + bytes(10) + b"\x01") + bytes(512))),
        "header-numeric",
        None,
        None,
    ),
    (
        "non-octal-size",
        compress(good(header("z.txt", 0, size_field=b"0000000009a\x00"))),
        "header-numeric",
        None,
        None,
    ),
    (
        "hardlink",
        compress(good(member("z.txt", b"", typeflag=b"1", linkname=b"hooks.toml"))),
        "entry-hardlink",
        "z.txt",
        None,
    ),
    (
        "symlink",
        compress(good(member("z.txt", b"", typeflag=b"2", linkname=b"/etc/passwd"))),
        "entry-symlink",
        "z.txt",
        None,
    ),
    ("chardev", compress(good(member("z.dev", b"", typeflag=b"3"))), "entry-device", "z.dev", None),
    (
        "blockdev",
        compress(good(member("z.dev", b"", typeflag=b"4"))),
        "entry-device",
        "z.dev",
        None,
    ),
    (
        "directory",
        compress(good(member("zdir/", b"", typeflag=b"5", mode=0o755))),
        "entry-directory",
        None,
        None,
    ),
    ("fifo", compress(good(member("z.fifo", b"", typeflag=b"6"))), "entry-fifo", "z.fifo", None),
    (
        "contiguous",
        compress(good(member("z.bin", b"x", typeflag=b"7"))),
        "entry-type",
        "z.bin",
        None,
    ),
    ("sparse", compress(good(member("z.bin", b"x", typeflag=b"S"))), "entry-sparse", "z.bin", None),
    (
        "old-regular",
        compress(good(member("z.bin", b"x", typeflag=b"\0"))),
        "entry-type",
        "z.bin",
        None,
    ),
    (
        "vendor-type",
        compress(good(member("z.bin", b"x", typeflag=b"V"))),
        "entry-type",
        "z.bin",
        None,
    ),
    (
        "gnu-longname",
        compress(
            good(member("././@LongLink", b"z" * 120 + b"\0", typeflag=b"L"), member("z.txt", b"x"))
        ),
        "entry-gnu-longname",
        None,
        None,
    ),
    (
        "global-pax",
        compress(
            tar(
                header("pax_global_header", 23, typeflag=b"g")
                + b"23 path=../../evil.sh\n\0"
                + pad(23),
                *valid_members(),
            )
        ),
        "pax-global",
        None,
        None,
    ),
    (
        "pax-path-override",
        compress(good(pax_member(pax_records("../evil.sh"), "zz.txt", b"x"))),
        "path-dot-segment",
        "../evil.sh",
        None,
    ),
    (
        "pax-linkpath",
        compress(good(pax_member(pax_record("linkpath", "/etc"), "zz.txt", b"x"))),
        "pax-keyword",
        "pax header",
        None,
    ),
    (
        "pax-mtime",
        compress(good(pax_member(pax_record("mtime", "1234567890"), "zz.txt", b"x"))),
        "pax-keyword",
        "pax header",
        None,
    ),
    (
        "pax-size",
        compress(good(pax_member(pax_record("size", "999"), "zz.txt", b"x"))),
        "pax-keyword",
        "pax header",
        None,
    ),
    (
        "pax-bad-length",
        compress(good(pax_member(b"99 path=zz.txt\n", "zz.txt", b"x"))),
        "pax-malformed",
        "pax header",
        None,
    ),
    (
        "pax-bomb",
        compress(good(header("././@PaxHeader", 256 * MiB, typeflag=b"x"))),
        "pax-too-large",
        "pax header",
        None,
    ),
    (
        "pax-orphan",
        compress(
            tar(
                *valid_members(),
                header("././@PaxHeader", 15, typeflag=b"x") + b"15 path=zz.txt\n" + pad(15),
            )
        ),
        "pax-orphan",
        "pax header",
        None,
    ),
    ("no-end-marker", compress(tar(*valid_members(), end=False)), "missing-end-marker", None, None),
    (
        "half-end-marker",
        compress(b"".join(valid_members()) + bytes(512) + member("zz.txt", b"x") + bytes(10240)),
        "missing-end-marker",
        None,
        None,
    ),
    (
        "member-after-end",
        compress(tar(*valid_members()) + member("zz.txt", b"smuggled") + bytes(1024)),
        "data-after-end",
        None,
        None,
    ),
    (
        "short-member",
        compress(b"".join(valid_members()) + header("zz.bin", 4096) + b"x" * 1024),
        "truncated",
        "zz.bin",
        None,
    ),
    ("cut-in-header", compress(b"".join(valid_members()) + b"\x01" * 100), "truncated", None, None),
    ("huge-file", compress(good(header("zz.bin", 1 << 33))), "file-too-large", "zz.bin", None),
    (
        "total-bomb",
        compress(good(member("za.bin", bytes(600_000)), member("zb.bin", bytes(600_000)))),
        "total-too-large",
        "zb.bin",
        Limits(max_total_size=1 * MiB),
    ),
    (
        "too-many-entries",
        compress(good(*[member(f"zf{i}.txt", b"x") for i in range(5)])),
        "too-many-entries",
        None,
        Limits(max_entries=4),
    ),
    (
        "setuid-mode",
        compress(good(member("zz.sh", b"x", mode=0o4755))),
        "header-mode",
        "zz.sh",
        None,
    ),
    (
        "world-writable",
        compress(good(member("zz.sh", b"x", mode=0o777))),
        "header-mode",
        "zz.sh",
        None,
    ),
    (
        "padding-garbage",
        compress(good(header("zz.txt", 1) + b"x" + b"\x01" * 511)),
        "padding-nonzero",
        "zz.txt",
        None,
    ),
    # pax, case by case with docs/format.md 2.2
    (
        "pax-over-hostile-ustar-name",
        compress(good(pax_member(pax_records("zz.txt"), "../../evil.txt", b"x"))),
        "path-dot-segment",
        "zz.txt",
        None,
    ),
    (
        "pax-over-question-mark-name",
        compress(good(pax_member(pax_records("zé.txt"), "z?.txt", b"x"))),
        "path-character",
        "zé.txt",
        None,
    ),
    (
        "pax-header-own-name",
        compress(
            good(
                header("../../evil.txt", 15, typeflag=b"x")
                + b"15 path=zz.txt\n"
                + pad(15)
                + member("zz.txt", b"x")
            )
        ),
        "path-dot-segment",
        "pax header",
        None,
    ),
    (
        "pax-padding-garbage",
        compress(
            good(
                header("././@PaxHeader", 15, typeflag=b"x")
                + b"15 path=zz.txt\n"
                + b"\x01" * (512 - 15)
                + member("zz.txt", b"x")
            )
        ),
        "padding-nonzero",
        "pax header",
        None,
    ),
    (
        "pax-forbidden-keyword-bad-utf8",
        compress(good(pax_member(b"14 atime=\xff\xfe12\n", "zz.txt", b"x"))),
        "pax-keyword",
        "pax header",
        None,
    ),
    (
        "pax-path-bad-utf8",
        compress(good(pax_member(b"13 path=z\xff.t\n", "zz.txt", b"x"))),
        "path-utf8",
        "pax header",
        None,
    ),
    (
        "base256-devmajor",
        compress(good(member("zz.txt", b"x", devmajor_field=b"\x80" + bytes(6) + b"\x01"))),
        "header-numeric",
        None,
        None,
    ),
    (
        "non-octal-devminor",
        compress(good(member("zz.txt", b"x", devmajor_field=b"0000008\x00"))),
        "header-numeric",
        None,
        None,
    ),
    # Windows aliases and characters the spec does not list
    (
        "folder-case-collision",
        compress(good(member("zDocs/a.md", b"a"), member("zdocs/b.md", b"b"))),
        "path-collision",
        "zdocs/b.md",
        None,
    ),
    (
        "folder-sharp-s-collision",
        compress(good(member("zstrasse/a.md", b"a"), member("zstraße/b.md", b"b"))),
        "path-collision",
        "zstraße/b.md",
        None,
    ),
    (
        "short-name-folder",
        compress(good(member("zPROGRA~1/evil.dll", b"x"))),
        "path-short-name",
        "zPROGRA~1/evil.dll",
        None,
    ),
    (
        "short-name-file",
        compress(good(member("zz/LONGNA~12.TXT", b"x"))),
        "path-short-name",
        None,
        None,
    ),
    (
        "arabic-indic-digit",
        compress(good(member("zz\u0663.txt", b"x"))),
        "path-character",
        None,
        None,
    ),
    ("enclosing-mark", compress(good(member("zz\u20dd.txt", b"x"))), "path-character", None, None),
    # paths
    ("absolute", compress(good(member("/etc/passwd", b"x"))), "path-absolute", "/etc/passwd", None),
    (
        "dotdot",
        compress(good(member("../../evil.sh", b"x"))),
        "path-dot-segment",
        "../../evil.sh",
        None,
    ),
    ("dot", compress(good(member("zz/./x", b"x"))), "path-dot-segment", None, None),
    ("all-dots", compress(good(member("zz/.../x", b"x"))), "path-dot-segment", None, None),
    ("empty-segment", compress(good(member("zz//x", b"x"))), "path-empty-segment", None, None),
    ("trailing-slash", compress(good(member("zz/", b"x"))), "path-empty-segment", None, None),
    ("backslash", compress(good(member("..\\..\\evil.txt", b"x"))), "path-backslash", None, None),
    ("drive-relative", compress(good(member("zc:../x", b"x"))), "path-character", None, None),
    ("colon-stream", compress(good(member("zz.txt:stream", b"x"))), "path-character", None, None),
    ("control-char", compress(good(member("zz\x01.txt", b"x"))), "path-character", None, None),
    ("newline", compress(good(member("zz\n.txt", b"x"))), "path-character", None, None),
    ("star", compress(good(member("zz*.txt", b"x"))), "path-character", None, None),
    ("trailing-dot", compress(good(member("zz.", b"x"))), "path-trailing-dot-or-space", None, None),
    (
        "trailing-space",
        compress(good(member("zz ", b"x"))),
        "path-trailing-dot-or-space",
        None,
        None,
    ),
    ("reserved-con", compress(good(member("zz/CON", b"x"))), "path-reserved-name", None, None),
    (
        "reserved-nul-ext",
        compress(good(member("zz/nul.txt", b"x"))),
        "path-reserved-name",
        None,
        None,
    ),
    (
        "reserved-superscript",
        compress(good(member("zz/COM\u00b9.log", b"x"))),
        "path-character",
        None,
        None,
    ),
    ("reserved-conin", compress(good(member("zz/CONIN$", b"x"))), "path-reserved-name", None, None),
    (
        "not-nfc",
        compress(good(pax_member(pax_records("zcafe\u0301"), "zcafe", b"x"))),
        "path-not-nfc",
        None,
        None,
    ),
    ("not-utf8", compress(good(member(b"z\xe9.txt", b"x"))), "path-utf8", None, None),
    (
        "too-long",
        compress(good(pax_member(pax_records("z" + "a/" * 130 + "x"), "z", b"x"))),
        "path-too-long",
        None,
        None,
    ),
    (
        "component-too-long",
        compress(good(pax_member(pax_records("z" * 256), "z", b"x"))),
        "path-component-too-long",
        None,
        Limits(max_path_bytes=1000),
    ),
    ("too-deep", compress(good(member("z/" * 33 + "x", b"x"))), "path-too-deep", None, None),
    # collisions, duplicates, order
    (
        "case-collision",
        compress(
            with_files(
                {"hooks.toml": HOOKS, "README": b"a", "readme": b"b"},
                order=["README", "hooks.toml", "readme"],
            )
        ),
        "path-collision",
        "readme",
        None,
    ),
    (
        "sharp-s",
        compress(
            with_files(
                {"hooks.toml": HOOKS, "strasse": b"a", "straße": b"b"},
                order=["hooks.toml", "strasse", "straße"],
            )
        ),
        "path-collision",
        None,
        None,
    ),
    (
        "kelvin-sign",
        compress(good(pax_member(pax_records("z\u212a"), "z", b"b"))),
        "path-not-nfc",
        None,
        None,
    ),
    (
        "final-sigma",
        compress(
            with_files(
                {"hooks.toml": HOOKS, "z\u03c2": b"a", "z\u03c3": b"b"},
                order=["hooks.toml", "z\u03c2", "z\u03c3"],
            )
        ),
        "path-collision",
        None,
        None,
    ),
    (
        "nfd-nfc",
        compress(
            tar(
                member("plugin.toml", MANIFEST),
                member("hooks.toml", HOOKS),
                member("zcaf\u00e9", b"a"),
                pax_member(pax_records("zcafe\u0301"), "z", b"b"),
            )
        ),
        "path-not-nfc",
        None,
        None,
    ),
    (
        "duplicate",
        compress(good(member("zz.txt", b"a"), member("zz.txt", b"b"))),
        "duplicate-entry",
        "zz.txt",
        None,
    ),
    (
        "file-and-dir",
        compress(good(member("zz", b"a"), member("zz/x", b"b"))),
        "file-dir-conflict",
        "zz/x",
        None,
    ),
    (
        "file-and-dir-case",
        compress(good(member("zZ", b"a"), member("zz/x", b"b"))),
        "file-dir-conflict",
        "zz/x",
        None,
    ),
    (
        "unsorted",
        compress(with_files({"hooks.toml": HOOKS, "a.txt": b"a"}, order=["hooks.toml", "a.txt"])),
        "entry-order",
        "a.txt",
        None,
    ),
    # manifest
    ("empty", compress(tar()), "manifest-missing", None, None),
    (
        "manifest-second",
        compress(tar(member("hooks.toml", HOOKS), member("plugin.toml", MANIFEST))),
        "manifest-not-first",
        "hooks.toml",
        None,
    ),
    (
        "manifest-twice",
        compress(good(member("plugin.toml", MANIFEST))),
        "duplicate-entry",
        "plugin.toml",
        None,
    ),
    (
        "manifest-case",
        compress(tar(member("Plugin.toml", MANIFEST), member("hooks.toml", HOOKS))),
        "manifest-not-first",
        "Plugin.toml",
        None,
    ),
    (
        "manifest-symlink",
        compress(tar(member("plugin.toml", b"", typeflag=b"2", linkname=b"/etc/passwd"))),
        "entry-symlink",
        "plugin.toml",
        None,
    ),
    (
        "manifest-too-large",
        compress(tar(member("plugin.toml", MANIFEST + b"#" * 70_000))),
        "manifest-too-large",
        "plugin.toml",
        None,
    ),
    (
        "manifest-bad-toml",
        compress(manifest_tar(b"manifest_version = = 1\n")),
        "manifest-parse",
        None,
        None,
    ),
    (
        "manifest-not-utf8",
        compress(manifest_tar(MANIFEST + b"# \xff\n")),
        "manifest-parse",
        None,
        None,
    ),
    (
        "manifest-version-2",
        compress(manifest_tar(MANIFEST.replace(b"manifest_version = 1", b"manifest_version = 2"))),
        "manifest-version",
        None,
        None,
    ),
    (
        "manifest-schema",
        compress(manifest_tar(MANIFEST.replace(b'id = "demo-plugin"', b'id = "Demo_Plugin"'))),
        "manifest-schema",
        "plugin.id",
        None,
    ),
    (
        "manifest-semver",
        compress(manifest_tar(MANIFEST.replace(b'"1.0.0"', b'"01.0.0"'))),
        "semver",
        "plugin.version",
        None,
    ),
    (
        "manifest-missing-file",
        compress(tar(member("plugin.toml", MANIFEST))),
        "file-missing",
        "runtime.file",
        None,
    ),
    (
        "manifest-hooks-invalid",
        compress(
            manifest_tar(
                MANIFEST, **{"hooks.toml": b'[[hooks]]\nevent = "pre_tool_use"\naction = "block"\n'}
            )
        ),
        "hooks-invalid",
        "hooks.toml:hooks[0].action",
        None,
    ),
    (
        "manifest-license",
        compress(manifest_tar(MANIFEST.replace(b'"MIT"', b'"Not A Licence"'))),
        "license-spdx",
        "plugin.license",
        None,
    ),
]


@pytest.mark.parametrize(
    ("archive", "rule", "place", "limits"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refused_by_rule_and_nothing_written(
    tmp_path: Path, archive: bytes, rule: str, place: str | None, limits: Limits | None
) -> None:
    src = tmp_path / "in.insomnia-plugin"
    src.write_bytes(archive)
    assert_refused_and_nothing_written(src, rule, place, limits)


def test_valid_baseline_is_accepted(tmp_path: Path) -> None:
    # Every hostile case above differs from this one archive by one rule.
    src = tmp_path / "ok.insomnia-plugin"
    src.write_bytes(compress(VALID))
    info = read_archive(src)
    assert [f.path for f in info.files] == ["plugin.toml", "hooks.toml"]
    assert info.manifest.id == "demo-plugin"


def test_cli_inspect_names_rule_and_entry(tmp_path: Path) -> None:
    src = tmp_path / "evil.insomnia-plugin"
    src.write_bytes(compress(good(member("../../evil.sh", b"x"))))
    proc = subprocess.run(
        [sys.executable, "-m", "plugin_kit", "inspect", str(src)], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "path-dot-segment" in proc.stderr and "../../evil.sh" in proc.stderr


def test_gigabyte_bomb_is_never_inflated(tmp_path: Path) -> None:
    # 1 GiB of zeros in 32 KiB of RLE blocks, declaring a small size, read in a child so its peak RSS is its own.
    src = tmp_path / "bomb.insomnia-plugin"
    src.write_bytes(rle_bomb_frame(1 << 30, declared=40 * MiB))
    rule, rss_kib = refusal_and_peak_rss(src)
    assert rule == "ratio-exceeded"
    assert rss_kib < 150 * 1024, f"peak RSS {rss_kib // 1024} MiB"
    assert os.path.getsize(src) < 64 * 1024
