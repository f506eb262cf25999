"""A second key made to carry another key's id: a minisign key id is 8 bytes its maker chooses."""

from __future__ import annotations

import base64

import minisign

from plugin_kit.signing.keys import SecretKey, load_secret_key


def forge_key_id(victim_public: str) -> SecretKey:
    """A new Ed25519 key wearing the key id of `victim_public` (an RW... line): generate a
    pair and rewrite its id bytes (signing/keys.py `_key_id` reads them)."""
    victim_id = base64.b64decode(victim_public)[2:10]
    pair = minisign.KeyPair.generate()
    with pair.secret_key as secret:
        secret._keynum_sk.key_id[:] = victim_id
        secret._update_checksum()
        text = (bytes(secret) + b"\n").decode("ascii")
    forged = load_secret_key(text, None)
    assert forged.public_key.base64 != victim_public
    assert base64.b64decode(forged.public_key.base64)[:10] == base64.b64decode(victim_public)[:10]
    return forged
