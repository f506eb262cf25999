"""Every TOML file we write (plugins.lock, plugins.toml, catalogs.toml) reads back equal with
tomllib, whatever the keys and values hold: newlines, quotes, control characters, non-ASCII."""

from __future__ import annotations

import tomllib
from datetime import UTC, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plugin_kit.installer.catalogs import CatalogSource, _save_registry, registry
from plugin_kit.installer.enablement import Enablement, load_enablements, update_enablements
from plugin_kit.installer.lockfile import LockEntry, read_lock, render_lock
from plugin_kit.installer.stores import Store

# Surrogates cannot be encoded as UTF-8 at all, so no file can hold them.
_TEXT = st.text(
    st.one_of(
        st.sampled_from(list("-./\\\"'\n\r\t\x00\x1b\x7f\x85\u2028\u202eAaZz09 =[]#")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=12,
)
_TABLES = st.dictionaries(_TEXT, st.one_of(_TEXT, st.lists(_TEXT, max_size=3)), max_size=4)
_FUNCTION_HOME = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

HOSTILE_KEY = "0\n"  # the old hand-written writer left this key bare: invalid TOML


SHA = "ab" * 32  # archive_sha256 names a cache file: the lock accepts 64 hex digits only


def _lock_entry(text: str, table: dict) -> LockEntry:
    return LockEntry(
        id=text,
        version=text,
        runtime=text,
        api=text,
        archive_sha256=SHA,
        content_digest=text,
        size=7,
        installed_at=text,
        source={HOSTILE_KEY: text, **table},
        signature=dict(table),
        requested_capabilities={"secrets": [text], "nested": dict(table)},
        previous={"version": text, "content_digest": text, "archive_sha256": SHA},
    )


@_FUNCTION_HOME
@given(text=_TEXT, table=_TABLES)
@example(text="\x1b", table={"\x1b": "\x1b"})  # tomlkit 0.15.1 wrote ESC as "\e" (TOML 1.1 only)
def test_plugins_lock_round_trips(tmp_path: Path, text: str, table: dict) -> None:
    store = Store("user", tmp_path / "store")
    store.root.mkdir(exist_ok=True)
    entry = _lock_entry(text, table)
    store.lock_path.write_bytes(render_lock({entry.id: entry}))
    assert read_lock(store) == {entry.id: entry}


@_FUNCTION_HOME
@given(text=_TEXT, table=_TABLES)
def test_plugins_toml_round_trips(text: str, table: dict) -> None:
    record = Enablement(
        id=text,
        digest=text,
        version=text,
        workspace=text,
        surfaces=[text],
        granted_at=text,
        grants={HOSTILE_KEY: [text], **table},
    )
    update_enablements(lambda records: records.__setitem__(slice(None), [record]))
    assert load_enablements() == [record]


@_FUNCTION_HOME
@given(text=_TEXT)
def test_catalogs_toml_round_trips(text: str) -> None:
    source = CatalogSource(
        name=text,
        url=text,
        catalog_id=text,
        pubkey=text,
        key_id=text,
        pin_source=text,
        pinned_at=text,
        last_serial=3,
        last_sha256=text,
        last_fetched=text,
        expires_at=text,
    )
    _save_registry({text: source})
    assert registry() == {text: source}


def test_the_key_zero_newline_is_quoted(tmp_path: Path) -> None:
    store = Store("user", tmp_path / "store")
    store.root.mkdir()
    entry = _lock_entry("weather-tools", {})
    store.lock_path.write_bytes(render_lock({entry.id: entry}))
    doc = tomllib.loads(store.lock_path.read_text("utf-8"))
    assert doc["plugin"][0]["source"] == {HOSTILE_KEY: "weather-tools"}


_KEYS = st.one_of(st.sampled_from(["a", "x-y", HOSTILE_KEY, 'q"', "é", " ", "", "plugin"]), _TEXT)
_SCALARS = st.one_of(
    _TEXT,
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.dates(),
    # What tomllib reads: naive, or a whole-minute offset.
    st.datetimes(
        timezones=st.one_of(
            st.none(), st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))])
        )
    ),
)
_DOCS = st.dictionaries(
    _KEYS,
    st.recursive(
        _SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)
        ),
        max_leaves=10,
    ),
    max_size=5,
)


@settings(max_examples=400, deadline=None)
@given(_DOCS)
def test_any_document_of_our_shapes_reads_back_equal(doc: dict) -> None:
    from plugin_kit.installer._toml import dumps

    assert tomllib.loads(dumps(doc, header="a header\nof two lines")) == doc
