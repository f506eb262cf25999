"""A warm Python for the next MCP reload: started ahead, the `mcp` SDK already imported, told what to run.

Importing the SDK is most of a Python MCP server's start-up (about a second on a busy 2-core machine),
and it is the same on every reload. So after each load the dev host starts one spare interpreter with
the plugin's exact environment; on the next reload it writes one line (folder, argv, module or script)
and the spare runs the new code as `python -m MODULE` or `python SCRIPT` would. A command that is not
plain `python -m MODULE ...` or `python FILE.py ...`, or a changed environment, starts cold as before.
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = ["WarmPool", "Spare", "spare_spec"]

BOOTSTRAP = """\
import json, os, runpy, sys
try:
    import mcp.server.mcpserver  # the SDK import is most of a server's start-up
except ImportError:
    pass
line = b""
while not line.endswith(b"\\n"):
    chunk = os.read(0, 1)  # byte by byte: what follows the line belongs to the server
    if not chunk:
        sys.exit(0)
    line += chunk
spec = json.loads(line)
os.chdir(spec["cwd"])
sys.argv = spec["argv"]
if spec.get("module"):
    sys.path[0] = spec["cwd"]
    runpy.run_module(spec["module"], run_name="__main__", alter_sys=True)
else:
    sys.path[0] = os.path.dirname(os.path.abspath(spec["script"]))
    runpy.run_path(spec["script"], run_name="__main__")
"""


def spare_spec(argv: list[str], cwd: Path) -> bytes | None:
    """The line a spare needs to run `argv` in `cwd`, or None when a spare cannot stand in for it."""
    if len(argv) < 2 or argv[0] != sys.executable:
        return None
    if argv[1] == "-m" and len(argv) >= 3:
        spec = {"cwd": str(cwd), "module": argv[2], "argv": [argv[2], *argv[3:]]}
    elif argv[1].endswith(".py"):
        spec = {"cwd": str(cwd), "script": argv[1], "argv": argv[1:]}
    else:
        return None
    return json.dumps(spec).encode() + b"\n"


@dataclass
class Spare:
    env: dict[str, str]
    process: Any
    stderr: IO[bytes]


class WarmPool:
    """The shared event loop of the host's MCP sessions, and at most one spare interpreter."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._portal: Any = None
        self._spare: Spare | None = None
        self._neutral: Path | None = None

    @property
    def portal(self) -> Any:
        if self._portal is None:
            from anyio.from_thread import start_blocking_portal

            self._portal = self._stack.enter_context(start_blocking_portal())
        return self._portal

    @property
    def neutral(self) -> Path:
        """An empty folder of our own for the spare to start in: with `-c`, the starting folder is
        first on sys.path, and the dev host's (the project's) modules must not shadow the SDK."""
        if self._neutral is None:
            self._neutral = Path(
                self._stack.enter_context(tempfile.TemporaryDirectory(prefix="plugin-dev-spare-"))
            )
        return self._neutral

    def take(self, env: dict[str, str]) -> Spare | None:
        """The spare if it was started with exactly this environment and is still alive."""
        spare, self._spare = self._spare, None
        if spare is None:
            return None
        if spare.env == env and spare.process.returncode is None:
            return spare
        self._discard(spare)
        return None

    def prepare(self, env: dict[str, str]) -> None:
        """Start a spare for the next reload (cheap: the import runs in the child meanwhile)."""
        if self._spare is not None:
            return
        from plugin_kit.dev.adapters._stdio import spawn

        stderr = tempfile.TemporaryFile(prefix="plugin-dev-mcp-")
        try:
            argv = [sys.executable, "-c", BOOTSTRAP]
            cwd = self.neutral
            process = self.portal.call(lambda: spawn(argv, env=env, cwd=cwd, stderr=stderr))
        except BaseException:
            stderr.close()
            raise
        self._spare = Spare(dict(env), process, stderr)

    def _discard(self, spare: Spare) -> None:
        from plugin_kit.dev.adapters._stdio import kill_group, stop

        try:
            self.portal.call(stop, spare.process)
        except RuntimeError:
            kill_group(spare.process.pid)  # the event loop is gone (a forced stop)
        finally:
            spare.stderr.close()

    def close(self) -> None:
        spare, self._spare = self._spare, None
        try:
            if spare is not None:
                self._discard(spare)
        finally:
            self._portal = None
            self._neutral = None
            with suppress(RuntimeError):  # already dead after a forced stop: nothing left to stop
                self._stack.close()
