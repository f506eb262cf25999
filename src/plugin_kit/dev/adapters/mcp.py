"""mcp runtime: start the server over stdio with the `mcp` client, list and check its tools, call one.

The session lives on an anyio event loop in a portal thread, so the synchronous dev loop can call it.
The server gets only PATH-like basics and the declared secrets in its environment; its network, files
and child processes are not sandboxed here, and the capability report says so.
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import ExitStack, suppress
from functools import partial
from typing import IO, Any

from plugin_kit.dev.adapters._stdio import kill_group, server_process, stdio_transport
from plugin_kit.dev.adapters.base import CallResult, LoadContext, LoadedPlugin, ToolInfo
from plugin_kit.dev.hooksfile import load_hooks
from plugin_kit.dev.policy import BASE_ENV, CapabilityReport, Enforcement, requested, secret_env
from plugin_kit.errors import DevError

__all__ = ["load", "McpPlugin", "START_TIMEOUT", "CALL_TIMEOUT"]

START_TIMEOUT = 20.0
CALL_TIMEOUT = 30.0
_STDERR_TAIL = 2000


class McpPlugin(LoadedPlugin):
    """A running server and its session; close() ends the session and stops the process group."""

    def __init__(
        self, stack: ExitStack, portal: Any, client: Any, stderr: IO[bytes], **kw: Any
    ) -> None:
        super().__init__(**kw)
        self._stack = stack
        self._portal = portal
        self._client = client
        self._stderr = stderr

    def call(self, tool: str, arguments: dict[str, Any]) -> CallResult:
        self.require_tool(tool)
        try:
            result = self._portal.call(
                partial(self._client.call_tool, tool, arguments, read_timeout_seconds=CALL_TIMEOUT)
            )
        except Exception as exc:  # the SDK raises MCPError, pydantic and anyio errors alike
            raise DevError(
                f"calling {tool!r} failed: {exc}", rule="mcp-call-failed", place=f"tool {tool}"
            ) from exc
        return CallResult(
            tool, _output(result), is_error=bool(result.is_error), stderr=_tail(self._stderr)
        )

    def close(self) -> None:
        try:
            self._stack.close()
        except RuntimeError:
            # The session's event loop is gone (a forced stop): the process group still must not outlive us.
            kill_group(self.pid)


def _kill_unreaped(portal: Any, process: Any) -> None:
    """Kill the server's group unless it exited (an unreaped pid cannot have been reused), then
    reap it and close its pipes while the event loop still runs: a transport left for the garbage
    collector warns "Event loop is closed" from whatever code happens to be running then."""
    if process.returncode is None:
        kill_group(process.pid)
    with suppress(Exception):
        portal.call(process.aclose)


def _output(result: Any) -> Any:
    """structured_content when the server sent it, else the text parts (as JSON where they parse)."""
    if result.structured_content is not None:
        return result.structured_content
    texts = [getattr(c, "text", None) for c in result.content]
    values = []
    for text in texts:
        try:
            values.append(json.loads(text) if text is not None else None)
        except ValueError:
            values.append(text)
    return values[0] if len(values) == 1 else values


def _tail(stderr: IO[bytes]) -> str:
    stderr.seek(0, 2)
    size = stderr.tell()
    stderr.seek(max(size - _STDERR_TAIL, 0))
    return stderr.read().decode("utf-8", "replace")


def _argv(ctx: LoadContext) -> list[str]:
    command = [str(a) for a in ctx.manifest.runtime_section.get("command", [])]
    # `python` in a manifest means "a Python with the mcp SDK": in the dev host that is our own.
    if command and command[0] in ("python", "python3"):
        command[0] = sys.executable
    return command


def _check_tools(ctx: LoadContext, offered: list[ToolInfo]) -> None:
    declared = {t["name"] for t in ctx.manifest.tools}
    names = {t.name for t in offered}
    if declared - names:
        raise DevError(
            "declared in [[tools]] but not offered by the server: "
            + ", ".join(sorted(declared - names)),
            rule="mcp-tool-missing",
            place="plugin.toml: tools",
            hint="Implement the tool in the server or remove it from [[tools]].",
        )
    if names - declared:
        raise DevError(
            "offered by the server but not declared in [[tools]]: "
            + ", ".join(sorted(names - declared)),
            rule="mcp-tool-undeclared",
            place="plugin.toml: tools",
            hint="Add a [[tools]] entry; the host exposes declared tools only.",
        )


def _report(ctx: LoadContext, env_names: list[str], withheld: int) -> CapabilityReport:
    asked = requested(ctx.manifest.capabilities)
    native = "the server is a native process; the dev host does not sandbox"
    items = [
        Enforcement(
            "secrets",
            asked["secrets"],
            True,
            f"environment holds only {', '.join(env_names) or 'nothing'}; "
            f"{withheld} undeclared host variable(s) withheld",
        ),
        Enforcement(
            "filesystem",
            asked["filesystem"],
            False,
            f"{native} its files (cwd is the read-only package)",
        ),
        Enforcement("network", asked["network"], False, f"{native} its network"),
        Enforcement("process", asked["process"], False, f"{native} the processes it starts"),
    ]
    if asked["rate_limits"]:
        items.append(
            Enforcement("rate_limits", asked["rate_limits"], False, f"{native} its outbound rate")
        )
    return CapabilityReport(env_passed=env_names, env_withheld=withheld, items=items)


def _server(ctx: LoadContext, portal: Any, env: dict[str, str]) -> tuple[Any, bytes, IO[bytes]]:
    """A warm spare told what to run when one fits, else a cold start: (process, its orders, its stderr)."""
    from plugin_kit.dev.adapters._stdio import spawn
    from plugin_kit.dev.adapters._warm import spare_spec

    argv = _argv(ctx)
    cwd = ctx.package_dir / str(ctx.manifest.runtime_section.get("cwd", "."))
    orders = spare_spec(argv, cwd)
    spare = ctx.warm.take(env) if ctx.warm is not None and orders else None
    if spare is not None and orders:
        return spare.process, orders, spare.stderr
    stderr = tempfile.TemporaryFile(prefix="plugin-dev-mcp-")
    try:
        return portal.call(lambda: spawn(argv, env=env, cwd=cwd, stderr=stderr)), b"", stderr
    except BaseException:
        stderr.close()
        raise


def _connect(stack: ExitStack, portal: Any, started: Any, orders: bytes) -> tuple[Any, Any]:
    """Own the process, open the transport and complete the MCP handshake: (process, client)."""
    from mcp import Client

    process = stack.enter_context(
        portal.wrap_async_context_manager(server_process(started, orders))
    )
    streams = stack.enter_context(portal.wrap_async_context_manager(stdio_transport(process)))
    client = Client(_Streams(streams), read_timeout_seconds=START_TIMEOUT, cache=None)
    stack.enter_context(portal.wrap_async_context_manager(client))
    return process, client


class _Streams:
    """A Transport over streams that are already open (their owner closes them)."""

    def __init__(self, streams: tuple[Any, Any]) -> None:
        self._streams = streams

    async def __aenter__(self) -> tuple[Any, Any]:
        return self._streams

    async def __aexit__(self, *exc: object) -> None:
        return None


def _unwrap(exc: BaseException) -> BaseException:
    """The error inside anyio's task-group wrapper ("unhandled errors in a TaskGroup")."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _start_failed(ctx: LoadContext, exc: BaseException, tail: str) -> DevError:
    """The server's own words (its stderr), naming the author's files rather than the cache copy."""
    cause = _unwrap(exc)
    what = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    text = f"the MCP server did not start ({what})" + (f"\n{tail.strip()}" if tail.strip() else "")
    command = " ".join(str(a) for a in ctx.manifest.runtime_section.get("command", []))
    folder = ctx.source_dir or ctx.package_dir
    return DevError(
        ctx.authors_path(text),
        rule="mcp-start-failed",
        place=f"{folder / 'plugin.toml'}: runtime.command",
        hint=f"run `{command}` in {folder} to see why",
    )


def load(ctx: LoadContext) -> McpPlugin:
    """Start the server, complete the handshake, list tools and check them against [[tools]]."""
    secrets = list(requested(ctx.manifest.capabilities)["secrets"])  # type: ignore[call-overload]
    env, withheld = secret_env(secrets, ctx.environ, base=BASE_ENV)
    # Our own marker, not the user's: keeps Python from writing bytecode into the read-only cache.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    stack = ExitStack()
    stderr: IO[bytes] | None = None
    try:
        if ctx.warm is not None:
            portal = ctx.warm.portal
        else:
            from anyio.from_thread import start_blocking_portal

            portal = stack.enter_context(start_blocking_portal())
        started, orders, stderr = _server(ctx, portal, env)
        stack.callback(stderr.close)
        # Runs last: a forced Ctrl-C before the transport owns the process must not orphan it.
        stack.callback(_kill_unreaped, portal, started)
        process, client = _connect(stack, portal, started, orders)
        listed = portal.call(client.list_tools)
        tools = [ToolInfo(t.name, t.description or "", t.input_schema) for t in listed.tools]
        _check_tools(ctx, tools)
        hooks = load_hooks(ctx.package_dir, ctx.manifest)
    except BaseException as exc:
        tail = _tail(stderr) if stderr is not None else ""
        stack.close()
        if isinstance(exc, DevError | KeyboardInterrupt | SystemExit):
            raise
        raise _start_failed(ctx, exc, tail) from exc
    if ctx.warm is not None:
        ctx.warm.prepare(env)
    return McpPlugin(
        stack,
        portal,
        client,
        stderr,
        runtime="mcp",
        tools=tools,
        hooks=hooks,
        capabilities=_report(ctx, sorted(env), withheld),
        pid=process.pid,
        details={"command": ctx.manifest.runtime_section.get("command")},
    )
