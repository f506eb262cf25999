"""Property tests: a Yoi id maps to one store file that Yoi discovers and that maps back to it;
anything else is refused by the manifest rule before it can name a path, and a journal can
name only the store's own package and lock files."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from plugin_kit.hosts import HOSTS, YOI
from plugin_kit.installer.stores import _valid_op, user_store, workspace_store
from plugin_kit.validators.yoi_manifest import is_safe_id

TEXT = st.text(
    alphabet=st.sampled_from(list("-./aZ09_éÅ\u00a0ß") + ["\u202e"]), min_size=0, max_size=20
)


def _yoi_extension(name: str) -> str | None:
    """Rust's `Path::extension` for a file name, as plugin.rs `discover_store` applies it."""
    stem = name[1:] if name.startswith(".") else name
    return name.rsplit(".", 1)[1] if "." in stem else None


@given(TEXT)
def test_a_safe_id_is_one_discoverable_store_file_that_maps_back(raw: str) -> None:
    if not is_safe_id(raw):
        return  # the manifest rule refuses it (validators/yoi_manifest.py): no path is made
    for store in (user_store(YOI), workspace_store(Path("/ws"), YOI)):
        path = store.archive_path(raw)
        assert path.parent == store.root and "/" not in path.name
        assert _yoi_extension(path.name) == "yoi-plugin"
        assert store.plugin_id(path) == raw and store.ref(raw) == f"{store.kind}:{raw}"


@given(TEXT)
def test_unsafe_ids_are_refused_by_the_manifest_rule(raw: str) -> None:
    if "/" in raw or raw in ("", ".", "..") or raw.startswith(".") or not raw.isascii():
        assert not is_safe_id(raw)


@given(TEXT, st.sampled_from(sorted(HOSTS)))
def test_a_journal_names_only_this_store_own_files(name: str, host_name: str) -> None:
    suffix = HOSTS[host_name].suffix
    op = {"op": "delete", "final": name}
    if _valid_op(op, suffix):
        assert name == "plugins.lock" or name.endswith(suffix)
        assert "/" not in name and name not in (".", "..")
    other = next(h.suffix for h in HOSTS.values() if h.suffix != suffix)
    assert not _valid_op({"op": "delete", "final": f"x{other}"}, suffix)


def test_our_files_in_a_yoi_store_are_not_packages_to_yoi() -> None:
    for name in ("plugins.lock", ".store.lock", ".txn.json", ".example.echo.yoi-plugin.tmp-ab_c9",
                 ".txn.json.x1.tmp"):  # fmt: skip
        assert _yoi_extension(name) != "yoi-plugin"
