"""The hooks file: parsed, checked with file and field in every error, matched against events."""

from __future__ import annotations

import pytest
from dev.plugins import HOOKS

from plugin_kit.dev.hooksfile import HookSet, parse_hooks, verdict
from plugin_kit.errors import DevError


def hookset(text: str) -> HookSet:
    return HookSet(parse_hooks(text.encode(), file="hooks.toml"))


def test_lists_hooks_in_file_order():
    hooks = hookset(HOOKS).describe()
    assert [(h["name"], h["event"], h["action"]) for h in hooks] == [
        ("no-rm-rf", "pre_tool_use", "deny"),
        ("remind", "session_start", "context"),
    ]


def test_deny_matches_tool_and_pattern():
    out = hookset(HOOKS).run(
        {"event": "pre_tool_use", "tool": "shell", "input": {"command": "rm -rf /"}}
    )
    assert [o.to_dict() for o in out] == [
        {"hook": "no-rm-rf", "action": "deny", "message": "rm -rf is not allowed", "context": None}
    ]


@pytest.mark.parametrize(
    "event",
    [
        {"event": "pre_tool_use", "tool": "shell", "input": {"command": "ls"}},
        {"event": "pre_tool_use", "tool": "python", "input": {"command": "rm -rf /"}},
        {"event": "post_tool_use", "tool": "shell", "input": {"command": "rm -rf /"}},
    ],
)
def test_no_match(event):
    assert hookset(HOOKS).run(event) == []


def test_context_hook_on_session_start():
    out = hookset(HOOKS).run({"event": "session_start"})
    assert [(o.hook, o.context) for o in out] == [("remind", "Be brief.")]


def test_unknown_event_is_refused():
    with pytest.raises(DevError) as err:
        hookset(HOOKS).run({"event": "reboot"})
    assert err.value.rule == "hooks-unknown-event"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("[[hooks]\n", "hooks.toml"),
        ('hooks = "x"', "hooks.toml: hooks"),
        ("hooks = [1]", "hooks.toml: hooks[0]"),
        ('[[hooks]]\nevent = "reboot"\naction = "deny"', "hooks.toml: hooks[0].event"),
        ('[[hooks]]\nevent = "pre_tool_use"\naction = "explode"', "hooks.toml: hooks[0].action"),
        (
            '[[hooks]]\nevent = "pre_tool_use"\naction = "deny"\nrun = "rm -rf /"',
            "hooks.toml: hooks[0].run",
        ),
        (
            '[[hooks]]\nevent = "pre_tool_use"\naction = "deny"\npattern = "(["',
            "hooks.toml: hooks[0].pattern",
        ),
        (
            '[[hooks]]\nevent = "pre_tool_use"\naction = "deny"\ntool = 3',
            "hooks.toml: hooks[0].tool",
        ),
        ('[[hooks]]\nevent = "session_start"\naction = "context"', "hooks.toml: hooks[0].context"),
    ],
)
def test_hostile_hooks_files_name_file_and_field(text, place):
    with pytest.raises(DevError) as err:
        parse_hooks(text.encode(), file="hooks.toml")
    assert err.value.rule == "hooks-invalid"
    assert err.value.place == place


def test_not_utf8_is_refused():
    with pytest.raises(DevError) as err:
        parse_hooks(b"\xff\xfe[[hooks]]", file="hooks.toml")
    assert err.value.place == "hooks.toml"


def test_verdict_first_deny_or_allow_decides_and_contexts_add_up():
    text = HOOKS + '\n[[hooks]]\nname = "ok"\nevent = "pre_tool_use"\naction = "allow"\n'
    text += '\n[[hooks]]\nname = "why"\nevent = "pre_tool_use"\naction = "context"\ncontext = "careful"\n'
    hooks = hookset(text)
    denied = verdict(
        hooks.run({"event": "pre_tool_use", "tool": "shell", "input": {"command": "rm -rf /"}})
    )
    assert denied == {"decision": "deny", "message": "rm -rf is not allowed", "context": ["careful"],
                      "matched": ["no-rm-rf", "ok", "why"]}  # fmt: skip
    allowed = verdict(
        hooks.run({"event": "pre_tool_use", "tool": "shell", "input": {"command": "ls"}})
    )
    assert allowed["decision"] == "allow" and allowed["matched"] == ["ok", "why"]
    assert verdict([])["decision"] is None
