"""The host's wall-clock timeout for a component call, by wasmtime epoch interruption.

Yoi gives a tool call 1 s (`tokio::time::timeout(PLUGIN_WASM_TIMEOUT, ...)`) and fails an ingress
dispatch that took longer than 1 s (HareK02/yoi crates/worker/src/feature/plugin.rs @ b12e0785).
The dev host's engine has epoch interruption on: a call's store gets a deadline of one epoch,
and one watchdog thread per engine increments the epoch when the armed call's time is up, so the
component traps at its next function entry or loop. A call that spends its time in a host call
traps as soon as it is back in WebAssembly; the caller also measures the wall clock, so a call
that returns late is caught too. The dev host makes one call at a time: one deadline is armed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["NEVER", "Watchdog"]

# Epochs: the deadline of a call without a timeout (the epoch moves on timeouts only).
NEVER = 1 << 40


class Watchdog:
    """Increments `engine`'s epoch when the armed deadline passes; idle (waiting) otherwise."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._wake = threading.Condition()
        self._deadline: float | None = None
        threading.Thread(target=self._run, name="yoi-dev-timeout", daemon=True).start()

    @contextmanager
    def armed(self, seconds: float) -> Iterator[None]:
        """Interrupt the engine's running component `seconds` from now, unless the block ends first."""
        with self._wake:
            self._deadline = time.monotonic() + seconds
            self._wake.notify()
        try:
            yield
        finally:
            with self._wake:
                self._deadline = None
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                if self._deadline is None:
                    self._wake.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                self._deadline = None
                self._engine.increment_epoch()
