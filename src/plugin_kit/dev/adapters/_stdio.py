"""A started MCP server process and the stdio transport over its pipes.

The SDK's stdio_client spawns the process itself and hides it; the dev host needs the process in hand
to pass an exact environment (no inherited HOME or USER), to report its pid, and to stop it on reload
and exit whatever the session's state. Framing is the MCP stdio transport: one JSON-RPC message a line.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import IO, Any

__all__ = ["spawn", "stop", "kill_group", "server_process", "stdio_transport", "STOP_GRACE"]

# Seconds a server gets to exit after its stdin closes, and after SIGTERM, before it is killed.
STOP_GRACE = 0.5


async def spawn(argv: Sequence[str], *, env: dict[str, str], cwd: Path, stderr: IO[bytes]) -> Any:
    """Start a process in its own process group (so stopping it reaches its children too)."""
    import anyio

    return await anyio.open_process(
        list(argv), env=env, cwd=str(cwd), stderr=stderr, start_new_session=sys.platform != "win32"
    )


@asynccontextmanager
async def server_process(process: Any, first_line: bytes = b"") -> AsyncIterator[Any]:
    """Own a started server: send `first_line` (a warm spare's orders); on exit stop the whole group."""
    try:
        if first_line:
            await process.stdin.send(first_line)
        yield process
    finally:
        import anyio

        with anyio.CancelScope(shield=True):
            await stop(process)


def kill_group(pid: int | None) -> None:
    """SIGKILL a server's process group without an event loop; the last resort of a forced stop."""
    import os
    import signal

    if pid is not None and sys.platform != "win32":
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


async def stop(process: Any) -> None:
    """Close stdin, wait briefly, then SIGTERM and SIGKILL the process group."""
    import anyio
    from mcp.os.posix.utilities import terminate_posix_process_tree

    with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
        await process.stdin.aclose()
    with anyio.move_on_after(STOP_GRACE):
        while process.returncode is None:
            await anyio.sleep(0.01)
    if process.returncode is None:
        await terminate_posix_process_tree(process, STOP_GRACE)
    with anyio.move_on_after(STOP_GRACE):
        await process.wait()
    with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
        await process.stdout.aclose()


@asynccontextmanager
async def stdio_transport(process: Any) -> AsyncIterator[tuple[Any, Any]]:
    """(read, write) streams of SessionMessage over the process's stdout and stdin."""
    import anyio
    import mcp_types
    from mcp.shared.message import SessionMessage

    read_send, read_recv = anyio.create_memory_object_stream[Any](0)
    write_send, write_recv = anyio.create_memory_object_stream[Any](0)

    async def reader() -> None:
        buffer = b""
        async with read_send:
            with suppress(anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
                async for chunk in process.stdout:
                    *lines, buffer = (buffer + chunk).split(b"\n")
                    for line in filter(None, lines):
                        try:
                            item: Any = SessionMessage(
                                mcp_types.jsonrpc_message_adapter.validate_json(line)
                            )
                        except ValueError as exc:
                            item = exc
                        await read_send.send(item)

    async def writer() -> None:
        async with write_recv:
            with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                async for message in write_recv:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await process.stdin.send(data.encode() + b"\n")

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        tg.start_soon(writer)
        try:
            yield read_recv, write_send
        finally:
            tg.cancel_scope.cancel()
