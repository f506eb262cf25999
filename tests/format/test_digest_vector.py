"""The content digest's published test vector (docs/format.md, section 3), built from its definition."""

from __future__ import annotations

import hashlib
import struct

from plugin_kit.content.digest import FileRecord, content_digest

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
