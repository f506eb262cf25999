"""The hostile .yoi-plugin corpus: one ZIP per reader rule, built from raw bytes, each refused by
rule and entry before a byte is written (docs/format.md, "Yoi packages")."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.refusals import (
    assert_refused_and_nothing_written,
    refusal_and_peak_rss,
    swap_while_extracting,
)
from helpers.yoi_host import HostRefusal, host_read
from helpers.zips import (
    COMPONENT,
    END_SIG,
    YOI_MANIFEST,
    Entry,
    _local,
    valid_zip,
    yoi_entries,
    zip_bytes,
)

from plugin_kit.hosts import YOI
from plugin_kit.packer import zipreader
from plugin_kit.packer.reader import read_archive
from plugin_kit.validators.limits import Limits
from plugin_kit.validators.models import manifest_model

MiB = 1024 * 1024
GiB = 1024 * MiB


def changed(name: str, *, local: dict | None = None, central: dict | None = None,
            data: bytes | None = None) -> bytes:  # fmt: skip
    """The valid package with one entry's local and/or central fields overridden."""
    entries = yoi_entries({"README.md": b"# Example\n"})
    for e in entries:
        if e.name == name:
            e.local.update(local or {})
            e.central.update(central or {})
            if data is not None:
                e.data = data
    return zip_bytes(entries)


def both(name: str, **fields: int) -> bytes:
    return changed(name, local=fields, central=fields)


def with_files(files: dict[str, bytes]) -> bytes:
    return valid_zip(files)


def physical(names: list[str], central_order: list[int] | None = None) -> bytes:
    files = {"plugin.toml": YOI_MANIFEST, "plugin.component.wasm": COMPONENT, "README.md": b"r"}
    return zip_bytes([Entry(n, files[n]) for n in names], central_order=central_order)


def overlapping() -> bytes:
    # "a.txt"'s data holds a whole second entry, "b.txt", that the directory points into.
    b = Entry("b.txt", b"bb")
    a = Entry("a.txt", _local(b) + b.data)
    b.placed, b.central["offset"] = False, 30 + len("a.txt")
    return zip_bytes([a, b, *yoi_entries()])


def duplicate() -> bytes:
    return zip_bytes([Entry("README.md", b"1"), Entry("README.md", b"2"), *yoi_entries()])


def manifest_rule(text: bytes) -> str:
    """The rule the Yoi manifest model gives `text`: the reader must refuse with the same."""
    _, problems = manifest_model(YOI).problems(text)
    return problems[0].rule


def missing_component_rule() -> str:
    model = manifest_model(YOI)
    m = model.parse(YOI_MANIFEST)
    return model.semantic_problems(m, packed={"plugin.toml"}, read=lambda p: b"")[0].rule


END_RECORD = struct.pack("<IHHHHIIH", END_SIG, 0, 0, 0, 0, 0, 0, 0)
UNIX_DIR, UNIX_LINK, UNIX_FIFO = 0o040755 << 16, 0o120777 << 16, 0o010644 << 16
BAD_SCHEMA = YOI_MANIFEST.replace(b"schema_version = 1", b"schema_version = 2")

OVER_LIMIT = {"archive-too-large", "too-many-entries", "file-too-large", "total-too-large",
              "manifest-too-large"}  # fmt: skip

# (id, archive bytes, expected rule, expected place substring or None, limits)
CASES: list[tuple[str, bytes, str, str | None, Limits | None]] = [
    # the end record and what surrounds it
    ("empty-file", b"", "zip-no-end-record", None, None),
    ("no-end-record", valid_zip()[:-22], "zip-no-end-record", None, None),
    ("comment", zip_bytes(yoi_entries(), comment=b"hi"), "zip-comment", None, None),
    ("trailing-data", zip_bytes(yoi_entries(), after=b"x"), "zip-trailing-data", None, None),
    ("several-end-records", zip_bytes(yoi_entries(), between=END_RECORD),
     "zip-several-end-records", None, None),
    ("zip64-end-record", zip_bytes(yoi_entries(), between=struct.pack("<I", 0x06064B50) + bytes(52)),
     "zip64", None, None),
    ("zip64-locator", zip_bytes(yoi_entries(), between=struct.pack("<I", 0x07064B50) + bytes(16)),
     "zip64", None, None),
    ("zip64-end-sentinel", zip_bytes(yoi_entries(), end={"here": 0xFFFF, "total": 0xFFFF}),
     "zip64", None, None),
    ("junk-before-end", zip_bytes(yoi_entries(), between=b"junk"), "zip-gap", None, None),
    ("long-junk-before-end", zip_bytes(yoi_entries(), between=bytes(100_000)), "zip-gap", None, None),
    ("multi-disk", zip_bytes(yoi_entries(), end={"disk": 1}), "zip-multi-disk", None, None),
    ("entries-here-differ", zip_bytes(yoi_entries(), end={"here": 1}), "zip-multi-disk", None, None),
    ("empty-archive", zip_bytes([]), "manifest-missing", None, None),
    ("directory-outside", zip_bytes(yoi_entries(), end={"offset": 1 << 20}),
     "zip-central-directory", None, None),
    ("directory-oversized", zip_bytes(yoi_entries(), between=bytes(2000), end={"size": 2000}),
     "zip-central-directory", None, None),
    ("directory-longer-than-entries", zip_bytes(yoi_entries(), end={"here": 1, "total": 1}),
     "zip-central-directory", None, None),
    ("directory-bad-signature", changed("plugin.toml", central={"sig": 0}),
     "zip-central-directory", None, None),
    # layout of the entries
    ("leading-data", zip_bytes(yoi_entries(), before=b"MZ stub"), "zip-leading-data", None, None),
    ("gap-between", zip_bytes([Entry("README.md", b"r", after=b"??"), *yoi_entries()]),
     "zip-gap", "plugin.component.wasm", None),
    ("gap-before-directory", zip_bytes([*yoi_entries()[:-1], Entry("plugin.toml", YOI_MANIFEST, after=b"?")]),
     "zip-gap", None, None),
    ("overlap", overlapping(), "zip-overlap", "b.txt", None),
    ("local-order-differs", physical(["plugin.toml", "plugin.component.wasm", "README.md"], [2, 1, 0]),
     "zip-entry-order", None, None),
    ("names-out-of-order", physical(["plugin.toml", "README.md", "plugin.component.wasm"]),
     "entry-order", "README.md", None),
    # local header against the central directory
    ("local-signature", changed("plugin.toml", local={"sig": 0}), "zip-local-header", "plugin.toml", None),
    ("local-name", changed("README.md", local={"name": b"README.mx"}), "zip-header-mismatch", "README.md", None),
    ("local-size", changed("README.md", local={"usize": 9, "csize": 9}), "zip-header-mismatch", "README.md", None),
    ("local-method", changed("README.md", local={"method": 8}), "zip-header-mismatch", "README.md", None),
    ("local-flags", changed("README.md", local={"flags": 0}), "zip-header-mismatch", "README.md", None),
    ("local-crc", changed("README.md", local={"crc": 1}), "zip-header-mismatch", "README.md", None),
    ("local-extra", changed("README.md", local={"extra": struct.pack("<HH", 0x5455, 1) + b"\0"}),
     "zip-extra-field", "README.md", None),
    # entry fields
    ("crc-mismatch", both("README.md", crc=0x12345678), "crc-mismatch", "README.md", None),
    ("data-descriptor", both("README.md", flags=0x0808), "zip-data-descriptor", "README.md", None),
    ("encrypted", both("README.md", flags=0x0801), "zip-encrypted", "README.md", None),
    ("strong-encryption", both("README.md", flags=0x0840), "zip-encrypted", "README.md", None),
    ("other-flags", both("README.md", flags=0x0802), "zip-flags", "README.md", None),
    ("deflated", both("README.md", method=8), "zip-compressed", "README.md", None),
    ("sizes-differ", both("README.md", csize=11, usize=10), "zip-size-mismatch", "README.md", None),
    ("zip64-size-sentinel", both("README.md", csize=0xFFFFFFFF, usize=0xFFFFFFFF), "zip64", "README.md", None),
    ("zip64-extra", changed("README.md", central={"extra": struct.pack("<HH", 1, 8) + bytes(8)}),
     "zip64", "README.md", None),
    ("zip64-extra-second", changed("README.md", central={"extra": struct.pack("<HH", 0x5455, 1) + b"\0"
                                                             + struct.pack("<HH", 1, 8) + bytes(8)}),
     "zip64", "README.md", None),
    ("extra-field", changed("README.md", central={"extra": struct.pack("<HH", 0x5455, 1) + b"\0"}),
     "zip-extra-field", "README.md", None),
    ("entry-comment", changed("README.md", central={"comment": b"hi"}), "zip-entry-comment", "README.md", None),
    ("entry-disk", changed("README.md", central={"disk": 1}), "zip-multi-disk", "README.md", None),
    ("directory-empty", with_files({"assets/": b""}), "entry-directory", "assets/", None),
    ("directory-with-data", with_files({"assets/": b"x"}), "entry-directory", "assets/", None),
    ("directory-by-mode", changed("README.md", central={"external": UNIX_DIR}), "entry-directory", "README.md", None),
    ("directory-by-dos-attribute", changed("README.md", central={"external": 0x10}), "entry-directory", "README.md", None),
    ("symlink", changed("README.md", central={"external": UNIX_LINK}), "entry-symlink", "README.md", None),
    ("fifo", changed("README.md", central={"external": UNIX_FIFO}), "entry-special", "README.md", None),
    # names
    ("name-not-utf8", zip_bytes([Entry(b"caf\xe9.txt", b"x"), *yoi_entries()]),
     "path-utf8", "caf", None),
    ("name-without-utf8-flag", zip_bytes([Entry("café.txt", b"x", local={"flags": 0}, central={"flags": 0}), *yoi_entries()]),
     "zip-utf8-flag", "café.txt", None),
    ("backslash", with_files({"a\\b.txt": b"x"}), "path-backslash", "a\\b.txt", None),
    ("drive-letter", with_files({"C:x.txt": b"x"}), "path-drive-letter", "C:x.txt", None),
    ("tilde", with_files({"~x.txt": b"x"}), "path-tilde", "~x.txt", None),
    ("absolute", with_files({"/etc/x": b"x"}), "path-absolute", "/etc/x", None),
    ("dot-dot", with_files({"../evil": b"x"}), "path-dot-segment", "../evil", None),
    ("dot", with_files({"./x.txt": b"x"}), "path-dot-segment", "./x.txt", None),
    ("empty-segment", with_files({"a//b.txt": b"x"}), "path-empty-segment", "a//b.txt", None),
    ("nul", with_files({"a\0b.txt": b"x"}), "path-character", None, None),
    ("empty-name", with_files({"": b"x"}), "path-empty", None, None),
    ("control-character", with_files({"a\x01b.txt": b"x"}), "path-character", None, None),
    ("reserved-name", with_files({"assets/con.txt": b"x"}), "path-reserved-name", "assets/con.txt", None),
    ("not-nfc", with_files({"cafe\u0301.txt": b"x"}), "path-not-nfc", None, None),
    ("duplicate", duplicate(), "duplicate-entry", "README.md", None),
    ("case-collision", with_files({"README.md": b"a", "readme.md": b"b"}), "path-collision", "readme.md", None),
    ("file-and-directory", with_files({"a": b"1", "a/b": b"2"}), "file-dir-conflict", "a/b", None),
    # the host's limits
    ("archive-too-large", valid_zip(), "archive-too-large", None, Limits(max_archive_size=100)),
    ("too-many-entries", valid_zip(), "too-many-entries", None, Limits(max_entries=1)),
    ("file-too-large", with_files({"big.bin": bytes(2000)}), "file-too-large", "big.bin", Limits(max_file_size=1000)),
    ("total-too-large", with_files({"a.bin": bytes(600), "b.bin": bytes(600)}), "total-too-large", "b.bin",
     Limits(max_total_size=1000)),
    ("manifest-too-large", valid_zip(), "manifest-too-large", "plugin.toml", Limits(max_manifest_size=10)),
    ("path-too-long", with_files({"a" * 200 + "/" + "b" * 100: b"x"}), "path-too-long", None, None),
    # the manifest
    ("manifest-missing", zip_bytes([Entry("plugin.component.wasm", COMPONENT)]), "manifest-missing", None, None),
    ("manifest-invalid", zip_bytes([Entry("plugin.component.wasm", COMPONENT), Entry("plugin.toml", BAD_SCHEMA)]),
     manifest_rule(BAD_SCHEMA), None, None),
    ("component-missing", zip_bytes([Entry("plugin.toml", YOI_MANIFEST)]), missing_component_rule(), None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("archive", "rule", "place", "limits"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refused_by_rule_and_nothing_written(
    tmp_path: Path, archive: bytes, rule: str, place: str | None, limits: Limits | None
) -> None:
    src = tmp_path / "in.yoi-plugin"
    src.write_bytes(archive)
    refused = assert_refused_and_nothing_written(src, rule, place, limits, host="yoi")
    if rule in OVER_LIMIT:
        assert "over the limit" in (refused.hint or "")


def test_every_zip_rule_of_the_reader_has_a_case() -> None:
    source = Path(zipreader.__file__).read_text()
    in_reader = set(re.findall(r'"((?:zip|entry|crc|path|manifest)[a-z0-9-]*)"', source))
    covered = {c[2] for c in CASES}
    assert in_reader - covered - {"changed-during-read"} == set()


def test_valid_baseline_is_accepted(tmp_path: Path) -> None:
    src = tmp_path / "ok.yoi-plugin"
    src.write_bytes(changed("README.md"))
    info = read_archive(src)
    assert info.host is YOI
    assert [f.path for f in info.files] == ["plugin.toml", "README.md", "plugin.component.wasm"]
    assert info.manifest.id == "example.tool"


def test_a_package_as_the_host_writes_it_is_accepted(tmp_path: Path) -> None:
    # plugin.rs `write_stored_zip_file`: CRC 0 ("not recorded"), date 0, made by 2.0, attributes 0.
    fields = {"crc": 0, "date": 0}
    entries = yoi_entries()
    for e in entries:
        e.local.update(fields)
        e.central.update(fields, made_by=20, external=0)
    src = tmp_path / "host.yoi-plugin"
    src.write_bytes(zip_bytes(entries))
    assert read_archive(src).manifest.id == "example.tool"


def test_sizes_claiming_gigabytes_are_never_allocated(tmp_path: Path) -> None:
    # Even with the limits raised out of the way, a 3 GiB claim in a tiny file is refused by layout,
    # in a child process whose peak RSS is its own.
    src = tmp_path / "claim.yoi-plugin"
    src.write_bytes(both("README.md", csize=3 * GiB, usize=3 * GiB))
    rule, rss_kib = refusal_and_peak_rss(src, unlimited_for=4 << 30)
    assert rule == "zip-overlap"
    assert rss_kib < 100 * 1024, f"peak RSS {rss_kib // 1024} MiB"


def test_cli_inspect_names_rule_and_entry(tmp_path: Path) -> None:
    src = tmp_path / "evil.yoi-plugin"
    src.write_bytes(with_files({"../../evil.sh": b"x"}))
    proc = subprocess.run(
        [sys.executable, "-m", "plugin_kit", "inspect", str(src)], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "path-dot-segment" in proc.stderr and "../../evil.sh" in proc.stderr


def test_archive_changed_while_extracting_is_refused(tmp_path: Path, monkeypatch) -> None:
    # The one pass re-reads every local header it checked in the central-directory scan.
    first = tmp_path / "a.yoi-plugin"
    first.write_bytes(changed("README.md"))
    # the same size: only the content differs
    err = swap_while_extracting(monkeypatch, first, changed("README.md", data=b"# Other!!\n"))
    assert err is not None and err.rule == "changed-during-read"


# The cases Yoi itself loads (docs/format.md 7.3, column "the host"): what we refuse beyond it.
HOST_ACCEPTS = {
    "comment", "trailing-data", "several-end-records", "zip64-end-record", "zip64-locator",
    "junk-before-end", "long-junk-before-end", "entries-here-differ", "directory-oversized", "leading-data", "gap-between",
    "gap-before-directory", "overlap", "local-order-differs", "names-out-of-order", "local-name",
    "local-size", "local-crc", "local-extra", "crc-mismatch", "data-descriptor", "strong-encryption",
    "other-flags", "zip64-extra", "zip64-extra-second", "extra-field", "entry-comment", "entry-disk", "directory-by-mode",
    "directory-by-dos-attribute", "fifo", "name-without-utf8-flag", "control-character",
    "reserved-name", "not-nfc", "case-collision", "file-and-directory", "path-too-long",
}  # fmt: skip
MANIFEST_CASES = {
    "manifest-invalid",
    "component-missing",
}  # the host's manifest rules, not its reader


@pytest.mark.parametrize(
    ("case_id", "archive", "limits"),
    [(c[0], c[1], c[4]) for c in CASES if c[0] not in MANIFEST_CASES],
    ids=[c[0] for c in CASES if c[0] not in MANIFEST_CASES],
)
def test_the_host_column_of_the_rules_table(
    case_id: str, archive: bytes, limits: Limits | None
) -> None:
    lim = limits or YOI.limits
    kw = dict(max_package=lim.max_archive_size, max_manifest=lim.max_manifest_size,
              max_entries=lim.max_entries, max_file=lim.max_file_size, max_total=lim.max_total_size)  # fmt: skip
    if case_id in HOST_ACCEPTS:
        assert "plugin.toml" in host_read(archive, **kw)
    else:
        with pytest.raises(HostRefusal):
            host_read(archive, **kw)
