"""check_version and check_range (validate, pack and inspect use them so that they need not
import semver) refuse exactly what semver.Version.parse, and so parse_version and
parse_range, refuse."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin_kit.validators.versions import (
    VersionRangeError,
    check_range,
    check_version,
    parse_range,
    parse_version,
)

# Digits (ASCII and not), letters of both cases and beyond ASCII, SemVer's separators, and the
# characters a loose parser might let through.
ALPHABET = st.sampled_from("012345678901aZz-.+-./ \n\té٣１ß_v")
PIECE = st.one_of(
    st.sampled_from(["0", "1", "01", "10", "999999999999999999999", "-", "a", "rc", "٣", "x-1"]),
    st.text(ALPHABET, max_size=4),
)
NEAR = st.builds(
    lambda parts, pre, build, tail: ".".join(parts) + pre + build + tail,
    st.lists(PIECE, min_size=1, max_size=4),
    st.one_of(st.just(""), st.builds(lambda xs: "-" + ".".join(xs), st.lists(PIECE, max_size=3))),
    st.one_of(st.just(""), st.builds(lambda xs: "+" + ".".join(xs), st.lists(PIECE, max_size=3))),
    st.sampled_from(["", "\n", " ", "."]),
)


def _verdict(check, parse, text: str) -> tuple[bool, bool]:  # type: ignore[no-untyped-def]
    results = []
    for f in (check, parse):
        try:
            f(text)
        except VersionRangeError:
            results.append(False)
        else:
            results.append(True)
    return results[0], results[1]


@settings(max_examples=1500, deadline=None)
@given(st.one_of(NEAR, st.text(ALPHABET, max_size=20)))
def test_check_version_refuses_what_semver_refuses(text: str) -> None:
    mine, theirs = _verdict(check_version, parse_version, text)
    assert mine == theirs, text


@settings(max_examples=800, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([">=", "<", "==", "!=", "=", "~", ""]), NEAR, st.sampled_from(["", " "])
        ),
        min_size=1,
        max_size=3,
    ).map(lambda cs: ",".join(op + sp + v for op, v, sp in cs))
)
def test_check_range_refuses_what_parse_range_refuses(text: str) -> None:
    mine, theirs = _verdict(check_range, parse_range, text)
    assert mine == theirs, text


@pytest.mark.parametrize(
    ("text", "ok"),
    [("1.2.3", True), ("1.2.3-rc.1+b.5", True), ("01.2.3", False), ("1.2", False),
     ("1.2.3\n", False), ("1.2.٣", False), ("1.2.3-01", False), ("1.2.3-0a", True)],
)  # fmt: skip
def test_known_versions(text: str, ok: bool) -> None:
    assert _verdict(check_version, parse_version, text) == (ok, ok)
