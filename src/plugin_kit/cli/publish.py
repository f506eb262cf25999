"""`plugin publish`: release archives to GitHub or a folder, then update the signed catalog."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from plugin_kit.cli._output import echo, echo_block, emit_json, info, progress


def _progress():  # type: ignore[no-untyped-def]
    """Byte counts for uploads, only on a terminal (CI logs get one line per asset instead)."""
    if not sys.stderr.isatty():
        return None

    def show(name: str, sent: int, total: int) -> None:
        pct = 100 * sent // total if total else 100
        progress(f"  {name}: {pct:3d}% of {total} bytes", done=sent >= total)

    return show


def _render(result) -> None:  # type: ignore[no-untyped-def]
    for rel in result.releases:
        echo(
            f"release {rel.tag}: {rel.action}" + (f"  {rel.release_url}" if rel.release_url else "")
        )
        for asset in rel.assets:
            echo(f"  {asset.action:8} {asset.name}  {asset.size} B  sha256:{asset.sha256}")
        for name in rel.removed:
            echo(f"  {'delete':8} {name}  (not in the plan)")
    cat = result.catalog
    if cat is not None:
        state = "changed" if cat.changed else "unchanged"
        commit = f"  commit {cat.commit}" if cat.commit else ""
        echo(f"catalog {cat.path}: {state}{commit}")
        if result.dry_run and cat.diff:
            echo_block(cat.diff)
    verb = "would sign" if result.dry_run else "signed"
    echo(f"{verb} with key {result.key_id} ({result.public_key})")
    if cat is not None and cat.fetch_url:
        echo("operators add this catalog with:")
        echo(f"  {catalog_add_line(cat.fetch_url, result.public_key)}")


def catalog_add_line(url: str, public_key: str) -> str:
    """The exact command an operator pastes to register the catalog, pinned to our key."""
    import shlex

    return shlex.join(["plugin", "catalog", "add", url, "--pubkey", public_key])


@click.command()
@click.argument("archives", nargs=-1, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--target",
    default="github",
    show_default=True,
    metavar="github|dir:PATH",
    help="Where to publish.",
)
@click.option(
    "--repo", metavar="OWNER/NAME", help="GitHub repository (default: $GITHUB_REPOSITORY)."
)
@click.option(
    "--tag",
    metavar="TAG",
    help="Release tag, or a template: 'v{version}' (default) or '{id}-v{version}' for repositories "
    "with several plugins. In GitHub Actions the pushed tag is used.",
)
@click.option(
    "--key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Secret key (default: $MINISIGN_SECRET_KEY).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="dir: target: URL the folder is served at (default: its file:// URL).",
)
@click.option(
    "--catalog-path",
    default="catalog/extensions.json",
    show_default=True,
    help="Catalog file in the repository (dir: targets: relative to PATH).",
)
@click.option(
    "--catalog-branch",
    metavar="BRANCH",
    help="Branch to commit the catalog to (default: the repository's).",
)
@click.option(
    "--catalog-id",
    metavar="ID",
    help="Catalog id (default: the repository owner, or the folder name).",
)
@click.option(
    "--force-replace", is_flag=True, help="Overwrite assets of a published, mutable release."
)
@click.option("--dry-run", is_flag=True, help="Print the plan and the catalog diff; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def publish(
    archives: tuple[Path, ...],
    target: str,
    repo: str | None,
    tag: str | None,
    key: Path | None,
    base_url: str | None,
    catalog_path: str,
    catalog_branch: str | None,
    catalog_id: str | None,
    force_replace: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Publish ARCHIVES (default: every .insomnia-plugin and .yoi-plugin in dist/) with
    signatures, SHA256SUMS and catalog; a .yoi-plugin gets a catalog entry with host "yoi".

    Safe to re-run: a draft release is found or created, only missing or broken assets are
    uploaded, the release is published last, then catalog/extensions.json and its signature
    are committed. A published release with the same assets counts as done.

    GitHub settings come from the environment: GITHUB_TOKEN or GH_TOKEN (else `gh auth token`
    when the GitHub CLI is logged in; --dry-run needs no token), GITHUB_REPOSITORY,
    GITHUB_API_URL (GitHub Enterprise). The end of the output is the `plugin catalog add`
    line operators run. The key comes from --key or MINISIGN_SECRET_KEY, its
    password from MINISIGN_PASSWORD. In GitHub Actions the results go to GITHUB_OUTPUT and
    GITHUB_STEP_SUMMARY, and errors become ::error:: annotations.

    \b
    Examples:
      plugin publish --dry-run
      plugin publish dist/weather-tools-0.3.1.insomnia-plugin --repo acme/weather-tools --key release.key
      plugin publish --tag '{id}-v{version}' dist/*.insomnia-plugin
      plugin publish dist/example.echo-1.0.0.yoi-plugin --target dir:site --key release.key
      plugin publish --target dir:site --base-url https://plugins.example.org --key release.key
    """
    from plugin_kit.publisher.actions import write_actions_files
    from plugin_kit.publisher.publish import PublishOptions
    from plugin_kit.publisher.publish import publish as run_publish

    opts = PublishOptions(
        archives=list(archives),
        target=target,
        repo=repo,
        tag=tag,
        key_path=key,
        base_url=base_url,
        catalog_path=catalog_path,
        catalog_branch=catalog_branch,
        catalog_id=catalog_id,
        dry_run=dry_run,
        force_replace=force_replace,
    )
    prompt = None
    if sys.stdin.isatty():
        from plugin_kit.cli.sign import password_prompt as prompt
    result = run_publish(opts, note=info, progress=_progress(), password_prompt=prompt)
    if not dry_run:
        write_actions_files(result, os.environ)
    if as_json:
        emit_json({"ok": True, **result.to_dict()})
    else:
        _render(result)
