"""`plugin pack`: build a deterministic archive for the plugin's host (.insomnia-plugin or .yoi-plugin)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from plugin_kit.cli._limits import LIMIT_HELP, limit_overrides
from plugin_kit.cli._options import host_option
from plugin_kit.cli._output import echo, emit_json, info, progress


def _progress_line() -> Callable[[int, int], None]:
    """A percentage line on stderr, redrawn only when the percentage changes."""
    last = -1

    def show(done: int, total: int) -> None:
        nonlocal last
        percent = 100 * done // total if total else 100
        if percent != last:
            last = percent
            mib = f"{done / 2**20:.1f} of {total / 2**20:.1f} MiB"
            progress(f"  {percent:3d}%  {mib}")

    return show


@click.command()
@click.argument("project", default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "-o",
    "--outdir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write (default: PROJECT/dist).",
)
@click.option("--no-build", is_flag=True, help="Do not run [build].command first.")
@host_option
@click.option("--limit", "limit_texts", multiple=True, metavar="NAME=N", help=LIMIT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def pack(
    project: Path,
    outdir: Path | None,
    no_build: bool,
    host: str | None,
    limit_texts: tuple[str, ...],
    as_json: bool,
) -> None:
    """Build, validate and pack a plugin into OUTDIR/<id>-<version>.insomnia-plugin (or .yoi-plugin).

    The host comes from plugin.toml (`manifest_version`: Insomnia, `schema_version`: Yoi) or
    --host. A Yoi plugin keeps its [package] and [build] settings in plugin-kit.toml. A package
    over the host's limits is refused; --limit raises a limit.

    The same files give the same bytes, whatever the umask, mtimes, owner, locale, time zone or
    checkout path. The archive is written atomically: an error or Ctrl-C leaves no partial file.
    A package over the host's limits is refused (exit 1) naming the limit; --limit raises one,
    and the archive then carries a warning that the host refuses it.

    \b
    Examples:
      plugin pack
      plugin pack path/to/plugin -o dist --json
      plugin pack my-yoi-tool --host yoi
      plugin pack --limit max_file_size=16MiB
    """
    from plugin_kit.packer.writer import pack as do_pack

    if not no_build and not as_json:
        info("packing (running [build] first when there is one)...")
    show = _progress_line() if not as_json and sys.stderr.isatty() else None
    result = do_pack(
        project,
        outdir,
        run_build=not no_build,
        progress=show,
        host=host,
        limit_overrides=limit_overrides(limit_texts),
    )
    if show is not None:
        echo("", err=True)
    if as_json:
        emit_json(result.to_dict())
        return
    for w in result.warnings:
        info(f"warning[{w.rule}]: {w.message}")
    echo(str(result.path))
    echo(
        f"  {result.id} {result.version} ({result.host.title}): {result.files} files, {result.size} bytes"
    )
    echo(f"  sha256  {result.sha256}")
    echo(f"  digest  {result.digest}")
