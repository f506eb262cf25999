"""What `plugin wat2wasm` and `plugin wat2component` share: SRC, -o/--json and the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from plugin_kit.cli._output import emit_json, info

wat_source = click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))


def output_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`-o/--output` (the `what` to write) and `--json`."""

    def apply(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)
        return click.option(
            "-o",
            "--output",
            "out",
            required=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help=f"{what} to write (replaced atomically; left untouched on error).",
        )(f)

    return apply


def report_built(result: Any, as_json: bool) -> None:
    """The result of a build (components/build.py), as JSON or one line."""
    if as_json:
        emit_json(result.to_dict())
    else:
        info(f"wrote {result.output} ({result.size} bytes, sha256 {result.sha256[:16]}…)")
