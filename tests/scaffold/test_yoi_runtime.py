"""The generated Yoi project's tests/yoi_runtime.py stops a call where Yoi does: at its second per
tool call or ingress event (PLUGIN_WASM_TIMEOUT, PLUGIN_SERVICE_INGRESS_DISPATCH_TIMEOUT), at
its fuel, and at a memory.grow past 2 MiB (trap_on_grow_failure), and the project's tests fail
naming Yoi's limit. Each case changes the generated src/plugin.wat, rebuilds the component with
wasm-tools and runs the project's pytest as its author would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from scaffold.helpers import own_tests

from plugin_kit.components.build import build_component

# The first line of the shout tool's body (shout.wat), where a case puts its change.
SHOUT = "(local $value i32) (local $out i32) (local $at i32)"
# The instance template's handle-ingress counts the event first.
INGRESS = "(global.set $events (i32.add (global.get $events) (i32.const 1)))"
SPIN = "(loop $spin (br $spin))"  # no host call, no exit: only fuel or the timeout end it
FUEL_TO_SPARE = 10**15  # as a slow machine or a Yoi with more fuel: the second comes first
TOOL_EXPORT = {"tool": "call", "instance": "handle-tool"}


def _kind(project: Path) -> str:
    return project.name.removeprefix("demo-")


def _changed(scaffold: Path, tmp_path: Path, anchor: str, addition: str) -> Path:
    """A copy of the generated project whose WAT runs `addition` after `anchor`, rebuilt."""
    project = tmp_path / scaffold.name
    shutil.copytree(scaffold, project)
    wat = project / "src" / "plugin.wat"
    text = wat.read_text(encoding="utf-8")
    assert text.count(anchor) == 1, anchor
    wat.write_text(text.replace(anchor, f"{anchor} {addition}"), encoding="utf-8")
    build_component(wat, project / "wit", _kind(project), project / "plugin.component.wasm")
    return project


def test_a_tool_call_past_yois_second_fails_naming_its_timeout(yoi_scaffold, tmp_path):
    project = _changed(yoi_scaffold, tmp_path, SHOUT, SPIN)
    export = TOOL_EXPORT[_kind(project)]
    (project / "tests" / "test_spin.py").write_text(f'''
from yoi_runtime import Plugin

def test_spin_with_fuel_to_spare():
    Plugin(fuel={FUEL_TO_SPARE}).call("{export}", "shout", '{{"text": "x"}}')

def test_spin_with_yois_fuel():
    Plugin().call("{export}", "shout", '{{"text": "x"}}')

def test_the_next_call_gets_its_own_second():
    out = Plugin(fuel={FUEL_TO_SPARE}).call("{export}", "whisper", '{{"text": "x"}}')
    assert "unknown tool" in out
''')  # fmt: skip
    proc = own_tests(project, tmp_path, "tests/test_spin.py")
    out = proc.stdout
    assert proc.returncode == 1 and "2 failed, 1 passed" in out, out + proc.stderr
    assert (f"StoppedByYoi: {export} runs past Yoi's PLUGIN_WASM_TIMEOUT: timeout: stopped "
            "after ") in out and " ms of wall-clock time; the host allows 1000 (" in out  # fmt: skip
    assert (f"StoppedByYoi: {export} spent all 5000000 fuel units "
            "(Yoi's PLUGIN_WASM_FUEL: 5000000 a call)") in out  # fmt: skip


@pytest.mark.parametrize("yoi_scaffold", ["instance"], indirect=True)
def test_an_ingress_event_past_yois_second_fails_naming_its_timeout(yoi_scaffold, tmp_path):
    project = _changed(yoi_scaffold, tmp_path, INGRESS, SPIN)
    (project / "tests" / "test_spin.py").write_text(f'''
from yoi_runtime import Plugin

def test_spin():
    plugin = Plugin(fuel={FUEL_TO_SPARE})
    plugin.call("start", "{{}}")
    plugin.call("handle-ingress", "updates", "{{}}")
''')  # fmt: skip
    proc = own_tests(project, tmp_path, "tests/test_spin.py")
    assert proc.returncode == 1 and "1 failed" in proc.stdout, proc.stdout + proc.stderr
    assert ("StoppedByYoi: handle-ingress runs past Yoi's PLUGIN_SERVICE_INGRESS_DISPATCH_TIMEOUT: "
            "timeout: stopped after ") in proc.stdout  # fmt: skip


def _grow_to(pages: int) -> str:
    """Grow memory 0 to `pages` pages, ignoring memory.grow's answer (-1 when refused)."""
    return f"(drop (memory.grow (i32.sub (i32.const {pages}) (memory.size))))"


def test_a_memory_grow_past_2_mib_fails_as_yoi_traps_it(yoi_scaffold, tmp_path):
    """Python's wasmtime answers -1 and the component would go on; Yoi traps."""
    project = _changed(yoi_scaffold, tmp_path, SHOUT, _grow_to(33))
    proc = own_tests(project, tmp_path, "tests/test_component.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    export = TOOL_EXPORT[_kind(project)]
    assert (f"StoppedByYoi: {export} grows past Yoi's store limits, where Yoi traps "
            "(trap_on_grow_failure): memory_bytes: memory.grow asked for 2162688 bytes of "
            "memory; the host allows 2097152 (65536 over)") in proc.stdout  # fmt: skip


def test_a_memory_grow_to_2_mib_runs(yoi_scaffold, tmp_path):
    project = _changed(yoi_scaffold, tmp_path, SHOUT, _grow_to(32))
    proc = own_tests(project, tmp_path, "tests/test_component.py")
    assert proc.returncode == 0 and "warning" not in proc.stdout, proc.stdout + proc.stderr


# A component whose one memory is 64-bit: its memory.grow takes an i64, which the guard leaves
# to the store (plugin_kit.dev.component_grow).
WIDE_MEMORY = """(component
  (core module $m
    (memory i64 1)
    (func (export "f") (result i32) (drop (memory.grow (i64.const 40))) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func (export "f") (result u32) (canon lift (core func $i "f"))))
"""


@pytest.mark.parametrize("yoi_scaffold", ["tool"], indirect=True)
def test_a_grow_the_guard_cannot_reach_is_warned_about(yoi_scaffold, tmp_path):
    from wasmtime import wat2wasm

    project = tmp_path / "p"
    shutil.copytree(yoi_scaffold, project)
    (project / "plugin.component.wasm").write_bytes(bytes(wat2wasm(WIDE_MEMORY)))
    (project / "tests" / "test_wide.py").write_text("""
from yoi_runtime import Plugin

def test_loads():
    plugin = Plugin()
    assert plugin.instance.get_func(plugin.store, "f") is not None
""")  # fmt: skip
    proc = own_tests(project, tmp_path, "tests/test_wide.py")
    assert proc.returncode == 0 and "1 passed, 1 warning" in proc.stdout, proc.stdout
    assert ("memory_grow not guarded: a module with a 64-bit memory: past Yoi's limit it "
            "answers -1 here, where Yoi traps") in proc.stdout  # fmt: skip


def test_the_template_imports_only_the_stable_names_of_ours() -> None:
    """Generated projects keep their tests/yoi_runtime.py until --update: what it imports of
    ours comes from plugin_kit.dev.project_runtime, whose names stay across releases."""
    import ast

    import plugin_kit
    from plugin_kit.dev import project_runtime

    template = Path(plugin_kit.__file__).parent / "templates/_shared/yoi/tests/yoi_runtime.py"
    ours = [
        node
        for node in ast.walk(ast.parse(template.read_text()))
        if isinstance(node, ast.ImportFrom | ast.Import)
        and any(
            name.startswith("plugin_kit")
            for name in ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                         [a.name for a in node.names])
        )
    ]  # fmt: skip
    assert ours, "the template imports nothing of ours"
    for node in ours:
        assert isinstance(node, ast.ImportFrom), ast.dump(node)
        assert node.module == "plugin_kit.dev.project_runtime", node.module
        assert {a.name for a in node.names} <= set(project_runtime.__all__)
