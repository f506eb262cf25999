"""Signatures: interop with `minisign -V -H` / `-S`, and every kind of tampering caught."""

from __future__ import annotations

from pathlib import Path

import pytest
from signing.minisign_cli import minisign, needs_minisign

from plugin_kit.errors import SigningError, VerificationError
from plugin_kit.signing.keys import generate_keypair, load_public_key_file, load_secret_key_file
from plugin_kit.signing.signatures import (
    parse_trusted_comment,
    sign_bytes,
    sign_file,
    trusted_comment_for,
    verify_bytes,
    verify_file,
    write_signature,
)


@pytest.fixture
def signer(our_plain):
    return load_secret_key_file(our_plain.secret_key, None), load_public_key_file(
        our_plain.public_key
    )


@pytest.fixture
def signed(tmp_path: Path, signer):
    key, _ = signer
    data = tmp_path / "demo-1.0.0.insomnia-plugin"
    data.write_bytes(bytes(range(256)) * 64)
    comment = trusted_comment_for(data.name, timestamp=1700000000, id="demo", version="1.0.0")
    sig = write_signature(data, key, trusted_comment=comment)
    return data, sig


def test_signature_names_file_id_and_version(signed, signer) -> None:
    data, sig = signed
    verified = verify_file(data, sig.read_text(), signer[1])
    assert verified.prehashed
    assert verified.fields == {
        "timestamp": "1700000000",
        "file": data.name,
        "id": "demo",
        "version": "1.0.0",
        "hashed": "",
    }


def test_same_key_and_comment_give_the_same_signature_bytes(signed, signer) -> None:
    data, sig = signed
    again = sign_file(
        data,
        signer[0],
        trusted_comment=trusted_comment_for(
            data.name, timestamp=1700000000, id="demo", version="1.0.0"
        ),
    )
    assert again == sig.read_text()


@needs_minisign
def test_cli_verifies_ours_with_prehash_required(signed, our_plain) -> None:
    data, _ = signed
    done = minisign("-V", "-H", "-p", str(our_plain.public_key), "-m", str(data))
    assert done.returncode == 0, done.stderr
    assert "file:demo-1.0.0.insomnia-plugin\tid:demo\tversion:1.0.0" in done.stdout


@needs_minisign
def test_ours_verifies_a_cli_signature_with_custom_comment(cli_plain, tmp_path: Path) -> None:
    key, pub = cli_plain
    data = tmp_path / "SHA256SUMS"
    data.write_text("x\n")
    done = minisign("-S", "-s", str(key), "-m", str(data), "-t", "demo 1.0.0 SHA256SUMS")
    assert done.returncode == 0, done.stderr
    verified = verify_file(
        data, (tmp_path / "SHA256SUMS.minisig").read_text(), load_public_key_file(pub)
    )
    assert verified.trusted_comment == "demo 1.0.0 SHA256SUMS"


@needs_minisign
def test_cli_legacy_signature_is_refused_unless_allowed(cli_plain, tmp_path: Path) -> None:
    key, pub = cli_plain
    data = tmp_path / "legacy.txt"
    data.write_text("old style\n")
    assert minisign("-S", "-l", "-s", str(key), "-m", str(data)).returncode == 0
    sig = (tmp_path / "legacy.txt.minisig").read_text()
    with pytest.raises(SigningError) as info:
        verify_file(data, sig, load_public_key_file(pub))
    assert info.value.rule == "signing.legacy-signature"
    assert verify_file(data, sig, load_public_key_file(pub), allow_legacy=True).prehashed is False


def _expect(rule: str, fn, *args) -> SigningError:
    with pytest.raises(SigningError) as info:
        fn(*args)
    assert info.value.rule == rule
    assert isinstance(info.value, VerificationError) and info.value.exit_code == 3
    return info.value


def test_flipped_byte_in_the_file_is_caught(signed, signer) -> None:
    data, sig = signed
    raw = bytearray(data.read_bytes())
    raw[1000] ^= 0x01
    data.write_bytes(bytes(raw))
    _expect("signing.bad-signature", verify_file, data, sig.read_text(), signer[1])


def test_other_key_is_caught(signed, tmp_path: Path) -> None:
    data, sig = signed
    other = generate_keypair(tmp_path / "other", None)
    err = _expect(
        "signing.wrong-key",
        verify_file,
        data,
        sig.read_text(),
        load_public_key_file(other.public_key),
    )
    assert other.key_id in err.message


def test_swapped_signature_from_another_file_is_caught(signed, signer, tmp_path: Path) -> None:
    data, _ = signed
    other = tmp_path / "other.bin"
    other.write_bytes(b"another release")
    other_sig = write_signature(other, signer[0])
    _expect("signing.bad-signature", verify_file, data, other_sig.read_text(), signer[1])


def test_edited_trusted_comment_is_caught(signed, signer) -> None:
    data, sig = signed
    edited = sig.read_text().replace("version:1.0.0", "version:9.9.9")
    assert edited != sig.read_text()
    _expect("signing.bad-signature", verify_file, data, edited, signer[1])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "a\nb\nc\nd\n",
        "untrusted comment: x\n!!!\ntrusted comment: y\n!!!\n",
        "untrusted comment: x\n" + "A" * 20000,
        "untrusted comment: é\nRU\ntrusted comment: \nAA\n",
    ],
)
def test_malformed_signature_text_is_refused(signed, signer, text: str) -> None:
    data, _ = signed
    _expect("signing.bad-signature-format", verify_file, data, text, signer[1])


def test_sign_and_verify_bytes_round_trip(signer) -> None:
    key, pub = signer
    sig = sign_bytes(b"catalog bytes", key, trusted_comment="catalog_id:acme\tserial:7")
    assert verify_bytes(b"catalog bytes", sig, pub).fields["serial"] == "7"
    _expect("signing.bad-signature", verify_bytes, b"catalog bytes!", sig, pub)


@pytest.mark.parametrize("bad", ["tab\there", "new\nline", "café", ""])
def test_trusted_comment_fields_are_checked(bad: str) -> None:
    with pytest.raises(SigningError) as info:
        trusted_comment_for("f", id=bad)
    assert info.value.rule == "signing.bad-comment"


def test_parse_trusted_comment_keeps_the_first_value() -> None:
    assert parse_trusted_comment("file:a\tfile:b\thashed") == {"file": "a", "hashed": ""}
