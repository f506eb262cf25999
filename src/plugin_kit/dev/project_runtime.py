"""What a generated Yoi project's tests import from the toolchain (the template's
`tests/yoi_runtime.py`): the dev host's engine, Yoi's limits, the timeout watchdog and the grow
guard. Projects keep their copy of that file until `create-plugin --update`, so these names stay
here across releases; the modules behind them may move (tests/scaffold/test_yoi_runtime.py
checks that the template imports nothing else of ours)."""

from __future__ import annotations

from plugin_kit.dev.adapters.component import engine
from plugin_kit.dev.component_grow import grow_break, guard_grows
from plugin_kit.dev.component_limits import HOST_LIMITS, LimitBreak
from plugin_kit.dev.component_timeout import NEVER, Watchdog

__all__ = ["engine", "grow_break", "guard_grows", "HOST_LIMITS", "LimitBreak", "NEVER", "Watchdog"]
