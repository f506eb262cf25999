"""content.ignore (the matcher validate and pack use without importing pathspec for simple
lines) gives pathspec's GitIgnoreSpec verdict for every line list and path."""

from __future__ import annotations

import pathspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin_kit.content.collect import NEVER_PACKED
from plugin_kit.content.ignore import _Simple, ignore_spec

NAME = st.text(st.sampled_from("aB-._é~#Σ*"), min_size=1, max_size=4)
LINE = st.one_of(
    st.builds(
        lambda lead, segs, trail: lead + "/".join(segs) + trail,
        st.sampled_from(["", "/", "#", "\\#", "!", "**/"]),
        st.lists(NAME, min_size=1, max_size=3),
        st.sampled_from(["", "/", "/*", "/**", " ", "?"]),
    ),
    st.text(st.sampled_from("a.-/*#!?[] \\é"), max_size=6),
)
# As walk_tree and the readers give them: no empty, `.` or `..` names.
PATH = st.builds(
    lambda segs, folder: "/".join(segs) + ("/" if folder else ""),
    st.lists(
        st.text(st.sampled_from("aB-._é~#Σ"), min_size=1, max_size=4).filter(
            lambda name: name not in (".", "..")
        ),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)


def _verdicts(make, lines: list[str], paths: list[str]) -> list[bool] | str:  # type: ignore[no-untyped-def]
    try:
        spec = make(lines)
    except ValueError as exc:  # a line pathspec cannot read: refused the same way
        return type(exc).__name__
    return [spec.match_file(path) for path in paths]


@settings(max_examples=1500, deadline=None)
@given(st.lists(LINE, max_size=4), st.lists(PATH, min_size=1, max_size=6))
def test_the_same_verdict_as_pathspec(lines: list[str], paths: list[str]) -> None:
    theirs = _verdicts(pathspec.GitIgnoreSpec.from_lines, lines, paths)
    assert _verdicts(ignore_spec, lines, paths) == theirs, (lines, paths)


def test_the_never_packed_list_and_plain_patterns_need_no_pathspec() -> None:
    for lines in (NEVER_PACKED, ["hooks.toml", "docs/", "/build/*.js", "*.md"], []):
        assert isinstance(ignore_spec(lines), _Simple), lines


@pytest.mark.parametrize("line", ["src/**", "!keep.txt", "a?c", "[ab].txt", "docs/*", "a\\*"])
def test_other_lines_are_read_by_pathspec(line: str) -> None:
    assert isinstance(ignore_spec(["dist/", line]), pathspec.GitIgnoreSpec)
