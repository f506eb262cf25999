"""The fs host API's path rule, as a property: whatever path a component asks for, the dev host
either refuses it or answers from inside the granted root."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin_kit.dev.component_host import _relative, _resolve
from plugin_kit.errors import DevError

SEGMENT = st.text(alphabet="-._/aZé漢", min_size=0, max_size=12)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("fs")
    root = base / "root"
    (root / "a.b" / "Z-é").mkdir(parents=True)
    (root / "a.b" / "Z-é" / "漢.txt").write_text("x")
    (root / "up").symlink_to(base)
    (root / "a").symlink_to(base)  # reachable from the alphabet below
    (base / "outside.txt").write_text("secret")
    return base, root


@settings(max_examples=300, deadline=None)
@given(path=SEGMENT)
def test_a_path_is_refused_or_stays_inside_the_root(tree, path):
    _, root = tree
    for leaf in (True, False):
        try:
            target = _resolve(root, _relative(path, "fs"), "fs", leaf=leaf)
        except DevError as err:
            assert err.rule in ("yoi-grant-denied", "yoi-host-call-failed")
            continue
        assert target.resolve() == root.resolve() or root.resolve() in target.resolve().parents


@pytest.mark.parametrize(
    ("path", "leaf"),
    [("../outside.txt", True), ("/etc/passwd", True), ("up/outside.txt", True),
     ("a.b/../../outside.txt", True), ("up", False), ("up/new.txt", False), ("a.b", False)],
)  # fmt: skip
def test_escapes_are_denied_by_rule(tree, path, leaf):
    _, root = tree
    with pytest.raises(DevError) as err:
        _resolve(root, _relative(path, "fs"), "fs", leaf=leaf)
    assert err.value.rule == "yoi-grant-denied"
