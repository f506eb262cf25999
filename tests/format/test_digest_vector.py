"""The content digest's published test vector (docs/format.md, section 3), built from its definition."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from helpers.archives import compress, tar, valid_members

from plugin_kit.content.digest import FileRecord, content_digest, extracted_digest
from plugin_kit.errors import ArchiveError
from plugin_kit.installer.cache import ensure_cached
from plugin_kit.packer.reader import read_archive

EMPTY = hashlib.sha256(b"").digest()
VECTOR = "sha256:75c9116592132b603d76860f156963b2037728495742a7e625e8b6b3e1580cc9"


def test_vector_matches_definition_and_implementation() -> None:
    by_hand = hashlib.sha256(b"insomnia-plugin-digest-v1\0")
    by_hand.update(b"b/c\x00755\x00" + struct.pack(">Q", 2) + hashlib.sha256(b"bc").digest())
    by_hand.update(b"plugin.toml\x00644\x00" + struct.pack(">Q", 1) + hashlib.sha256(b"a").digest())
    records = [
        FileRecord("plugin.toml", 0o644, 1, hashlib.sha256(b"a").digest()),
        FileRecord("b/c", 0o755, 2, hashlib.sha256(b"bc").digest()),
    ]
    assert "sha256:" + by_hand.hexdigest() == content_digest(records) == VECTOR


def test_order_is_the_bytes_of_the_whole_path_not_its_components() -> None:
    # '-' (0x2d) < '.' (0x2e) < '/' (0x2f): a walk of the tree would give a/b.txt first.
    names = ["a/b.txt", "a.b.txt", "a-b.txt"]
    by_hand = hashlib.sha256(b"insomnia-plugin-digest-v1\0")
    for name in ["a-b.txt", "a.b.txt", "a/b.txt"]:
        by_hand.update(name.encode() + b"\x00644\x00" + struct.pack(">Q", 0) + EMPTY)
    records = [FileRecord(n, 0o644, 0, EMPTY) for n in names]
    assert content_digest(records) == "sha256:" + by_hand.hexdigest()


def test_an_archive_that_holds_never_packed_names_installs(tmp_path: Path, monkeypatch) -> None:
    # Another writer may pack dist/ or backup~ files and skip [package]; the tree an install extracts
    # is re-hashed as it is on disk, not as `plugin pack` would select it, so the digests agree.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    files = {"a-b.txt": b"1", "a.b.txt": b"2", "a/b.txt": b"3", "dist/app.js": b"4", "x~": b"5"}
    src = tmp_path / "other-writer.insomnia-plugin"
    src.write_bytes(compress(tar(*valid_members(files))))
    info = read_archive(src)
    tree = ensure_cached(src, info.digest)
    assert extracted_digest(tree) == info.digest
    assert {f.path for f in info.files} >= set(files)


def test_a_link_in_an_extracted_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text("x")
    (tmp_path / "link").symlink_to("/etc/passwd")
    with pytest.raises(ArchiveError) as info:
        extracted_digest(tmp_path)
    assert info.value.rule == "tree-special-file" and info.value.place.endswith("link")
