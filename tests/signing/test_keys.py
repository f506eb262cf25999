"""Keys: generation, loading, and interop with the real minisign CLI in both directions."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from signing.minisign_cli import FAST, PASSWORD, minisign, needs_minisign

from plugin_kit.errors import SigningError
from plugin_kit.signing.keys import (
    generate_keypair,
    load_public_key,
    load_public_key_file,
    load_secret_key,
    load_secret_key_file,
)
from plugin_kit.signing.signatures import verify_file, write_signature


def test_keygen_writes_private_secret_and_public_pair(our_encrypted) -> None:
    assert stat.S_IMODE(our_encrypted.secret_key.stat().st_mode) == 0o600
    assert our_encrypted.public_key.read_text().splitlines()[1] == our_encrypted.public_key_base64
    assert our_encrypted.public_key_base64.startswith("RW")
    assert len(our_encrypted.key_id) == 16 and our_encrypted.key_id == our_encrypted.key_id.upper()
    assert our_encrypted.encrypted is True
    assert PASSWORD not in our_encrypted.secret_key.read_text()


def test_keygen_never_overwrites_either_file(tmp_path: Path) -> None:
    (tmp_path / "k.pub").write_text("keep me")
    with pytest.raises(SigningError) as info:
        generate_keypair(tmp_path / "k", None)
    assert info.value.rule == "signing.key-exists"
    assert not (tmp_path / "k.key").exists()
    assert (tmp_path / "k.pub").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.pub"]


def test_encrypted_key_needs_the_right_password(our_encrypted) -> None:
    with pytest.raises(SigningError) as info:
        load_secret_key_file(our_encrypted.secret_key, None)
    assert info.value.rule == "signing.key-password-required"
    with pytest.raises(SigningError) as info:
        load_secret_key_file(our_encrypted.secret_key, "wrong")
    assert info.value.rule == "signing.key-wrong-password"
    key = load_secret_key_file(our_encrypted.secret_key, PASSWORD)
    assert key.key_id == our_encrypted.key_id


def test_secret_key_repr_and_errors_never_show_key_material(our_plain) -> None:
    text = our_plain.secret_key.read_text()
    secret_line = text.splitlines()[1]
    key = load_secret_key(text, None)
    assert secret_line not in repr(key) and secret_line not in str(key)
    # A secret key pasted where a public key belongs: refused, and not echoed back.
    with pytest.raises(SigningError) as info:
        load_public_key(text)
    assert info.value.rule == "signing.bad-public-key"
    assert secret_line not in str(info.value) and secret_line not in str(info.value.to_dict())
    with pytest.raises(SigningError) as info:
        load_public_key(secret_line)
    assert secret_line not in str(info.value.to_dict())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "RW",
        "untrusted comment: x\nnot base64!!\n",
        "a\nb\nc\n",
        "RW" + "A" * 5000,
        "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3===",
    ],
)
def test_hostile_public_key_text_is_refused(text: str) -> None:
    with pytest.raises(SigningError) as info:
        load_public_key(text)
    assert info.value.rule in {"signing.bad-public-key", "signing.bad-key"}


def test_public_key_loads_from_line_or_file_text(our_plain) -> None:
    from_file = load_public_key_file(our_plain.public_key)
    from_line = load_public_key(our_plain.public_key_base64)
    assert from_file == from_line
    assert from_file.key_id == our_plain.key_id


@needs_minisign
def test_cli_shows_the_same_key_id_and_recreates_our_public_key(our_plain, tmp_path: Path) -> None:
    recreated = tmp_path / "recreated.pub"
    done = minisign("-R", "-s", str(our_plain.secret_key), "-p", str(recreated))
    assert done.returncode == 0, done.stderr
    assert recreated.read_text() == our_plain.public_key.read_text()
    shown = recreated.read_text().splitlines()[0].rsplit(" ", 1)[1]
    assert int(shown, 16) == int(our_plain.key_id, 16)


@needs_minisign
def test_our_encrypted_key_signs_in_the_cli_and_verifies_in_both(
    our_encrypted, tmp_path: Path
) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"payload" * 1000)
    done = minisign(
        "-S", "-s", str(our_encrypted.secret_key), "-m", str(data), stdin=PASSWORD + "\n"
    )
    assert done.returncode == 0, done.stderr
    sig = (tmp_path / "data.bin.minisig").read_text()
    verified = verify_file(data, sig, load_public_key_file(our_encrypted.public_key))
    assert verified.prehashed and verified.key_id == our_encrypted.key_id
    assert (
        minisign("-V", "-H", "-p", str(our_encrypted.public_key), "-m", str(data)).returncode == 0
    )


@needs_minisign
def test_our_encrypted_key_refuses_a_wrong_password_in_the_cli(
    our_encrypted, tmp_path: Path
) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"x")
    done = minisign("-S", "-s", str(our_encrypted.secret_key), "-m", str(data), stdin="nope\n")
    assert done.returncode != 0
    assert not (tmp_path / "data.bin.minisig").exists()


@needs_minisign
def test_cli_passwordless_key_signs_here_and_verifies_there(cli_plain, tmp_path: Path) -> None:
    key_path, pub_path = cli_plain
    key = load_secret_key_file(key_path, None)
    assert key.public_key == load_public_key_file(pub_path)
    assert int(pub_path.read_text().split()[5], 16) == int(key.key_id, 16)
    data = tmp_path / "a.txt"
    data.write_text("hello\n")
    write_signature(data, key)
    done = minisign("-V", "-H", "-p", str(pub_path), "-m", str(data))
    assert done.returncode == 0, done.stderr
    assert "file:a.txt" in done.stdout


@needs_minisign
def test_cli_encrypted_key_loads_here_with_its_password(cli_encrypted, tmp_path: Path) -> None:
    key_path, pub_path = cli_encrypted
    with pytest.raises(SigningError) as info:
        load_secret_key_file(key_path, None)
    assert info.value.rule == "signing.key-password-required"
    key = load_secret_key_file(key_path, PASSWORD)
    data = tmp_path / "b.txt"
    data.write_text("signed by a CLI key\n")
    write_signature(data, key)
    done = minisign("-V", "-H", "-p", str(pub_path), "-m", str(data))
    assert done.returncode == 0, done.stderr


def test_generate_rejects_empty_password(tmp_path: Path) -> None:
    with pytest.raises(SigningError) as info:
        generate_keypair(tmp_path / "k", "", **FAST)
    assert info.value.rule == "signing.key-empty-password"
    assert list(tmp_path.iterdir()) == []


@needs_minisign
def test_public_key_file_matches_the_cli_when_the_key_id_starts_with_zero(tmp_path: Path) -> None:
    # The CLI prints the id without zero padding; find such a key (1 in 16) and compare bytes.
    pair = next(
        p
        for p in (generate_keypair(tmp_path / f"k{i}", None) for i in range(400))
        if p.key_id.startswith("0")
    )
    recreated = tmp_path / "recreated.pub"
    assert minisign("-R", "-s", str(pair.secret_key), "-p", str(recreated)).returncode == 0
    assert recreated.read_bytes() == pair.public_key.read_bytes()
    assert len(pair.key_id) == 16


def test_a_key_is_equal_only_to_the_whole_key_never_to_its_id(tmp_path: Path) -> None:
    from helpers.keys import forge_key_id

    from plugin_kit.signing.signatures import sign_bytes, verify_bytes

    real = load_public_key(generate_keypair(tmp_path / "real", None).public_key_base64)
    forged = forge_key_id(real.base64)
    assert forged.key_id == real.key_id and forged.public_key != real
    assert load_public_key(real.base64) == real
    with pytest.raises(SigningError) as err:  # its signature never verifies with the real key
        verify_bytes(b"data", sign_bytes(b"data", forged), real)
    assert err.value.rule == "signing.bad-signature"
