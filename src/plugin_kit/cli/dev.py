"""`plugin dev`: build, install into the workspace store and load into the dev host, once or on every change."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import click

from plugin_kit.cli._output import echo, emit_json_line, info
from plugin_kit.errors import UsageError


def _json_arg(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{what} is not valid JSON: {exc}", rule="usage", place=what) from exc


def _event_file(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()  # json.loads detects UTF-8/16/32; bad bytes are a ValueError
    except OSError as exc:
        raise UsageError(
            f"cannot read the event file: {exc.strerror}", rule="usage", place=str(path)
        ) from exc
    event = _json_arg(data, str(path))
    if not isinstance(event, dict):
        raise UsageError("the event must be a JSON object", rule="usage", place=str(path))
    return event


def _phases(ms: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in ms.items() if k != "total")


def _short(digest: str | None) -> str:
    return (digest or "")[:19] + "…" if digest else "nothing"


def _status_lines(d: dict[str, Any]) -> list[str]:
    """One line per cycle (and an error's hint), as a person reads it."""
    ms = d.get("ms", {})
    changed = f"{', '.join(d['changed'])} changed → " if d.get("changed") else ""
    if d["event"] == "reloaded":
        offers = d.get("offers") or {}
        tools = ", ".join(t["name"] for t in offers.get("tools", [])) or "none"
        return [f"{changed}reloaded {d['id']} {d['version']} {_short(d['digest'])} in {ms.get('total', 0):g} ms "
                f"({_phases(ms)}): tools {tools}; hooks {len(offers.get('hooks', []))}"]  # fmt: skip
    if d["event"] == "unchanged":
        return [f"{changed}package unchanged ({_short(d['digest'])}), nothing to reload"]
    err = d["error"]
    where = f" at {err['place']}" if err.get("place") else ""
    still = f"; still serving {_short(d.get('loaded'))}" if d.get("loaded") else ""
    hint = [f"  hint: {err['hint']}"] if err.get("hint") else []
    # A message of several lines (a server's traceback): the first on the status line, the rest
    # indented below it, each a line of its own.
    first, *more = str(err["message"]).split("\n")
    return [
        f"{changed}error in {err['phase']} [{err['rule']}]{where}: {first}{still}",
        *(f"  | {line}" for line in more),
        *hint,
    ]


def _component_lines(offers: dict[str, Any]) -> list[str]:
    """A component's world, the host APIs it imports (granted or denied) and the host limits."""
    lines = [f"  world  {offers['world']} ({offers.get('component')})"]
    if offers.get("grants_source"):
        lines.append(f"  grants {offers['grants_source']}")
    for api, r in (offers.get("host_apis") or {}).items():
        state = "granted " + "; ".join(r["grants"]) if r["granted"] else f"denied: {r['reason']}"
        lines.append(f"  api    {api} ({'imported' if r['imported'] else 'not imported'}): {state}")
    limits = offers.get("limits") or {}
    broken = "; ".join(b["message"] for b in limits.get("would_break", []))
    lines.append(
        f"  limits {limits.get('name')}" + (f"; the host would refuse: {broken}" if broken else "")
    )
    return lines


def _details(d: dict[str, Any]) -> list[str]:
    """What every reload shows beyond the status line: offers, grants, probe results."""
    offers = d.get("offers") or {}
    lines = _component_lines(offers) if "world" in offers else []
    lines += [f"  tool   {t['name']}: {t['description']}" for t in offers.get("tools", [])]
    lines += [
        f"  hook   {h['event']} {h.get('name', '')} → {h['action']}"
        for h in offers.get("hooks", [])
    ]
    caps = offers.get("capabilities") or {}
    for item in [] if "world" in offers else caps.get("items", []):
        mark = "enforced" if item["enforced"] else "NOT enforced"
        lines.append(
            f"  grant  {item['capability']} {json.dumps(item['requested'])}: {mark} ({item['detail']})"
        )
    if offers.get("pid"):
        lines.append(f"  pid    {offers['pid']}")
    for key, value in (d.get("probe") or {}).items():
        lines.append(f"  {key:<6} {json.dumps(value, sort_keys=True)}")
    return lines


def _graceful_stop(stop: threading.Event) -> list[Any]:
    """Ctrl-C or SIGTERM: finish the running cycle, then stop; a second one stops at once.

    A KeyboardInterrupt raised in the middle of a reload could land inside an MCP session's
    shutdown and leave its event loop dead; the flag lets the cycle end cleanly instead.
    """

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    return [signal.signal(signal.SIGINT, handler), signal.signal(signal.SIGTERM, handler)]


@click.command()
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path), default="."
)
@click.option(
    "--watch", "watch_", is_flag=True, help="Rebuild and reload on every change until Ctrl-C."
)
@click.option(
    "--poll", is_flag=True, help="Poll for changes (automatic on WSL); for network and VM mounts."
)
@click.option("--call", "tool", metavar="TOOL", help="Call this tool after each load.")
@click.option(
    "--input", "input_json", metavar="JSON", help="Arguments for --call, as a JSON object."
)
@click.option("--event", "event_file", type=click.Path(dir_okay=False, path_type=Path),
              help="After each load, run the hooks against this event (a JSON file); for a Yoi "
                   "instance-world component, send it to handle-ingress.")  # fmt: skip
@click.option("--grant", "grants", multiple=True, metavar="KIND=VALUE",
              help="Yoi components: grant a host API (repeatable): fs=ROOT[:read,list,write], "
                   "request=URL|requested, websocket=URL|requested. Only these apply; without "
                   "one, what Yoi's Profile grants the plugin applies.")  # fmt: skip
@click.option("--profile", metavar="NAME",
              help="Yoi components, without --grant: take the grants from this Yoi Profile "
                   "(user:NAME, NAME or path:FILE); default: the one Yoi selects.")  # fmt: skip
@click.option("--fixtures", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Yoi components: answers for granted requests and WebSockets, a JSON object "
                   "from URL (or 'METHOD URL') to a response. The dev host never reaches the network.")  # fmt: skip
@click.option("--upstream", metavar="URL",
              help="Yoi components: send granted requests without a fixture to this loopback "
                   "HTTP server (http://127.0.0.1:PORT, [::1] or localhost; nothing else).")  # fmt: skip
@click.option("--limits", type=click.Choice(["host", "relaxed"]), default="host", show_default=True,
              help="Yoi components: the host's runtime limits, or lifted (breaks are still reported).")  # fmt: skip
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path),
              help="Workspace whose store receives the build (Insomnia plugins; default: the plugin folder).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON event per line on stdout.")
def dev(
    directory: Path,
    watch_: bool,
    poll: bool,
    tool: str | None,
    input_json: str | None,
    event_file: Path | None,
    grants: tuple[str, ...],
    profile: str | None,
    fixtures: Path | None,
    upstream: str | None,
    limits: str,
    workspace: Path | None,
    as_json: bool,
) -> None:
    """Validate, build, pack, install into the workspace store and load into the dev host.

    Only this plugin is loaded, with exactly the capabilities it requests; the report says
    which of them the dev host could not enforce. A failed change keeps the last good version
    loaded. Ctrl-C stops the loop and the plugin's processes.

    A Yoi component is not installed: it is built, copied into the digest-keyed cache and loaded
    from there, and runs as the Yoi host runs it: only its host APIs linked, each call checked
    against the --grant items (without any: the grants of its entry in Yoi's Profile), within
    the host's limits (--limits relaxed lifts them). Each reload says where the grants came from.
    A granted request is answered from --fixtures, else by the --upstream loopback server.

    \b
    Examples:
      plugin dev                          # once: build, load, show tools, hooks and grants
      plugin dev --watch                  # reload on every save
      plugin dev --watch --json           # one JSON event per line, for editors
      plugin dev --call get_forecast --input '{"place": "Oslo"}'
      plugin dev --event examples/pre_tool_use.json   # in a project made with --runtime hooks
      plugin dev --call read --input '{"path": "notes.txt"}' --grant fs=.:read
      plugin dev --call fetch --grant request=requested --fixtures fixtures.json --limits relaxed
      plugin dev --call fetch --grant request=requested --upstream http://127.0.0.1:8080
      plugin dev --call read --profile user:work       # the grants Yoi's Profile 'work' gives it
    """
    from plugin_kit.dev.adapters.base import HostOptions
    from plugin_kit.dev.component_host import load_fixtures
    from plugin_kit.dev.component_request import parse_upstream
    from plugin_kit.dev.session import DevSession, Probe
    from plugin_kit.dev.watch import polling_mode
    from plugin_kit.dev.watch import watch as watch_loop

    if watch_ and not (directory / "plugin.toml").is_file():
        # Without a manifest there is no project to bound the watch: it would watch the whole tree.
        raise UsageError(
            f"{directory} has no plugin.toml: nothing to watch",
            rule="dev.no-manifest",
            place=str(directory),
            hint="run plugin dev in the plugin's folder (or pass it), or make one with create-plugin",
        )
    if profile and grants:
        raise UsageError("--profile names where the grants come from without --grant; with "
                         "--grant only the --grant items apply", rule="usage", place="--profile",
                         hint="Drop one of them.")  # fmt: skip
    if input_json is not None and not tool:
        raise UsageError("--input needs --call TOOL", rule="usage", place="--input")
    arguments = _json_arg(input_json, "--input") if input_json is not None else {}
    if not isinstance(arguments, dict):
        raise UsageError("--input must be a JSON object", rule="usage", place="--input")
    probe = Probe(tool, arguments, _event_file(event_file) if event_file else None)
    options = HostOptions(grants, load_fixtures(fixtures) if fixtures else {}, limits,
                          upstream=parse_upstream(upstream) if upstream else None,
                          profile=profile)  # fmt: skip
    session = DevSession(directory, workspace=workspace, probe=probe, options=options)

    outcome: list[Any] = []

    def emit(event: Any) -> None:
        d = event.to_dict()
        outcome[:] = [event]
        if as_json:
            emit_json_line(d)
        else:
            failed = d["event"] == "error"  # errors go to stderr, as every command's do
            for line in _status_lines(d):
                echo(line, err=failed)
            for line in _details(d):
                echo(line)
            for failure in event.probe_failures():
                echo(f"  probe failed: {failure}", err=True)

    # Installed explicitly: a background job starts with SIGINT ignored, and the loop must still stop.
    stop = threading.Event()
    previous = _graceful_stop(stop)
    try:
        if watch_:
            why = polling_mode(poll)
            if as_json:
                emit_json_line({"event": "watching", "path": str(session.project), "polling": why})
            else:
                info(
                    f"watching {session.project}"
                    + (f" (polling: {why})" if why else "")
                    + "; Ctrl-C stops"
                )
            watch_loop(session, emit, polling=why is not None, stop_event=stop)
        else:
            session.cycle(emit)
    except KeyboardInterrupt:
        if not watch_:
            raise
    finally:
        try:
            session.close()
        finally:
            signal.signal(signal.SIGINT, previous[0])
            signal.signal(signal.SIGTERM, previous[1])
    if not watch_ and stop.is_set():
        raise KeyboardInterrupt
    if watch_:
        if as_json:
            emit_json_line({"event": "stopped"})
        else:
            info("stopped")
    elif outcome and (outcome[0].event == "error" or outcome[0].probe_failures()):
        raise click.exceptions.Exit(1)  # a one-off run is a check: a failed probe fails it
