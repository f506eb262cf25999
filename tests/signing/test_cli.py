"""`plugin keygen`, `plugin sign`, `plugin verify` driven in-process, secrets planted and watched."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from signing.minisign_cli import PASSWORD, minisign, needs_minisign

from plugin_kit.errors import EXIT_NEEDS_USER, EXIT_USAGE, EXIT_VERIFY


def test_keygen_sign_verify_round_trip(plugin, tmp_path: Path) -> None:
    code, out, _ = plugin("keygen", "-o", "ci", "--no-password", "--json")
    assert code == 0
    made = json.loads(out)
    assert stat.S_IMODE(Path(made["secret_key"]).stat().st_mode) == 0o600
    (tmp_path / "notes.txt").write_text("release notes\n")
    code, out, _ = plugin("sign", "notes.txt", "--key", "ci.key", "--json")
    assert code == 0 and json.loads(out)["signed"][0]["key_id"] == made["key_id"]
    code, out, _ = plugin("verify", "notes.txt", "--pubkey", made["public_key_base64"], "--json")
    assert code == 0 and "file:notes.txt" in json.loads(out)["trusted_comment"]
    # Tampered file: exit code 3 and a rule a script can match.
    (tmp_path / "notes.txt").write_text("release notes, edited\n")
    code, out, _ = plugin("verify", "notes.txt", "--pubkey-file", "ci.pub", "--json")
    assert code == EXIT_VERIFY
    assert json.loads(out)["error"]["rule"] == "signing.bad-signature"


def test_keygen_never_overwrites(plugin, tmp_path: Path) -> None:
    assert plugin("keygen", "-o", "k", "--no-password")[0] == 0
    before = (tmp_path / "k.key").read_bytes()
    code, _, err = plugin("keygen", "-o", "k", "--no-password")
    assert code == 1 and "signing.key-exists" in err
    assert (tmp_path / "k.key").read_bytes() == before


def test_keygen_without_tty_or_password_source_needs_the_user(plugin, tmp_path: Path) -> None:
    code, _, err = plugin("keygen", "-o", "k")
    assert code == EXIT_NEEDS_USER and "--password-env" in err
    assert not list(tmp_path.iterdir())


def test_verify_without_a_key_says_how(plugin, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    code, _, err = plugin("verify", "f")
    assert code == EXIT_USAGE and "--pubkey" in err


def test_missing_signature_is_a_verification_failure(plugin, tmp_path: Path) -> None:
    plugin("keygen", "-o", "k", "--no-password")
    (tmp_path / "f").write_text("x")
    code, _, err = plugin("verify", "f", "--pubkey-file", "k.pub")
    assert code == EXIT_VERIFY and "signing.signature-missing" in err


def test_sha256sums_verification_hashes_the_listed_files(plugin, tmp_path: Path) -> None:
    import hashlib

    from plugin_kit.signing.sums import format_sums

    plugin("keygen", "-o", "k", "--no-password")
    (tmp_path / "a.bin").write_bytes(b"archive")
    (tmp_path / "SHA256SUMS").write_bytes(
        format_sums({"a.bin": hashlib.sha256(b"archive").hexdigest()})
    )
    assert plugin("sign", "SHA256SUMS", "--key", "k.key")[0] == 0
    code, out, _ = plugin("verify", "SHA256SUMS", "--pubkey-file", "k.pub", "--json")
    assert code == 0 and json.loads(out)["sums"] == [{"name": "a.bin", "status": "ok"}]
    (tmp_path / "a.bin").write_bytes(b"archivf")
    code, out, _ = plugin("verify", "SHA256SUMS", "--pubkey-file", "k.pub", "--json")
    assert code == EXIT_VERIFY and json.loads(out)["error"]["rule"] == "sums.mismatch"
    (tmp_path / "a.bin").unlink()
    assert plugin("verify", "SHA256SUMS", "--pubkey-file", "k.pub")[0] == EXIT_VERIFY
    code, _, err = plugin("verify", "SHA256SUMS", "--pubkey-file", "k.pub", "--ignore-missing")
    assert code == EXIT_VERIFY and "sums.nothing-checked" in err


@needs_minisign
def test_planted_password_and_secret_key_are_never_printed(
    plugin, monkeypatch, tmp_path: Path
) -> None:
    """keygen with a password, sign from the environment (right and wrong password), verify,
    errors included: neither the password nor the secret key line appears in any output."""
    monkeypatch.setenv("PLANTED_PW", PASSWORD)
    captured = []
    code, out, err = plugin("keygen", "-o", "rel", "--password-env", "PLANTED_PW", "--json")
    captured += [out, err]
    assert code == 0
    key_text = (tmp_path / "rel.key").read_text()
    secret_line = key_text.splitlines()[1]
    (tmp_path / "f.txt").write_text("data\n")
    monkeypatch.setenv("MINISIGN_SECRET_KEY", key_text)
    monkeypatch.setenv("MINISIGN_PASSWORD", "not-" + PASSWORD)
    code, out, err = plugin("sign", "f.txt")
    captured += [out, err]
    assert code == 1 and "signing.key-wrong-password" in err
    monkeypatch.setenv("MINISIGN_PASSWORD", PASSWORD)
    code, out, err = plugin("sign", "f.txt", "--json")
    captured += [out, err]
    assert code == 0
    code, out, err = plugin(
        "verify", "f.txt", "--pubkey", key_text, "--json"
    )  # a secret key as pubkey
    captured += [out, err]
    assert code == 1 and "signing.bad-public-key" in out
    code, out, err = plugin("verify", "f.txt", "--pubkey-file", "rel.pub")
    captured += [out, err]
    assert code == 0
    everything = "\n".join(captured)
    assert PASSWORD not in everything and secret_line not in everything
    # The key the CLI made is an ordinary minisign key: the real CLI signs with it too.
    done = minisign(
        "-S",
        "-s",
        "rel.key",
        "-m",
        "f.txt",
        "-x",
        "cli.minisig",
        stdin=PASSWORD + "\n",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert plugin("verify", "f.txt", "--pubkey-file", "rel.pub", "--sig", "cli.minisig")[0] == 0


def test_signing_an_archive_names_id_and_version_and_refuses_a_hostile_one(
    plugin, tmp_path: Path
) -> None:
    from catalog.releases import write_project

    write_project(tmp_path / "proj", "alpha-one", "1.2.3")
    plugin("keygen", "-o", "k", "--no-password")
    assert plugin("pack", "proj", "-o", "dist", "--no-build")[0] == 0
    archive = "dist/alpha-one-1.2.3.insomnia-plugin"
    code, out, _ = plugin("sign", archive, "--key", "k.key", "--json")
    assert code == 0
    comment = json.loads(out)["signed"][0]["trusted_comment"]
    assert "\tfile:alpha-one-1.2.3.insomnia-plugin\tid:alpha-one\tversion:1.2.3\t" in comment
    done = minisign("-V", "-H", "-p", "k.pub", "-m", archive, cwd=tmp_path)
    assert done.returncode == 0 and "id:alpha-one" in done.stdout
    hostile = tmp_path / "dist" / "evil-1.0.0.insomnia-plugin"
    hostile.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 64)  # a zstd magic and then garbage
    code, _, err = plugin("sign", str(hostile), "--key", "k.key")
    assert code != 0 and not hostile.with_name(hostile.name + ".minisig").exists()


def test_a_valid_signature_moved_onto_another_file_name_is_caught(plugin, tmp_path: Path) -> None:
    # A downgrade: the old release's archive and signature, renamed to the new version's names.
    plugin("keygen", "-o", "k", "--no-password")
    (tmp_path / "tool-0.1.0.bin").write_text("old, vulnerable\n")
    assert plugin("sign", "tool-0.1.0.bin", "--key", "k.key")[0] == 0
    (tmp_path / "tool-0.1.0.bin").rename(tmp_path / "tool-0.2.0.bin")
    (tmp_path / "tool-0.1.0.bin.minisig").rename(tmp_path / "tool-0.2.0.bin.minisig")
    code, out, _ = plugin("verify", "tool-0.2.0.bin", "--pubkey-file", "k.pub", "--json")
    assert code == EXIT_VERIFY
    error = json.loads(out)["error"]
    assert error["rule"] == "signing.wrong-file" and "tool-0.1.0.bin" in error["message"]
    # A signature whose trusted comment names no file (e.g. `minisign -t "..."`) still verifies.
    (tmp_path / "g.txt").write_text("x\n")
    assert plugin("sign", "g.txt", "--key", "k.key", "--trusted-comment", "release notes")[0] == 0
    assert plugin("verify", "g.txt", "--pubkey-file", "k.pub")[0] == 0


def test_keygen_password_prompt_keeps_stdout_clean_for_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from click.testing import CliRunner

    import plugin_kit.cli.keygen as keygen_cli
    from plugin_kit.cli.main import cli
    from plugin_kit.signing import keys

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        keygen_cli, "sys", SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True))
    )
    real = keys.generate_keypair
    monkeypatch.setattr(  # cheap scrypt limits: the prompt is under test, not the cost
        keys,
        "generate_keypair",
        lambda base, pw: real(base, pw, opslimit=1 << 15, memlimit=1 << 20),
    )
    result = CliRunner().invoke(cli, ["keygen", "-o", "k", "--json"], input="pw-1\npw-1\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["encrypted"] is True  # stdout is the JSON object only
    assert "Password" in result.stderr
