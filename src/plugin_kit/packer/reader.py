"""The strict streaming reader: every rule of docs/format.md ("Reader rules") before a byte is written.

`read_archive` and `extract_archive` serve every host: the container's source comes from
packer/formats.py (this module's `ArchiveSource` for the .insomnia-plugin tar, zipreader.py's
`ZipSource` for .yoi-plugin), the manifest from the host's model, the digest from the host's form.

Python's tarfile cannot enforce several rules (pax size caps, a bad checksum is taken for the end of the
archive, a missing end marker goes unnoticed), so the small ustar/pax subset we write is parsed here.
`read_archive` validates without writing anything; `extract_archive` makes the same single pass and
writes each member, as it is checked, into a new temporary sibling of the destination, which is renamed
into place only when every rule has passed and removed on any refusal. A refused archive therefore never
leaves a byte at the destination, and what is extracted is exactly what was checked (the same bytes).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO

from plugin_kit.content.digest import CHUNK, FileRecord, content_digest, path_order
from plugin_kit.errors import ArchiveError, PluginKitError
from plugin_kit.fsio import open_regular
from plugin_kit.hosts import INSOMNIA, Host, host_for_archive
from plugin_kit.packer.tarformat import BLOCK, RECORD, Header, HeaderError, parse_header, parse_pax
from plugin_kit.packer.zstdframe import FrameError, scan_frame
from plugin_kit.validators.limits import DEFAULT_LIMITS, Limits, over_limit_hint
from plugin_kit.validators.models import ManifestModel, PluginManifest, manifest_model
from plugin_kit.validators.paths import MANIFEST_NAME, CollisionChecker, path_violation

__all__ = [
    "Limits",
    "ArchiveInfo",
    "read_archive",
    "extract_archive",
    "ArchiveSource",
    "Member",
    "remove_tree",
    "check_expansion",
]

_TYPE_RULES = {
    b"1": ("entry-hardlink", "hard link"),
    b"2": ("entry-symlink", "symbolic link"),
    b"3": ("entry-device", "character device"),
    b"4": ("entry-device", "block device"),
    b"5": ("entry-directory", "directory entry"),
    b"6": ("entry-fifo", "FIFO"),
    b"7": ("entry-type", "contiguous file"),
    b"S": ("entry-sparse", "GNU sparse file"),
    b"L": ("entry-gnu-longname", "GNU long name"),
    b"K": ("entry-gnu-longname", "GNU long link name"),
    b"g": ("pax-global", "global pax header"),
}
_PAX_KEYWORDS = frozenset({"path"})


@dataclass
class ArchiveInfo:
    path: Path
    size: int
    sha256: str
    digest: str
    manifest: PluginManifest
    manifest_bytes: bytes
    files: list[FileRecord] = field(default_factory=list)
    host: Host = INSOMNIA

    def to_dict(self) -> dict[str, object]:
        return {
            "host": self.host.name,
            "path": str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "digest": self.digest,
            "manifest": self.manifest.to_dict(),
            "files": [f.to_dict() for f in self.files],
        }


def _refuse(
    rule: str, message: str, place: str | None = None, hint: str | None = None
) -> ArchiveError:
    return ArchiveError(
        message,
        rule=rule,
        place=place,
        hint=hint or over_limit_hint(rule) or "The archive is damaged or hostile: do not use it.",
    )


class _CountingFile:
    """The compressed file as zstandard reads it: counted (ratio guard) and hashed (archive sha256)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f, self.n, self.h = f, 0, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.n += len(data)
        self.h.update(data)
        return data


class _Stream:
    """Bounded reads of the decompressed tar stream with the total and ratio guards."""

    def __init__(self, f: BinaryIO, limits: Limits) -> None:
        import zstandard

        self._zstd_error = zstandard.ZstdError
        self.raw = _CountingFile(f)
        self.limits = limits
        dctx = zstandard.ZstdDecompressor(max_window_size=limits.max_window)
        self._reader = dctx.stream_reader(self.raw, read_size=CHUNK, read_across_frames=False)
        self.out = 0
        self._buf = b""

    def _fill(self, want: int) -> bytes:
        try:
            data = self._reader.read(want)
        except self._zstd_error as exc:
            raise _refuse("zstd-corrupt", f"the zstd data is corrupt: {exc}") from exc
        self.out += len(data)
        lim = self.limits
        if self.out > _stream_bound(lim):
            raise _refuse("total-too-large", "the tar stream is larger than the limits allow")
        if self.out > lim.ratio_grace and self.out > lim.max_ratio * max(self.raw.n, 1):
            raise _refuse(
                "ratio-exceeded", f"expands more than {lim.max_ratio}:1 (compression bomb)"
            )
        return data

    def read(self, n: int) -> bytes:
        """Up to n bytes; fewer only at the end of the stream."""
        parts, have = [self._buf], len(self._buf)
        while have < n:
            data = self._fill(max(n - have, BLOCK))
            if not data:
                break
            parts.append(data)
            have += len(data)
        # A chunk read with nothing left over (the common case for members' data) is not copied.
        joined = parts[1] if len(parts) == 2 and not parts[0] else b"".join(parts)
        if len(joined) <= n:
            self._buf = b""
            return joined
        self._buf = joined[n:]
        return joined[:n]

    def exact(self, n: int, rule: str, what: str, place: str | None = None) -> bytes:
        data = self.read(n)
        if len(data) != n:
            raise _refuse(rule, f"the archive ends inside {what}", place)
        return data


@dataclass(frozen=True)
class Member:
    path: str
    mode: int
    size: int


class _Parser:
    """Walks headers and enforces the header-only rules before the consumer sees a member."""

    def __init__(self, stream: _Stream, limits: Limits) -> None:
        self.s, self.limits = stream, limits
        self.checker = CollisionChecker()
        self.count = self.total = 0
        self.last_key: bytes | None = None

    def _header(self) -> tuple[object, bytes | None]:
        block = self.s.read(BLOCK)
        if not block:
            raise _refuse("missing-end-marker", "the tar stream has no end-of-archive marker")
        if len(block) != BLOCK:
            raise _refuse("truncated", "the archive ends inside a header")
        if block == bytes(BLOCK):
            return None, None
        try:
            return parse_header(block), block
        except HeaderError as exc:
            raise _refuse(exc.rule, str(exc), f"entry {self.count + 1}") from exc

    def _pax_path(self, header: Header) -> str:
        place, size = f"entry {self.count + 1} (pax header)", header.size
        _fallback_ok(_leading_dots_removed(header.name), place, "the pax header's own name")
        if size > self.limits.max_pax_size:
            raise _refuse(
                "pax-too-large",
                f"pax header of {size} bytes (limit {self.limits.max_pax_size})",
                place,
            )
        block = self.s.exact(size + (-size % BLOCK), "truncated", "a pax header", place)
        body, pad = block[:size], block[size:]
        if pad.count(0) != len(pad):
            raise _refuse(
                "padding-nonzero", "non-zero bytes in the padding after a pax header", place
            )
        try:
            records = parse_pax(body, _PAX_KEYWORDS)
        except HeaderError as exc:
            raise _refuse(exc.rule, str(exc), place) from exc
        if "path" not in records:
            raise _refuse("pax-malformed", "pax header without a path record", place)
        return records["path"]

    def next(self) -> Member | None:
        header, _ = self._header()
        pax_path = None
        if header is not None and header.typeflag == b"x":  # type: ignore[attr-defined]
            pax_path = self._pax_path(header)
            header, _ = self._header()
            if header is None or header.typeflag == b"x":  # type: ignore[attr-defined]
                raise _refuse(
                    "pax-orphan",
                    "a pax header is not followed by a file",
                    f"entry {self.count + 1} (pax header)",
                )
        if header is None:
            self._end()
            return None
        return self._member(header, pax_path)  # type: ignore[arg-type]

    def _member(self, header, pax_path: str | None) -> Member:  # type: ignore[no-untyped-def]
        path = pax_path if pax_path is not None else header.name
        if header.typeflag != b"0":
            rule, what = _TYPE_RULES.get(
                header.typeflag, ("entry-type", f"entry type {header.typeflag!r}")
            )
            raise _refuse(rule, f"{what}s are not allowed (regular files only)", path)
        self.count += 1
        lim = self.limits
        if self.count > lim.max_entries:
            raise _refuse("too-many-entries", f"more than {lim.max_entries} entries", path)
        bad = path_violation(path, max_path_bytes=lim.max_path_bytes)
        if bad is not None:
            raise _refuse(bad.rule, bad.message, path)
        if pax_path is not None:
            _fallback_ok(header.name, path, "the ustar name beside the pax path")
        bad = self.checker.add(path)
        if bad is not None:
            raise _refuse(bad.rule, bad.message, path)
        self._order(path)
        if header.mode not in (0o644, 0o755):
            raise _refuse("header-mode", f"mode {header.mode:o} is not 644 or 755", path)
        if header.size > lim.max_file_size:
            raise _refuse(
                "file-too-large", f"{header.size} bytes (limit {lim.max_file_size})", path
            )
        self.total += header.size
        if self.total > lim.max_total_size:
            raise _refuse("total-too-large", f"more than {lim.max_total_size} bytes expanded", path)
        if path == MANIFEST_NAME and header.size > lim.max_manifest_size:
            raise _refuse(
                "manifest-too-large", f"{header.size} bytes (limit {lim.max_manifest_size})", path
            )
        return Member(path, header.mode, header.size)

    def _order(self, path: str) -> None:
        if self.count == 1 and path != MANIFEST_NAME:
            raise _refuse("manifest-not-first", "the first entry must be plugin.toml", path)
        if self.count > 1 and path == MANIFEST_NAME:
            raise _refuse("duplicate-entry", "plugin.toml appears more than once", path)
        key = path_order(path)
        if self.last_key is not None and key <= self.last_key:
            raise _refuse("entry-order", "entries are not in strictly increasing path order", path)
        if self.count > 1:
            self.last_key = key

    def data(self, m: Member) -> Iterator[bytes]:
        left = m.size
        while left:
            chunk = self.s.read(min(CHUNK, left))
            if not chunk:
                raise _refuse("truncated", f"the archive ends inside {m.path}", m.path)
            left -= len(chunk)
            yield chunk
        pad = self.s.exact(-m.size % BLOCK, "truncated", "padding", m.path)
        if pad.count(0) != len(pad):
            raise _refuse("padding-nonzero", "non-zero bytes in the padding after a member", m.path)

    def _end(self) -> None:
        second = self.s.read(BLOCK)
        if second != bytes(BLOCK):
            raise _refuse("missing-end-marker", "the end-of-archive marker is not two zero blocks")
        while chunk := self.s.read(CHUNK):
            if chunk.count(0) != len(chunk):
                raise _refuse("data-after-end", "data follows the end-of-archive marker")


def _leading_dots_removed(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _fallback_ok(name: str, place: str, what: str) -> None:
    """A tool that ignores pax writes the ustar name instead: it must pass the path rules too."""
    bad = path_violation(name)
    if bad is not None:
        raise _refuse(bad.rule, f"{what} {name!r} (what tools that ignore pax write): {bad.message}",
                      place)  # fmt: skip


def _stream_bound(limits: Limits) -> int:
    """The largest tar stream the limits allow: content plus, per entry, headers, a pax block and padding."""
    per_entry = 3 * BLOCK + limits.max_pax_size + BLOCK
    return limits.max_total_size + limits.max_entries * per_entry + 2 * BLOCK + RECORD


class ArchiveSource:
    """An opened archive whose frame structure has been checked; `members()` streams the entries.

    After `members()` is exhausted, `sha256` and `size` describe the archive's bytes as read.
    """

    def __init__(self, f: BinaryIO, path: Path, limits: Limits) -> None:
        self.f, self.path, self.limits = f, path, limits
        self.sha256, self.size = "", 0

    @classmethod
    @contextmanager
    def open(cls, path: Path, limits: Limits | None = None) -> Iterator[ArchiveSource]:
        limits = limits or DEFAULT_LIMITS
        try:
            # Never a FIFO or a device: a store file may come from a repository checkout.
            f = open_regular(path, what=str(path), follow_symlinks=True)
        except OSError as exc:
            raise ArchiveError(
                f"cannot open {path}: {exc.strerror}", rule="io", place=str(path)
            ) from exc
        with f:
            size = os.fstat(f.fileno()).st_size
            if size > limits.max_archive_size:
                raise _refuse(
                    "archive-too-large",
                    f"{size} bytes (limit {limits.max_archive_size})",
                    str(path),
                )
            try:
                frame = scan_frame(f, size, max_window=limits.max_window)
            except FrameError as exc:
                raise _refuse(exc.rule, str(exc), str(path)) from exc
            if frame.content_size > _stream_bound(limits):
                raise _refuse(
                    "total-too-large", f"declares {frame.content_size} bytes expanded", str(path)
                )
            yield cls(f, Path(path), limits)

    def members(self) -> Iterator[tuple[Member, Iterator[bytes]]]:
        """Each member and an iterator over its data; consume the data before asking for the next."""
        self.f.seek(0)
        stream = _Stream(self.f, self.limits)
        parser = _Parser(stream, self.limits)
        while (member := parser.next()) is not None:
            yield member, parser.data(member)
        if parser.count == 0:
            raise _refuse(
                "manifest-missing",
                "the archive is empty",
                hint="Pack the plugin with `plugin pack`.",
            )
        if stream.raw.read():
            raise _refuse("zstd-trailing-data", "bytes follow the zstd frame")
        self.sha256, self.size = stream.raw.h.hexdigest(), stream.raw.n


def check_expansion(path: Path, limits: Limits) -> None:
    """Refuse as a reader would for the expansion ratio, decompressing only.

    `plugin pack` asks this so that it never writes an archive its readers call a bomb. The stream
    reads the compressed file CHUNK bytes at a time, so no ratio check can trip while the whole
    expansion is at most max_ratio times the first read: then nothing is decompressed.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        try:
            frame = scan_frame(f, size, max_window=limits.max_window)
        except FrameError as exc:
            raise _refuse(exc.rule, str(exc), str(path)) from exc
        if frame.content_size <= max(limits.ratio_grace, limits.max_ratio * min(CHUNK, size)):
            return
        f.seek(0)
        stream = _Stream(f, limits)
        while stream.read(CHUNK):
            pass


def _manifest(model: ManifestModel, data: bytes) -> PluginManifest:
    try:
        return model.parse(data)
    except PluginKitError as err:
        raise _refuse(err.rule, err.message, err.place, err.hint) from err


def _check_semantics(
    model: ManifestModel, manifest: PluginManifest, paths: set[str], kept: dict[str, bytes]
) -> None:
    problems = model.semantic_problems(manifest, packed=paths, read=kept.__getitem__)
    if problems:
        p = problems[0]
        raise _refuse(p.rule, p.message, f"{p.file}:{p.field}" if p.field else p.file, p.hint)


Write = Callable[[bytes], object]
# Where a member's bytes go besides the hash: nowhere (read_archive) or a new file (extraction).
Sink = Callable[[Member], AbstractContextManager[Write | None]]


def _no_sink(_member: Member) -> AbstractContextManager[Write | None]:
    return nullcontext()


def _validate(src: ArchiveSource, host: Host, sink: Sink = _no_sink) -> ArchiveInfo:
    """Consume every member (plugin.toml comes first from every source), hand its bytes to
    `sink` as they are checked, and check the manifest."""
    model = manifest_model(host)
    records: list[FileRecord] = []
    manifest: PluginManifest | None = None
    manifest_bytes, kept = b"", {}
    wanted: set[str] = set()
    for member, chunks in src.members():
        h, keep = hashlib.sha256(), member.path == MANIFEST_NAME or member.path in wanted
        parts = []
        with sink(member) as write:
            for chunk in chunks:
                h.update(chunk)
                if keep:
                    parts.append(chunk)
                if write is not None:
                    write(chunk)
        records.append(FileRecord(member.path, member.mode, member.size, h.digest()))
        if member.path == MANIFEST_NAME:
            manifest_bytes = b"".join(parts)
            manifest = _manifest(model, manifest_bytes)
            wanted = {p for _, p in manifest.referenced_files()}
        elif keep:
            kept[member.path] = b"".join(parts)
    assert (
        manifest is not None
    )  # every source refuses an archive without plugin.toml, or yields it first
    _check_semantics(model, manifest, {r.path for r in records}, kept)
    digest = content_digest(records, host)
    return ArchiveInfo(
        src.path, src.size, src.sha256, digest, manifest, manifest_bytes, records, host
    )


def read_archive(
    path: Path, *, limits: Limits | None = None, host: str | None = None
) -> ArchiveInfo:
    """Validate an archive completely without writing anything; return its manifest, files and digests.

    The host is `host` (--host) or detected from the file's first bytes; `limits` default to the host's.
    """
    from plugin_kit.packer.formats import archive_format

    found = host_for_archive(Path(path), host)
    with archive_format(found).source.open(Path(path), limits or found.limits) as src:
        return _validate(src, found)


def _open_new(root: str, rel: str, mode: int, made: set[str]) -> int:
    parts = rel.split("/")
    for i in range(1, len(parts)):
        sub = "/".join(parts[:i])
        if sub not in made:
            os.mkdir(os.path.join(root, sub), 0o755)
            made.add(sub)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(os.path.join(root, rel), flags, mode)
    os.fchmod(fd, mode)  # the umask must not change what the digest covers
    return fd


def _write_all(fd: int, data: bytes) -> None:
    """os.write until all of `data` is written (no buffered file object per member: chunks are
    already large, and most members are one chunk)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Tree:
    """A new folder the reader's pass writes each member into as it is checked (the sink)."""

    def __init__(self, root: str, durable: bool) -> None:
        self.root, self.durable, self.made = root, durable, set[str]()

    @contextmanager
    def __call__(self, member: Member) -> Iterator[Write]:
        fd = _open_new(self.root, member.path, member.mode, self.made)
        try:
            yield partial(_write_all, fd)
            if self.durable:
                os.fsync(fd)
        finally:
            os.close(fd)

    def sync_folders(self) -> None:
        if self.durable:
            for sub in [*self.made, ""]:
                dfd = os.open(os.path.join(self.root, sub), os.O_RDONLY | os.O_DIRECTORY)
                os.fsync(dfd)
                os.close(dfd)


def _make_read_only(root: str) -> None:
    for dirpath, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            p = os.path.join(dirpath, name)
            os.chmod(p, stat.S_IMODE(os.lstat(p).st_mode) & 0o555)
        os.chmod(dirpath, 0o555)


def remove_tree(path: str | Path) -> None:
    """Remove a tree even when it was made read-only."""
    import shutil  # with tempfile below: extraction only, not inspect or digest

    for dirpath, _dirs, _files in os.walk(path):
        os.chmod(dirpath, 0o755)
    shutil.rmtree(path, ignore_errors=True)


def extract_archive(
    path: Path,
    dest: Path,
    *,
    expected_digest: str | None = None,
    limits: Limits | None = None,
    read_only: bool = False,
    durable: bool = False,
    host: str | None = None,
) -> ArchiveInfo:
    """Validate and extract in one pass into a new directory `dest` (all or nothing: a temporary
    sibling renamed into place when every rule passed); `dest` must not exist."""
    import tempfile

    from plugin_kit.packer.formats import archive_format

    path, dest = Path(path), Path(dest)
    found = host_for_archive(path, host)
    limits = limits or found.limits
    if os.path.lexists(dest):
        raise ArchiveError(f"{dest} already exists", rule="dest-exists", place=str(dest),
                           hint="Extract into a new directory.")  # fmt: skip
    with archive_format(found).source.open(path, limits) as src:
        try:
            tmp = tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        except OSError as exc:
            raise ArchiveError(f"cannot create a folder in {dest.parent}: {exc.strerror}", rule="io",
                               place=str(dest.parent)) from exc  # fmt: skip
        try:
            os.chmod(tmp, 0o755)
            tree = _Tree(tmp, durable)
            info = _validate(src, found, tree)
            if expected_digest is not None and info.digest != expected_digest:
                raise _refuse("digest-mismatch", f"content digest {info.digest} is not the expected {expected_digest}",
                              str(path))  # fmt: skip
            tree.sync_folders()
            if read_only:
                _make_read_only(tmp)
            if os.path.lexists(dest):
                raise ArchiveError(
                    f"{dest} appeared while extracting", rule="dest-exists", place=str(dest)
                )
            os.rename(tmp, dest)
        except OSError as exc:
            remove_tree(tmp)
            raise ArchiveError(
                f"cannot extract: {exc.strerror}", rule="io", place=str(exc.filename)
            ) from exc
        except BaseException:
            remove_tree(tmp)
            raise
    return info
