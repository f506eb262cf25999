"""Property tests: path rules, the reader under mutation, digests, and random trees round-tripping."""

from __future__ import annotations

import os
import random
import tempfile
import unicodedata
from pathlib import Path

from helpers.archives import HOOKS, MANIFEST, compress, member, tar
from helpers.mutations import extracted, mutations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_kit.content.digest import FileRecord, content_digest, extracted_digest
from plugin_kit.errors import ArchiveError
from plugin_kit.installer.cache import ensure_cached
from plugin_kit.packer.digest import digest_path
from plugin_kit.packer.reader import extract_archive, read_archive
from plugin_kit.packer.tarformat import BLOCK, file_header, parse_header
from plugin_kit.packer.writer import pack
from plugin_kit.validators.paths import CollisionChecker, collision_key, path_violation

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SEGMENT = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.éñßΣσς"
    ),
    min_size=1,
    max_size=12,
)
VALID_SEGMENT = SEGMENT.filter(lambda s: path_violation(s) is None)


@given(st.text(max_size=300))
@SETTINGS
def test_accepted_paths_are_safe_to_join(path: str) -> None:
    if path_violation(path) is not None:
        return
    root = "/srv/cache/abc"
    joined = os.path.normpath(os.path.join(root, path))
    assert os.path.commonpath([root, joined]) == root and joined != root
    assert unicodedata.normalize("NFC", path) == path
    assert not any(part in ("", ".", "..") for part in path.split("/"))
    assert "\\" not in path and ":" not in path and len(path.encode()) <= 255


@given(
    st.lists(VALID_SEGMENT, min_size=1, max_size=4),
    st.sampled_from(["upper", "lower", "nfd", "same"]),
)
@SETTINGS
def test_collision_checker_catches_every_alias(parts: list[str], how: str) -> None:
    path = "/".join(parts)
    alias = {
        "upper": path.upper(),
        "lower": path.lower(),
        "nfd": unicodedata.normalize("NFD", path),
        "same": path,
    }[how]
    checker = CollisionChecker()
    assert checker.add(path) is None
    if collision_key(alias) == collision_key(path):
        assert checker.add(alias) is not None


@given(
    st.lists(VALID_SEGMENT, min_size=2, max_size=4),
    st.sampled_from(["upper", "lower", "nfd", "same"]),
    VALID_SEGMENT,
)
@SETTINGS
def test_collision_checker_catches_every_folder_alias(
    parts: list[str], how: str, leaf: str
) -> None:
    # Docs/a.md beside docs/b.md: a case-insensitive file system merges the two folders.
    folder = "/".join(parts[:-1])
    alias = {"upper": folder.upper(), "lower": folder.lower(), "same": folder,
             "nfd": unicodedata.normalize("NFD", folder)}[how]  # fmt: skip
    checker = CollisionChecker()
    assert checker.add("/".join(parts)) is None
    other = f"{alias}/{leaf}"
    if other != "/".join(parts) and collision_key(other) != collision_key("/".join(parts)):
        found = checker.add(other)
        if alias != folder and collision_key(alias) == collision_key(folder):
            assert found is not None and found.rule == "path-collision"
        elif alias == folder:
            assert found is None


def _archive() -> bytes:
    return compress(
        tar(
            member("plugin.toml", MANIFEST),
            member("hooks.toml", HOOKS),
            member("z/data.bin", bytes(range(256)) * 8),
        )
    )


BASE = _archive()


@given(mutations(BASE))
@SETTINGS
def test_mutated_archives_raise_only_reader_errors_and_write_nothing_outside(data: bytes) -> None:
    with extracted(data, "m.insomnia-plugin") as (tmp, outcome):
        if isinstance(outcome, ArchiveError):
            assert outcome.rule and outcome.message
            assert list((tmp / "box").iterdir()) == []
        else:
            # A mutation that still passes every rule must extract exactly what it declares.
            assert digest_path(tmp / "box" / "dest") == outcome.digest
        assert sorted(p.name for p in tmp.iterdir()) == ["box", "m.insomnia-plugin"]


@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=20),
            st.sampled_from([0o644, 0o755]),
            st.binary(max_size=64),
        ),
        max_size=8,
        unique_by=lambda t: t[0],
    )
)
@SETTINGS
def test_digest_is_order_independent_and_sensitive(entries: list) -> None:
    records = [FileRecord(p, m, len(d), d.ljust(32, b"\0")[:32]) for p, m, d in entries]
    assert content_digest(records) == content_digest(list(reversed(records)))
    if records:
        changed = [
            FileRecord(records[0].path, records[0].mode ^ 0o111, records[0].size, records[0].sha256)
        ] + records[1:]
        assert content_digest(changed) != content_digest(records)


# Names built from few characters, so that siblings such as a-b.txt, a.b.txt and a/b.txt (byte order
# and component order differ), case pairs and non-ASCII letters meet often.
NAME = st.one_of(
    st.text(alphabet=st.sampled_from("ab-._/AB~éÉßΣσ0"), min_size=1, max_size=10),
    st.sampled_from(["a-b.txt", "a.b.txt", "a/b.txt", "a/b-c", "a0", "a.b/c", "A-b.txt", "é/x"]),
).map(lambda name: "d/" + name)
TREE = st.dictionaries(NAME, st.tuples(st.binary(max_size=2048), st.booleans()), max_size=12)


def _write_tree(root: Path, tree: dict) -> None:
    checker = CollisionChecker()
    for rel, (data, exe) in tree.items():
        if path_violation(rel) is not None or checker.add(rel) is not None:
            continue
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.chmod(p, 0o755 if exe else 0o644)


@given(tree=TREE)
@SETTINGS
def test_random_valid_trees_round_trip(tree: dict, monkeypatch) -> None:
    manifest = MANIFEST.decode() + '\n[package]\ninclude = ["hooks.toml", "d/**"]\n'
    with tempfile.TemporaryDirectory() as tmp:
        monkeypatch.setenv("XDG_CACHE_HOME", str(Path(tmp) / "cache"))
        root = Path(tmp) / "p"
        root.mkdir()
        (root / "plugin.toml").write_text(manifest)
        (root / "hooks.toml").write_bytes(HOOKS)
        _write_tree(root, tree)
        result = pack(root, Path(tmp) / "out")
        info = extract_archive(result.path, Path(tmp) / "x")
        assert info.digest == result.digest == digest_path(root) == read_archive(result.path).digest
        # The extracted tree re-hashed as it is on disk, and the installer's own re-hash, agree.
        assert extracted_digest(Path(tmp) / "x") == info.digest
        cached = ensure_cached(result.path, info.digest)
        assert extracted_digest(cached) == info.digest
        for rec in info.files:
            assert (Path(tmp) / "x" / rec.path).read_bytes() == (root / rec.path).read_bytes()


@given(NAME.filter(lambda p: path_violation(p) is None) | st.text(min_size=1, max_size=255))
@SETTINGS
def test_every_ustar_name_the_writer_writes_passes_the_path_rules(path: str) -> None:
    # A tool that ignores pax extracts these names instead of the pax path (docs/format.md 2.2).
    if path_violation(path) is not None:
        return
    blocks = file_header(path, 0o644, 0)
    names = {parse_header(blocks[:BLOCK]).name, parse_header(blocks[-BLOCK:]).name}
    for name in names:
        while name.startswith("./"):
            name = name[2:]
        assert path_violation(name) is None, name


@given(
    payload=st.binary(max_size=3000)
    | st.integers(0, 3 << 20).map(lambda n: random.Random(n).randbytes(n)),
    reads=st.lists(st.integers(1, (1 << 20) + 700), min_size=1, max_size=12),
)
@SETTINGS
def test_stream_reads_are_the_decompressed_bytes_in_order(payload: bytes, reads: list) -> None:
    """The reader's decompressed stream returns exactly min(n, what is left) bytes per read, in
    order, whether a read is served from what the last one left over, whole, or joined."""
    import io

    from plugin_kit.packer.reader import _Stream
    from plugin_kit.validators.limits import Limits

    stream = _Stream(io.BytesIO(compress(payload)), Limits.unlimited_for(4 << 20))
    pos = 0
    for n in reads:
        got = stream.read(n)
        assert got == payload[pos : pos + n]
        pos += len(got)
    assert stream.read(len(payload) + 1) == payload[pos:]


def test_members_of_chunk_sizes_extract_exactly(tmp_path: Path) -> None:
    """Members written straight to their file descriptors, chunk by chunk (also with fsync)."""
    from plugin_kit.content.digest import CHUNK

    sizes = [CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5, 3]
    blobs = {f"d/m{i}.bin": os.urandom(n) for i, n in enumerate(sizes)}
    blobs["hooks.toml"] = HOOKS
    body = [member("plugin.toml", MANIFEST)]
    body += [member(p, blobs[p]) for p in sorted(blobs, key=lambda p: p.encode())]
    archive = tmp_path / "a.insomnia-plugin"
    archive.write_bytes(compress(tar(*body)))
    from plugin_kit.validators.limits import Limits

    for durable in (False, True):
        dest = tmp_path / f"x{durable}"
        extract_archive(archive, dest, limits=Limits.unlimited_for(8 << 20), durable=durable)
        assert {p: (dest / p).read_bytes() for p in blobs} == blobs
