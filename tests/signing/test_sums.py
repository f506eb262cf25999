"""SHA256SUMS: what we write `sha256sum -c` accepts, what sha256sum writes we read, hostile lines refused."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin_kit.errors import SigningError
from plugin_kit.signing.sums import format_sums, parse_sums

HEX = "ab" * 32


def test_written_sums_pass_sha256sum_check(tmp_path: Path) -> None:
    files = {"b-1.0.0.insomnia-plugin": b"archive", "a.minisig": b"sig", "Z upper": b"z"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    sums = format_sums({n: hashlib.sha256(d).hexdigest() for n, d in files.items()})
    (tmp_path / "SHA256SUMS").write_bytes(sums)
    assert sums.decode().splitlines()[0].endswith("  Z upper")  # byte order: upper case first
    done = subprocess.run(
        ["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0, done.stdout
    (tmp_path / "a.minisig").write_bytes(b"tampered")
    done = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 1 and "a.minisig: FAILED" in done.stdout


def test_reads_what_sha256sum_writes(tmp_path: Path) -> None:
    for name in ("one", "two.bin"):
        (tmp_path / name).write_text(name)
    out = subprocess.run(
        ["sha256sum", "one", "two.bin"], cwd=tmp_path, capture_output=True, check=True
    ).stdout
    assert parse_sums(out) == {
        n: hashlib.sha256(n.encode()).hexdigest() for n in ("one", "two.bin")
    }
    binary = subprocess.run(
        ["sha256sum", "-b", "one"], cwd=tmp_path, capture_output=True, check=True
    ).stdout
    assert parse_sums(binary) == {"one": hashlib.sha256(b"one").hexdigest()}


def test_output_is_sorted_lf_and_deterministic() -> None:
    a = format_sums({"b": HEX, "a": HEX.upper()})
    assert a == f"{HEX}  a\n{HEX}  b\n".encode()
    assert format_sums({"a": HEX, "b": HEX}) == a


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (f"{HEX}  a\r\n".encode(), "sums.bad-name"),
        (f"{HEX}  a\n{HEX}  a\n".encode(), "sums.duplicate"),
        (f"{HEX}  ../etc/passwd\n".encode(), "sums.bad-name"),
        (f"{HEX}  dir\\name\n".encode(), "sums.bad-name"),
        (f"{HEX}  *star\n".encode(), "sums.bad-name"),
        (f"{HEX}   lead\n".encode(), "sums.bad-name"),
        (f"{HEX[:-1]}  short\n".encode(), "sums.bad-line"),
        (f"{HEX}\tname\n".encode(), "sums.bad-line"),
        (f"\\{HEX}  escaped\n".encode(), "sums.bad-line"),
        (b"\n", "sums.bad-line"),
        (b"\xff\xfe", "sums.encoding"),
        (f"{HEX}  x\n".encode() * 20000, "sums.too-large"),
    ],
)
def test_hostile_sums_are_refused(data: bytes, rule: str) -> None:
    with pytest.raises(SigningError) as info:
        parse_sums(data)
    assert info.value.rule == rule


@pytest.mark.parametrize("name", ["a/b", "new\nline", "", "*x", " x", "x\\y"])
def test_unsafe_names_are_never_written(name: str) -> None:
    with pytest.raises(SigningError) as info:
        format_sums({name: HEX})
    assert info.value.rule == "sums.bad-name"


def test_non_hex_digest_is_never_written() -> None:
    with pytest.raises(SigningError) as info:
        format_sums({"a": "z" * 64})
    assert info.value.rule == "sums.bad-digest"


_names = st.text(
    st.characters(
        min_codepoint=0x21,
        max_codepoint=0x2FFF,
        exclude_categories=("Z", "C"),
        exclude_characters="/\\*",
    ),
    min_size=1,
    max_size=30,
).filter(lambda n: n not in (".", ".."))


@given(st.dictionaries(_names, st.binary(min_size=32, max_size=32).map(bytes.hex), max_size=8))
def test_format_then_parse_round_trips(mapping: dict[str, str]) -> None:
    assert parse_sums(format_sums(mapping)) == mapping
