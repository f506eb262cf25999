"""`plugin inspect`: what an archive holds and asks for. It runs nothing."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_kit.cli._options import host_option
from plugin_kit.cli._output import echo, emit_json


def _render_insomnia(info) -> None:  # type: ignore[no-untyped-def]
    m = info.manifest
    echo(f"{m.id} {m.version}  ({m.display_name or m.id})")
    echo(f"  {m.description}")
    echo(f"  runtime   {m.runtime}  {m.runtime_section}")
    echo(f"  api       {m.api}")
    echo(f"  license   {m.license}")
    for t in m.tools:
        echo(f"  tool      {t['name']}: {t['description']}")
    for h in m.hooks:
        echo(f"  hook      {h['event']} ({h['file']})")
    caps = m.capabilities or {}
    echo("  requests  " + (", ".join(f"{k}={v}" for k, v in sorted(caps.items())) or "nothing"))
    _render_files(info)


def _render_yoi(info) -> None:  # type: ignore[no-untyped-def]
    raw = info.manifest.raw
    echo(f"{raw.get('id')} {raw.get('version')}  ({raw.get('name')}, Yoi)")
    echo(f"  {raw.get('description', '')}")
    rt = raw.get("runtime") or {}
    echo(f"  runtime   {rt.get('kind', 'none')}  {rt.get('world', '')}  {rt.get('component', '')}")
    echo(f"  surfaces  {', '.join(raw.get('surfaces', [])) or 'none'}")
    for t in raw.get("tools", []):
        echo(f"  tool      {t.get('name')}: {t.get('description', '')}")
    for p in raw.get("permissions", []):
        echo(f"  permits   {p}")
    for key in ("request", "websocket"):
        for r in raw.get(key, []):
            echo(f"  {key:<9} {r}")
    _render_files(info)


def _render_files(info) -> None:  # type: ignore[no-untyped-def]
    echo(f"  sha256    {info.sha256}")
    echo(f"  digest    {info.digest}")
    echo(
        f"  files     {len(info.files)}, {sum(f.size for f in info.files)} bytes expanded, {info.size} packed"
    )
    for f in info.files:
        echo(f"    {f.mode:o} {f.size:>10}  {f.path}")


_RENDER = {"insomnia": _render_insomnia, "yoi": _render_yoi}  # keyed by Host.name


@click.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@host_option
@click.option("--json", "as_json", is_flag=True, help="Print everything as one JSON object.")
def inspect(archive: Path, host: str | None, as_json: bool) -> None:
    """Read an archive strictly and show its manifest, tools, hooks, requested capabilities and files.

    Nothing in the archive is run or extracted. A refused archive exits 1 naming the rule and entry.
    Both .insomnia-plugin and .yoi-plugin archives are read (the host is told by the file's bytes,
    or by --host); the digest shown is the host's own.

    \b
    Examples:
      plugin inspect dist/weather-tools-0.3.1.insomnia-plugin
      plugin inspect weather-tools-0.3.1.insomnia-plugin --json
      plugin inspect dist/example.tool-0.1.0.yoi-plugin
    """
    from plugin_kit.packer.reader import read_archive

    info = read_archive(archive, host=host)
    if as_json:
        data = info.to_dict()
        data["manifest"] = info.manifest.raw
        emit_json(data)
    else:
        _RENDER[info.host.name](info)
