"""`plugin install`: install a plugin by name from a catalog, or from a local file or URL."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from plugin_kit.cli._complete import complete_names_or_files
from plugin_kit.cli._output import confirm, echo, emit_json, info, meter
from plugin_kit.errors import NeedsUserError, UsageError
from plugin_kit.hosts import HOSTS


def workspace_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--workspace",
        type=click.Path(path_type=Path, file_okay=False),
        help="Workspace whose stores to use (.insomnia/plugins, .yoi/plugins; default: current folder).",
    )(func)


def progress_to_stderr() -> Callable[[int, int | None], None] | None:
    """A download progress line on stderr, only for a terminal."""
    return meter("download")


def can_ask() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def confirm_or_exit(
    question: str,
    yes: bool,
    *,
    hint: str = "re-run with --yes to accept, or --dry-run to see the plan only",
) -> None:
    """Ask on a terminal; without one and without --yes the user is needed (exit 4)."""
    if yes:
        return
    if not can_ask():
        raise NeedsUserError("confirmation needs a terminal", rule="needs-confirmation", hint=hint)
    if not confirm(question):
        raise NeedsUserError("not confirmed; nothing was changed", rule="not-confirmed")


def render_requests(plan: dict[str, Any]) -> None:
    if plan["risk"]:
        info(f"  runtime:      {plan['runtime']}")
        info(f"  risk:         {plan['risk']}")
        info(f"  requests:     {plan['capability_summary']}")
    else:
        info("  requests:     shown after the download is verified")


def render_plan(plan: dict[str, Any]) -> None:
    info(
        f"plan: install {plan['id'] or plan['target']} {plan['version'] or ''} into the {plan['store']} store"
        + (f" ({plan['workspace']})" if plan["workspace"] else "")
    )
    src = plan["source"]
    origin = (
        f"catalog {src.get('catalog')} ({src.get('catalog_id')}, serial {src.get('catalog_serial')})"
        if plan["kind"] == "catalog"
        else src.get("path") or src.get("url")
    )
    info(f"  source:       {origin}")
    if plan.get("url") and plan["kind"] == "catalog":
        info(f"  url:          {plan['url']}")
    info(f"  size:         {plan['size'] if plan['size'] is not None else 'unknown'} bytes")
    info(f"  sha256:       {plan['sha256'] or '(computed on download)'}")
    key = plan["signer_public_key"] or "none (checked by --sha256 only)"
    if plan["signer_key_id"]:
        key += f" (key id {plan['signer_key_id']})"
    info(f"  signer key:   {key}{'  NEW KEY' if plan['new_key'] else ''}")
    if plan["new_key"]:
        info(f"  pinned key:   {plan['pinned_key']}")
    render_requests(plan)
    if plan["replaces"]:
        info(f"  replaces:     {plan['replaces']}")
    info(f"  {plan['note']}")


def _confirm_when_verified(yes: bool, as_json: bool) -> Callable[[Any], None]:
    """Show the verified manifest's requests, then ask; with nobody to ask, exit 4 at once
    (before downloading)."""
    if not (yes or can_ask()):
        confirm_or_exit("Install it?", yes)

    def confirm(verified: Any) -> None:
        if not (as_json and yes):  # never ask without showing what it asks for
            info(f"verified: {verified.id} {verified.version}")
            render_requests(verified.to_dict())
        confirm_or_exit("Install it?", yes)

    return confirm


def _key_from_file(pubkey: str | None, pubkey_file: Path) -> str:
    from plugin_kit.signing.keys import load_public_key_file

    if pubkey:
        raise UsageError("--pubkey and --pubkey-file exclude each other", rule="usage")
    return load_public_key_file(pubkey_file).base64


@click.command()
@click.argument("target", shell_complete=complete_names_or_files)
@click.option(
    "--project",
    is_flag=True,
    help="Install into the workspace store (.insomnia/plugins, or .yoi/plugins for Yoi).",
)
@workspace_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Resolve and print the plan; download nothing.")
@click.option(
    "--pubkey",
    metavar="RW...",
    help="For a FILE or URL: the publisher key its .minisig must verify with.",
)
@click.option(
    "--pubkey-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="For a FILE or URL: the publisher's .pub file (instead of --pubkey).",
)
@click.option("--sha256", metavar="HEX", help="For a FILE or URL: the archive's expected sha256.")
@click.option(
    "--host-api",
    metavar="VERSION",
    help="Host plugin-API version to resolve for (default: config).",
)
@click.option(
    "--host",
    "host_name",
    type=click.Choice(list(HOSTS)),
    help="Pick the entry of this host when a catalog name has entries for both.",
)
@click.option(
    "--accept-new-key",
    is_flag=True,
    help="Accept a publisher key that differs from the pinned one.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Fetch, verify and place the installed version again (repairs what `plugin verify`"
    " finds damaged); grants are kept.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan or result as one JSON object."
)
def install(
    target: str,
    project: bool,
    workspace: Path | None,
    yes: bool,
    dry_run: bool,
    pubkey: str | None,
    pubkey_file: Path | None,
    sha256: str | None,
    host_api: str | None,
    host_name: str | None,
    accept_new_key: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Install TARGET: NAME[@VERSION] or CATALOG/NAME from a catalog, a FILE, or a URL.

    Checks before anything is placed: archive sha256 = catalog entry = its SHA256SUMS line,
    SHA256SUMS.minisig and the archive's .minisig against the publisher key, the strict
    reader, and the manifest id, version and content digest against the entry. The plugin
    is installed disabled: nothing of it runs until `plugin enable` grants capabilities.

    \b
    Exit status: 0 ok, 1 error, 2 usage or ambiguous name, 3 verification failed,
    4 needs you (confirmation without a terminal, or a new publisher key), 5 lock timeout.

    \b
    Examples:
      plugin install weather-tools
      plugin install acme/weather-tools@0.3.1 --project --yes
      plugin install acme/weather-tools@0.3.1 --force --yes     # repair a damaged copy
      plugin install ./weather-tools-0.3.1.insomnia-plugin --sha256 9f2c...
      plugin install https://example.org/w-0.3.1.insomnia-plugin --pubkey RWQ... --dry-run --json
      plugin install ./weather-tools-0.3.1.insomnia-plugin --pubkey-file release.pub
      plugin install ./example.echo-1.0.0.yoi-plugin --project --pubkey RWQ...

    A .yoi-plugin goes where Yoi discovers it: ${XDG_DATA_HOME:-~/.local/share}/yoi/plugins,
    or <workspace>/.yoi/plugins with --project.
    """
    from plugin_kit.hosts import INSOMNIA
    from plugin_kit.installer.install import plan_install, resolve_target, run_install
    from plugin_kit.installer.stores import user_store, workspace_store

    # The store of the package's host: a catalog entry's `host`, a file's bytes, a URL's suffix
    # (a URL that does not say is placed by what its verified bytes are).
    found = resolve_target(target, host_api=host_api, host=host_name)
    host = found.host or INSOMNIA
    ws = workspace or Path.cwd()
    store = workspace_store(ws, host) if project or workspace else user_store(host)
    if pubkey_file is not None:
        pubkey = _key_from_file(pubkey, pubkey_file)
    plan = plan_install(
        target,
        store,
        host_api=host_api,
        pubkey=pubkey,
        sha256=sha256,
        host=host_name,
        candidate=found.candidate,
    )
    repair = force and plan.already_installed
    if plan.already_installed and not force:
        if as_json:
            emit_json(
                {"ok": True, "installed": False, "already_installed": True, "plan": plan.to_dict()}
            )
        else:
            echo(f"{plan.ref} {plan.version} is already installed")
        return
    if dry_run:
        if as_json:
            emit_json({"ok": True, "dry_run": True, "plan": plan.to_dict()})
        else:
            render_plan(plan.to_dict())
        return
    if not as_json:
        if repair:
            info(f"repair: {plan.ref} {plan.version} is fetched, verified and placed again")
        render_plan(plan.to_dict())
    confirm = None
    if plan.risk is None:  # a URL: its requests are known once the download is verified
        confirm = _confirm_when_verified(yes, as_json)
    else:
        confirm_or_exit("Install it?", yes)
    result = run_install(
        plan,
        accept_new_key=accept_new_key,
        progress=progress_to_stderr(),
        confirm=confirm,
        force=force,
        action="repair" if repair else "install",
    )
    if as_json:
        emit_json({"ok": True, "installed": True, "repaired": repair, **result.to_dict()})
        return
    if repair:
        echo(f"Repaired {result.ref} {result.version}: store file and cache tree verified again")
        return
    echo(
        f"Installed {result.ref} {result.version} (disabled). Grant with: plugin enable {result.ref}"
    )
