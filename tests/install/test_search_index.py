"""The search index (one JSON row per line, written when a catalog verifies): search parses only
the lines whose bytes hold the query, and never misses a row whose text holds it."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin_kit.installer.catalogs import _index_lines, _rows

TEXT = st.lists(  # not st.text, which leaves surrogates out
    st.one_of(
        # a lone surrogate is valid JSON (a catalog's "\\ud800") and has no UTF-8; high ones
        # only, as json.loads makes a high one followed by a low one a single character
        st.sampled_from(list('aAé-. "\\\n\t\x00\x7f\u2028[]{},:\ud800\udbff')),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=8,
).map("".join)
ROWS = st.lists(st.fixed_dictionaries({"id": TEXT, "text": TEXT.map(str.lower)}), max_size=6)


@settings(max_examples=500, deadline=None)
@given(ROWS, TEXT.map(str.lower))
def test_every_row_holding_the_needle_is_returned(rows: list[dict], needle: str) -> None:
    got = _rows(_index_lines(rows), needle)
    assert all(row in rows for row in got)
    assert [r for r in rows if needle in r["text"]] == [r for r in got if needle in r["text"]]


@given(ROWS)
def test_without_a_needle_or_in_the_older_array_form_every_row_is_read(rows: list[dict]) -> None:
    assert _rows(_index_lines(rows), "") == rows
    assert _rows(json.dumps(rows).encode(), "anything") == rows


def test_a_needle_parses_only_the_lines_that_hold_it() -> None:
    rows = [{"id": "a", "text": "weather"}, {"id": "b", "text": "rain"}]
    broken = _index_lines(rows) + b"\n{not json"  # a line the needle skips is never parsed
    assert _rows(broken, "weather") == rows[:1]
