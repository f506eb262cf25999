"""Declarative hooks: parse and check a hooks file, list its hooks, and match one event against them.

No plugin code runs: a hook is data (event, tool glob, pattern, action), so the dev host evaluates it
the way the Insomnia host would. Every problem names the file and the field path.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plugin_kit.errors import DevError
from plugin_kit.links import docs_url

if TYPE_CHECKING:
    from plugin_kit.validators.manifest import Manifest

__all__ = [
    "Hook",
    "HookOutcome",
    "HookSet",
    "EVENTS",
    "parse_hooks",
    "load_hooks",
    "verdict",
]

EVENTS = ("pre_tool_use", "post_tool_use", "session_start", "session_end", "user_prompt_submit")


@dataclass(frozen=True)
class Hook:
    name: str
    event: str
    action: str
    file: str
    tool: str | None = None
    pattern: str | None = None
    message: str | None = None
    context: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def matches(self, event: Mapping[str, Any]) -> bool:
        if event.get("event") != self.event:
            return False
        if self.tool is not None and not fnmatch.fnmatchcase(str(_tool_name(event)), self.tool):
            return False
        return self.pattern is None or re.search(self.pattern, _subject(event)) is not None


@dataclass(frozen=True)
class HookOutcome:
    hook: str
    action: str
    message: str | None
    context: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "hook": self.hook,
            "action": self.action,
            "message": self.message,
            "context": self.context,
        }


@dataclass
class HookSet:
    """The hooks of one plugin, in file order."""

    hooks: list[Hook] = field(default_factory=list)

    def describe(self) -> list[dict[str, object]]:
        return [h.to_dict() for h in self.hooks]

    def run(self, event: Mapping[str, Any]) -> list[HookOutcome]:
        if event.get("event") not in EVENTS:
            raise DevError(
                f"unknown event {event.get('event')!r}",
                rule="hooks-unknown-event",
                place="event.event",
                hint="Use one of: " + ", ".join(EVENTS),
            )
        return [
            HookOutcome(h.name, h.action, h.message, h.context)
            for h in self.hooks
            if h.matches(event)
        ]


def verdict(outcomes: list[HookOutcome]) -> dict[str, object]:
    """What the host does with the matches: the first deny/allow decides; every context rule adds text."""
    decider = next((o for o in outcomes if o.action in ("deny", "allow")), None)
    return {
        "decision": decider.action if decider else None,
        "message": decider.message if decider else None,
        "context": [o.context for o in outcomes if o.action == "context"],
        "matched": [o.hook for o in outcomes],
    }


def _tool_name(event: Mapping[str, Any]) -> object:
    return event.get("tool", event.get("tool_name", ""))


def _subject(event: Mapping[str, Any]) -> str:
    """What a pattern is searched in: the tool input, the prompt, or the output, as text."""
    for key in ("input", "tool_input", "prompt", "output", "tool_output"):
        if key in event:
            value = event[key]
            return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return ""


def _problem(message: str, place: str) -> DevError:
    return DevError(
        message,
        rule="hooks-invalid",
        place=place,
        hint=f"Fix the hooks file; see {docs_url('authoring.md', 'The hooks file')}.",
    )


def parse_hooks(data: bytes, *, file: str) -> list[Hook]:
    """The hooks of one file; raises DevError naming the file and field on the first problem.

    The checks are validation's (validators/hooks.py), so `plugin dev` and `plugin validate` agree.
    """
    from plugin_kit.validators.hooks import hook_tables

    tables, problems = hook_tables(data, file=file)
    if problems:
        first = problems[0]
        raise _problem(first.message, f"{file}: {first.field}" if first.field else file)
    fields = ("event", "action", "tool", "pattern", "message", "context")
    return [
        Hook(
            file=file,
            name=t.get("name", f"{t['event']}#{i}"),
            **{k: t[k] for k in fields if k in t},
        )
        for i, t in enumerate(tables)
    ]


def load_hooks(package_dir: Path, manifest: Manifest) -> HookSet:
    """Hooks from the runtime file (hooks runtime) and every [[hooks]] file of the manifest, each file once."""
    files = [str(manifest.runtime_section["file"])] if manifest.runtime == "hooks" else []
    files += [str(h["file"]) for h in manifest.hooks if h["file"] not in files]
    hooks: list[Hook] = []
    for rel in dict.fromkeys(files):
        try:
            data = (package_dir / rel).read_bytes()
        except OSError as exc:
            raise _problem(f"cannot read hooks file: {exc.strerror}", rel) from exc
        hooks += parse_hooks(data, file=rel)
    return HookSet(hooks)
