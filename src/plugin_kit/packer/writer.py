"""`plugin pack`: a deterministic archive for the plugin's host, written atomically.

The host's container comes from packer/formats.py; this module also holds the .insomnia-plugin
writer (`write_archive`), whose bytes depend only on the files' paths, contents and exec bits, and on the pinned zstandard wheel:
headers are normalised (tarformat.py), order is fixed (collect.archive_order) and the compression
parameters below never change. Multi-threaded zstd gives the same bytes for any worker count >= 1
(research/archive.md, 2.4); the default is one worker, as the zstd CLI's. The packing thread
reads, hashes and feeds the files through one reused buffer while that worker compresses: on
two cores this was faster than a reader thread or a second worker, and a second worker holds
~23 MiB more of the compressor's buffers (docs/performance.md, "Pack and read").
tests/format/test_pack.py pins an archive's bytes and the serial tar stream's.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from plugin_kit.content.collect import SourceFile, collect_files, load_project_manifest
from plugin_kit.content.digest import CHUNK, FileRecord, content_digest
from plugin_kit.content.project import Measure, limit_problems, package_measures, tree_problems
from plugin_kit.errors import ArchiveError, PackError
from plugin_kit.hosts import INSOMNIA, Host, host_for_project
from plugin_kit.packer.formats import archive_format
from plugin_kit.packer.tarformat import end_of_archive, file_header, padding
from plugin_kit.validators.limits import LIMIT_RULES, Limits
from plugin_kit.validators.problems import Problem

__all__ = ["PackResult", "pack", "write_archive", "HashingSink", "ZSTD_LEVEL", "ZSTD_WORKERS"]

ZSTD_LEVEL = 3
ZSTD_WORKERS = 1  # the default worker count (module docstring)


@dataclass
class PackResult:
    path: Path
    size: int
    files: int
    sha256: str
    digest: str
    id: str
    version: str
    warnings: list[Problem] = field(default_factory=list)
    host: Host = INSOMNIA

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path), "size": self.size, "files": self.files, "sha256": self.sha256,
            "digest": self.digest, "id": self.id, "version": self.version, "host": self.host.name,
            "warnings": [w.to_dict() for w in self.warnings],
        }  # fmt: skip


class HashingSink:
    """Counts and hashes an archive's bytes on their way to the file (both containers use it)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.h.update(data)
        self.n += len(data)
        return self.f.write(data)

    def flush(self) -> None:
        self.f.flush()


def _tar_size(files: Sequence[SourceFile], headers: Sequence[bytes]) -> int:
    n = sum(len(h) + f.size + len(padding(f.size)) for f, h in zip(files, headers, strict=True))
    return n + len(end_of_archive(n))


def _changed(src: SourceFile, how: str) -> PackError:
    return PackError(f"{src.path} {how} while packing", rule="file-changed", place=src.path,
                     hint="Pack again.")  # fmt: skip


def _feed(src: SourceFile, write: Callable[[memoryview], object], buf: bytearray) -> FileRecord:
    """Read `src` into `buf` chunk by chunk, hash it and hand each chunk to `write`.

    One buffer for every chunk: no new 1 MiB object (and its fresh pages) per read. zstd copies
    its input before `write` returns, so the buffer may be refilled at once.
    """
    h, seen, view = hashlib.sha256(), 0, memoryview(buf)
    with open(src.source, "rb", buffering=0) as f:
        if os.fstat(f.fileno()).st_size != src.size:
            raise _changed(src, "changed")
        while seen < src.size and (n := f.readinto(view[: min(len(buf), src.size - seen)])):
            chunk = view[:n]
            h.update(chunk)
            write(chunk)
            seen += n
    if seen != src.size:
        raise _changed(src, "shrank")
    return FileRecord(src.path, src.mode, src.size, h.digest())


Progress = Callable[[int, int], None]
"""Called after each file with (bytes packed so far, bytes in all)."""


def write_archive(
    files: Sequence[SourceFile],
    out: BinaryIO,
    *,
    threads: int | None = None,
    progress: Progress | None = None,
) -> tuple[str, int, str]:
    """Write the archive of `files` (already in archive order) to `out`; return (sha256, size, digest).

    `threads` is zstd's worker count (>= 1; the bytes are the same for any), one by default.
    """
    import zstandard

    workers = threads if threads is not None else ZSTD_WORKERS
    params = zstandard.ZstdCompressor(
        level=ZSTD_LEVEL,
        threads=workers,
        write_checksum=True,
        write_content_size=True,
        write_dict_id=False,
    )
    sink = HashingSink(out)
    records, written = [], 0
    # No `with`: on an error its exit would flush a short frame and mask the original exception.
    headers = [file_header(f.path, f.mode, f.size) for f in files]
    done, total = 0, sum(f.size for f in files)
    zw = params.stream_writer(sink, size=_tar_size(files, headers), closefd=False, write_size=CHUNK)
    buf = bytearray(CHUNK)
    for src, header in zip(files, headers, strict=True):
        zw.write(header)
        records.append(_feed(src, zw.write, buf))
        zw.write(padding(src.size))
        done += src.size
        if progress is not None:
            progress(done, total)
        written += len(header) + src.size + len(padding(src.size))
    zw.write(end_of_archive(written))
    zw.flush(zstandard.FLUSH_FRAME)
    return sink.h.hexdigest(), sink.n, content_digest(records)


def _atomic_write(
    final: Path,
    files: Sequence[SourceFile],
    progress: Progress | None,
    write: Callable[..., tuple[str, int, str]],
    check: Callable[[Path, int], None],
) -> tuple[str, int, str]:
    """Write to a temporary sibling, let `check` see it (path, size), then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            result = write(files, out, progress=progress)
            out.flush()
            os.fsync(out.fileno())
        check(Path(tmp), result[1])
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    except BaseException:
        # Ctrl-C or any error: never leave a partial archive behind.
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def _refuse_over(problems: list[Problem]) -> None:
    over = [p for p in problems if p.severity == "error"]
    if over:
        raise PackError(over[0].message, rule=over[0].rule, place=over[0].file or None,
                        hint=over[0].hint)  # fmt: skip


def _archive_measures(
    name: str, size: int, files: Sequence[SourceFile], limits: Limits
) -> list[Measure]:
    """The archive's size, and past the ratio grace its overall expansion ratio."""
    content = sum(f.size for f in files)
    ratio = [("limit-ratio", "max_ratio", content // max(size, 1), name)]
    return [("limit-archive", "max_archive_size", size, name)] + (
        ratio if content > limits.ratio_grace else []
    )


def _written_check(
    name: str, files: Sequence[SourceFile], limits: Limits, host: Host
) -> Callable[[Path, int], None]:
    """Limits only the written archive shows: its size, and its expansion ratio as readers check it."""
    expansion = archive_format(host).check_expansion

    def check(tmp: Path, size: int) -> None:
        _refuse_over(limit_problems(_archive_measures(name, size, files, limits), limits, host))
        if expansion is None:  # a container that stores its bytes has no ratio to check
            return
        try:
            expansion(tmp, limits)  # the reader checks the ratio as it goes: ask it
        except ArchiveError as err:
            field = LIMIT_RULES.get(err.rule or "", "")
            raise PackError(
                f"the archive would be refused: {err.message}", rule=f"limit-{err.rule}",
                place=name, hint=f"Raise the limit with --limit {field}=N." if field else err.hint,
            ) from err  # fmt: skip

    return check


def pack(
    project_dir: Path,
    outdir: Path | None = None,
    *,
    run_build: bool = True,
    progress: Progress | None = None,
    host: str | None = None,
    limit_overrides: dict[str, int] | None = None,
) -> PackResult:
    """Build (unless told not to), validate, and write OUTDIR/<id>-<version><host suffix>.

    The host is `host` (--host) or read from plugin.toml; it picks the manifest model, where the
    pack settings live, the container (packer/formats.py), the digest and the limits. A package
    over the host's limits (raised by `limit_overrides`, --limit) is refused before or, for the
    archive's own size and ratio, right after writing; nothing is left behind then.
    """
    from plugin_kit.content.project import component_warnings
    from plugin_kit.content.settings import pack_settings
    from plugin_kit.packer.build import run_build as build

    root = Path(project_dir)
    found = host_for_project(root, host)
    limits = found.limits.with_overrides(**(limit_overrides or {}))
    manifest = load_project_manifest(root, found)
    command = pack_settings(root, manifest, found).build
    if run_build and command:
        build(root, command)
        manifest = load_project_manifest(root, found)
    files = collect_files(root, manifest, host=found)
    problems = tree_problems(root, manifest, files, host=found)
    if problems:
        first = problems[0]
        raise PackError(
            f"the plugin is not valid ({len(problems)} problem(s)); first: {first}",
            rule=first.rule, place=f"{first.file}:{first.field}" if first.field else first.file,
            hint="Run `plugin validate` to see every problem.",
        )  # fmt: skip
    sized = limit_problems(package_measures({f.path: f.size for f in files}), limits, found)
    _refuse_over(sized)
    outdir = Path(outdir) if outdir is not None else root / "dist"
    name = found.archive_name(manifest.id, manifest.version)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        final = outdir / name
        fmt = archive_format(found)
        check = _written_check(name, files, limits, found)
        sha, size, digest = _atomic_write(final, files, progress, fmt.write, check)
    except OSError as exc:
        raise PackError(
            f"cannot write the archive: {exc.strerror}",
            rule="io",
            place=str(exc.filename or outdir),
        ) from exc
    sized += limit_problems(_archive_measures(name, size, files, limits), limits, found)
    warnings = [*sized, *component_warnings(manifest, files)]
    return PackResult(
        final, size, len(files), sha, digest, manifest.id, manifest.version, warnings, found
    )
