"""The dev host running Yoi components: tool calls, grant-checked host APIs, the instance world,
the host's limits (host and relaxed), and failures that leave the component serving."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from pathlib import Path

import pytest
from dev.yoi_components import core_wat, yoi_project
from hypothesis import example, given, settings
from hypothesis import strategies as st

from plugin_kit.dev.adapters.base import HostOptions
from plugin_kit.dev.component_limits import HOST_LIMITS
from plugin_kit.dev.session import DevEvent, DevSession, Probe
from plugin_kit.errors import DevError

TOOLS = (
    "greet",
    "noop",
    "read",
    "dir",
    "put",
    "fetch",
    "spin",
    "trap",
    "big",
    "long",
    "work",
    "mem",
)
API = {"scheme": "https", "host": "api.example.com", "methods": ["GET"], "path_prefixes": ["/v1/"]}


def start(root: Path, probe: Probe | None = None, **options) -> tuple[DevSession, DevEvent]:
    session = DevSession(root, probe=probe or Probe(), options=HostOptions(**options))
    events: list[DevEvent] = []
    session.cycle(events.append)
    return session, events[-1]


@pytest.fixture
def sessions():
    opened: list[DevSession] = []

    def open_(root: Path, probe: Probe | None = None, **options) -> tuple[DevSession, DevEvent]:
        session, event = start(root, probe, **options)
        opened.append(session)
        return session, event

    yield open_
    for s in opened:
        s.close()


def tool_project(tmp_path: Path, *, imports: tuple[str, ...] = (), **kw) -> Path:
    return yoi_project(tmp_path / "plugin", core_wat("tool", imports=imports, **kw), tools=TOOLS,
                       apis=imports, request=(API,) if "request" in imports else ())  # fmt: skip


def test_tool_call_returns_the_components_output(tmp_path, sessions):
    arguments = {"place": 'Oslo "centre"', "days": 3}
    _, event = sessions(tool_project(tmp_path), Probe("greet", arguments))
    assert event.event == "reloaded", event.error
    assert event.digest and event.digest.startswith("sha256:")
    assert event.offers["world"] == "yoi:plugin/tool@1.0.0"
    assert [t["name"] for t in event.offers["tools"]] == list(TOOLS)
    assert event.probe["call"]["output"] == {"summary": "hello", "content": json.dumps(arguments)}
    limits = {
        "name": "host",
        "would_break": [],
        "memory_grow": "guarded",
        "table_grow": "no table.grow",
    }
    assert event.offers["limits"] == limits


def test_the_component_is_loaded_from_the_digest_keyed_cache(tmp_path, sessions):
    from plugin_kit.content.collect import SourceFile
    from plugin_kit.content.digest import content_digest
    from plugin_kit.hosts import YOI
    from plugin_kit.installer.paths import plugin_cache_dir

    _, event = sessions(tool_project(tmp_path))
    folder = plugin_cache_dir() / event.digest.removeprefix("sha256:")
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert "plugin.component.wasm" in files and "plugin.toml" in files
    assert "plugin-kit.toml" not in files  # the sidecar is never part of the package
    records = [
        SourceFile(f, folder / f, 0o644, (folder / f).stat().st_size).record() for f in files
    ]
    assert content_digest(records, YOI) == event.digest


def fs_tool(tmp_path: Path, sessions, operations: str):
    """A component importing fs, granted `operations` on tmp_path/granted: notes/today.txt, and a
    link `escape` to tmp_path, which holds secret.txt outside the root."""
    granted = tmp_path / "granted"
    (granted / "notes").mkdir(parents=True)
    (granted / "notes" / "today.txt").write_text("inside the root\n")
    (tmp_path / "secret.txt").write_text("outside the root\n")
    (granted / "escape").symlink_to(tmp_path)
    session, event = sessions(tool_project(tmp_path, imports=("fs",)), limits="relaxed",
                              grants=(f"fs={granted}:{operations}",))  # fmt: skip
    assert event.event == "reloaded", event.error
    return session.host.current.plugin


def files_under(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and "plugin" not in p.relative_to(folder).parts}  # fmt: skip


@pytest.fixture
def fs_plugin(tmp_path, sessions):
    return fs_tool(tmp_path, sessions, "read")


def test_fs_read_inside_a_granted_root_works(fs_plugin):
    result = fs_plugin.call("read", {"path": "notes/today.txt"})
    answer = json.loads(result.output["content"])
    assert answer == {"path": "notes/today.txt", "content": "inside the root\n", "truncated": False}
    assert fs_plugin.offers()["host_apis"]["fs"]["granted"] is True


@pytest.mark.parametrize("path", ["../secret.txt", "/etc/hostname", "escape/secret.txt"])
def test_fs_read_outside_the_granted_root_is_denied(fs_plugin, path):
    with pytest.raises(DevError) as err:
        fs_plugin.call("read", {"path": path})
    assert err.value.rule == "yoi-grant-denied"
    assert err.value.place == "host_api.fs read"


def test_fs_operation_not_granted_is_denied(tmp_path, sessions):
    (tmp_path / "root").mkdir()
    session, _ = sessions(tool_project(tmp_path, imports=("fs",)), limits="relaxed",
                          grants=(f"fs={tmp_path / 'root'}:write",))  # fmt: skip
    with pytest.raises(DevError, match="no matching operation grant") as err:
        session.host.current.plugin.call("read", {"path": "x"})
    assert err.value.rule == "yoi-grant-denied"


def test_fs_write_inside_a_granted_root_writes_the_file(tmp_path, sessions):
    plugin = fs_tool(tmp_path, sessions, "list,write")
    for path, text in (
        ("notes/new.txt", "written by the component"),
        ("notes/today.txt", "replaced"),
    ):
        result = plugin.call("put", {"path": path, "content": text})
        assert json.loads(result.output["content"]) == {"path": path, "bytes_written": len(text)}
    assert files_under(tmp_path) == {"granted/notes/new.txt": "written by the component",
                                     "granted/notes/today.txt": "replaced", "secret.txt": "outside the root\n"}  # fmt: skip
    listed = json.loads(plugin.call("dir", {"path": "notes"}).output["content"])
    assert listed == {"path": "notes", "truncated": False, "entries": [
        {"name": "new.txt", "kind": "file"}, {"name": "today.txt", "kind": "file"}]}  # fmt: skip


def test_fs_list_inside_a_granted_root_works(tmp_path, sessions):
    plugin = fs_tool(tmp_path, sessions, "list")
    listed = json.loads(plugin.call("dir", {"path": "."}).output["content"])
    assert listed["entries"] == [
        {"name": "escape", "kind": "symlink"},
        {"name": "notes", "kind": "dir"},
    ]


@pytest.mark.parametrize(
    "path", ["../escaped.txt", "escape/escaped.txt", "escape", "notes", "ABSOLUTE", "notes/../../x"]
)
def test_fs_write_outside_the_granted_root_is_denied(tmp_path, sessions, path):
    plugin = fs_tool(tmp_path, sessions, "read,list,write")
    before = files_under(tmp_path)
    path = str(tmp_path / "escaped.txt") if path == "ABSOLUTE" else path
    with pytest.raises(DevError) as err:
        plugin.call("put", {"path": path, "content": "should not land"})
    assert (err.value.rule, err.value.place) == ("yoi-grant-denied", "host_api.fs write")
    assert files_under(tmp_path) == before
    assert (tmp_path / "granted" / "escape").is_symlink()


@pytest.mark.parametrize("path", ["..", "escape", "escape/", "/", "notes/../.."])
def test_fs_list_outside_the_granted_root_is_denied(tmp_path, sessions, path):
    plugin = fs_tool(tmp_path, sessions, "read,list,write")
    with pytest.raises(DevError) as err:
        plugin.call("dir", {"path": path})
    assert (err.value.rule, err.value.place) == ("yoi-grant-denied", "host_api.fs list")


@pytest.mark.parametrize(
    ("operations", "tool", "arguments"),
    [("read,list", "put", {"path": "notes/new.txt", "content": "x"}),
     ("read,write", "dir", {"path": "notes"})],
)  # fmt: skip
def test_fs_write_or_list_not_granted_is_denied(tmp_path, sessions, operations, tool, arguments):
    plugin = fs_tool(tmp_path, sessions, operations)
    before = files_under(tmp_path)
    with pytest.raises(DevError, match="no matching operation grant") as err:
        plugin.call(tool, arguments)
    assert err.value.rule == "yoi-grant-denied"
    assert files_under(tmp_path) == before


def test_fs_without_any_grant_is_denied_on_every_call(tmp_path, sessions):
    session, event = sessions(tool_project(tmp_path, imports=("fs",)), limits="relaxed")
    assert event.offers["host_apis"]["fs"] == {"imported": True, "granted": False, "grants": [],
                                               "reason": "granted host_api.fs permission is missing"}  # fmt: skip
    with pytest.raises(DevError, match="granted host_api.fs permission is missing"):
        session.host.current.plugin.call("read", {"path": "x"})


@pytest.fixture
def request_plugin(tmp_path, sessions):
    fixtures = {"https://api.example.com/v1/forecast": {"status": 200, "body": '{"sky": "clear"}'}}
    session, event = sessions(tool_project(tmp_path, imports=("request",)), limits="relaxed",
                              grants=("request=https://api.example.com/v1/forecast",), fixtures=fixtures)  # fmt: skip
    assert event.event == "reloaded", event.error
    return session.host.current.plugin


def test_request_to_a_granted_target_is_answered_from_the_fixtures(request_plugin):
    result = request_plugin.call(
        "fetch", {"method": "GET", "url": "https://api.example.com/v1/forecast"}
    )
    answer = json.loads(result.output["content"])
    assert answer == {"status": 200, "headers": [], "body": '{"sky": "clear"}', "truncated": False}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://evil.example.org/v1/forecast", "is not declared by the plugin manifest"),
        ("http://api.example.com/v1/forecast", "is not declared by the plugin manifest"),
        ("https://api.example.com/v1/other", "is not covered by enabled request grants"),
    ],
)
def test_request_to_a_target_not_granted_is_denied(request_plugin, url, why):
    with pytest.raises(DevError, match=why) as err:
        request_plugin.call("fetch", {"method": "GET", "url": url})
    assert err.value.rule == "yoi-grant-denied"


def test_request_with_a_method_not_declared_is_denied(request_plugin):
    url = "https://api.example.com/v1/forecast"
    with pytest.raises(DevError, match="not declared by the plugin manifest"):
        request_plugin.call("fetch", {"method": "POST", "url": url})


def test_granted_request_without_a_fixture_never_reaches_the_network(tmp_path, sessions):
    session, _ = sessions(tool_project(tmp_path, imports=("request",)), limits="relaxed",
                          grants=("request=requested",))  # fmt: skip
    with pytest.raises(DevError, match="never reaches the network") as err:
        session.host.current.plugin.call(
            "fetch", {"method": "GET", "url": "https://api.example.com/v1/x"}
        )
    assert err.value.rule == "yoi-host-call-failed"


def test_instance_keeps_state_across_tool_and_ingress_and_stops_cleanly(tmp_path, sessions):
    root = yoi_project(
        tmp_path / "plugin", core_wat("instance"), world="instance", ingresses=("chat",)
    )
    probe = Probe("greet", {}, {"payload": {"text": "hi"}})
    session, event = sessions(root, probe)
    assert event.event == "reloaded", event.error
    assert event.offers["started"] == {"state": "ready", "data": {}}
    assert event.probe["call"]["output"] == {"summary": "count 1", "content": None}
    assert event.probe["ingress"]["ingress"] == "chat"
    assert event.probe["ingress"]["output"] == {"accepted": True}
    assert event.probe["ingress"]["status"] == {"state": "running", "data": {"count": 2}}
    plugin = session.host.current.plugin
    assert plugin.call("greet", {}).output["summary"] == "count 3"
    assert plugin.stop() == {"state": "stopped", "data": {"count": 3}}
    assert plugin.stop() is None  # stopped once; close() after it is a no-op
    plugin.close()


def test_an_event_for_the_tool_world_is_reported(tmp_path, sessions):
    _, event = sessions(tool_project(tmp_path), Probe(event={"payload": {}}))
    assert event.event == "reloaded"
    assert event.probe["ingress"]["error"]["rule"] == "yoi-no-ingress"


# Each host limit: a component (or a call) that breaks it, its rule under --limits host, and
# proof that --limits relaxed runs it (and still names the limit).
LOAD_BREAKERS = {
    "instances": {"imports": ("fs",)},
    "tables": {"extra": "(table 1 funcref) (table 1 funcref)"},
    "memories": {"extra": "(memory 1)"},
    "memory_bytes": {"pages": 40},
    "table_elements": {"extra": "(table 300 funcref)"},
    "component_bytes": {"extra": '(@custom "pad" "' + "x" * (8 * 1024 * 1024) + '")'},
}


@pytest.mark.parametrize("limit", list(LOAD_BREAKERS))
def test_component_breaking_a_store_limit(tmp_path, sessions, limit):
    root = tool_project(tmp_path, **LOAD_BREAKERS[limit])
    _, event = sessions(root, Probe("greet", {}))
    assert event.event == "error"
    assert event.error["rule"] == "yoi-limit-" + limit.replace("_", "-")
    assert f"{limit}: needs " in event.error["message"] and "over)" in event.error["message"]
    _, relaxed = sessions(root, Probe("greet", {}), limits="relaxed")
    assert relaxed.event == "reloaded", relaxed.error
    assert relaxed.probe["call"]["output"]["summary"] == "hello"
    assert limit in [b["limit"] for b in relaxed.offers["limits"]["would_break"]]


CALL_BREAKERS = {
    "fuel": ("work", {}),
    "input_bytes": ("noop", {"text": "x" * (64 * 1024)}),
    "output_bytes": ("big", {}),
    "summary_bytes": ("long", {}),
}


@pytest.mark.parametrize("limit", list(CALL_BREAKERS))
def test_call_breaking_a_host_limit(tmp_path, sessions, limit):
    tool, arguments = CALL_BREAKERS[limit]
    root = tool_project(tmp_path)
    session, event = sessions(root, Probe(tool, arguments))
    assert event.event == "reloaded"
    assert event.probe["call"]["is_error"] is True
    assert event.probe["call"]["error"]["rule"] == "yoi-limit-" + limit.replace("_", "-")
    relaxed_session, relaxed = sessions(root, Probe(tool, arguments), limits="relaxed")
    call = relaxed.probe["call"]
    assert call["is_error"] is False, call
    assert [b["limit"] for b in call["limits"]] == [limit]


def test_trap_spent_fuel_and_oversized_output_leave_the_component_serving(tmp_path, sessions):
    session, event = sessions(tool_project(tmp_path), Probe("greet", {"n": 1}))
    plugin = session.host.current.plugin
    for tool, rule in (
        ("trap", "yoi-trap"),
        ("spin", "yoi-limit-fuel"),
        ("big", "yoi-limit-output-bytes"),
    ):
        with pytest.raises(DevError) as err:
            plugin.call(tool, {})
        assert err.value.rule == rule
        assert plugin.call("greet", {"n": 2}).output == {"summary": "hello", "content": '{"n": 2}'}
    assert session.host.current.digest == event.digest


def test_a_relaxed_endless_loop_still_ends(tmp_path, sessions):
    session, _ = sessions(tool_project(tmp_path), limits="relaxed")
    with pytest.raises(DevError) as err:
        session.host.current.plugin.call("spin", {})
    assert err.value.rule == "yoi-fuel-exhausted"


def test_a_memory_grow_past_the_host_limit_traps_as_in_yoi(tmp_path, sessions):
    """Yoi traps a failed grow (trap_on_grow_failure); the component below ignores memory.grow's
    answer, so it would go on in a store that only answers -1."""
    root = tool_project(tmp_path)
    over = {"pad": "x" * 40}  # 51 bytes of input: 4 + 51 pages = 3 604 480 bytes
    session, event = sessions(root, Probe("mem", over))
    error = event.probe["call"]["error"]
    assert (error["rule"], error["place"]) == ("yoi-limit-memory-bytes", "export call")
    assert error["message"] == ("memory_bytes: memory.grow asked for 3604480 bytes of memory; "
                                "the host allows 2097152 (1507328 over)")  # fmt: skip
    plugin = session.host.current.plugin
    assert plugin.call("mem", {}).output == {"summary": "hello", "content": "{}"}  # 6 pages: within
    _, relaxed = sessions(root, Probe("mem", over), limits="relaxed")
    assert relaxed.probe["call"]["output"] == {"summary": "hello", "content": json.dumps(over)}


def table_project(tmp_path: Path) -> Path:
    """The tool component with one table of one funcref, whose m(em) tool grows that table, not
    the memory, by one element per byte of input, without looking at table.grow's answer."""
    wat = core_wat("tool", extra="(table 1 funcref)").replace(
        "(memory.grow (local.get $in))", "(table.grow 0 (ref.null func) (local.get $in))"
    )
    return yoi_project(tmp_path / "plugin", wat, tools=TOOLS)


def test_a_table_grow_past_the_host_limit_traps_as_in_yoi(tmp_path, sessions):
    """Yoi traps a table.grow past its 256 elements as it does a memory.grow past 2 MiB."""
    root = table_project(tmp_path)
    over = {"pad": "x" * 300}  # 311 bytes of input: 1 + 311 elements
    session, event = sessions(root, Probe("mem", over))
    limits = event.offers["limits"]
    assert (limits["memory_grow"], limits["table_grow"]) == ("no memory.grow", "guarded")
    error = event.probe["call"]["error"]
    assert (error["rule"], error["place"]) == ("yoi-limit-table-elements", "export call")
    assert error["message"] == ("table_elements: table.grow asked for 312 table elements; "
                                "the host allows 256 (56 over)")  # fmt: skip
    plugin = session.host.current.plugin
    within = {"pad": "x" * 244}  # 1 + 255 elements: within
    assert plugin.call("mem", within).output == {"summary": "hello", "content": json.dumps(within)}
    _, relaxed = sessions(root, Probe("mem", over), limits="relaxed")
    assert relaxed.probe["call"]["output"] == {"summary": "hello", "content": json.dumps(over)}
    assert "table_grow" not in relaxed.offers["limits"]


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 256), more=st.integers(0, 2**32 - 1), memory=st.booleans())
@example(size=1, more=255, memory=False)  # exactly at the limit
@example(size=1, more=256, memory=True)  # one past it
@example(size=256, more=2**32 - 1, memory=True)  # past what an address can carry
def test_a_guarded_table_grow_traps_exactly_past_the_limit(size, more, memory):
    """From any size within the limit, a grow to at most 256 elements answers the old size and
    one past it traps with the count asked for; with no memory to fault in, the guard cannot
    read it out and says "at least" (as it does past what an address can carry)."""
    import wasmtime
    from wasmtime import component as wc
    from wasmtime import wat2wasm

    from plugin_kit.dev.adapters.component import _store, engine
    from plugin_kit.dev.component_grow import grow_break, guard_grows

    text = f"""(component
      (core module $m (table {size} funcref) {"(memory 1)" if memory else ""}
        (func (export "g") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0))))
      (core instance $i (instantiate $m))
      (func (export "g") (param "n" u32) (result s32) (canon lift (core func $i "g"))))"""
    data, done = guard_grows(bytes(wat2wasm(text)), 2 << 20, 256)
    assert done == {"memory_grow": "no memory.grow", "table_grow": "guarded"}
    store = _store(HOST_LIMITS)
    grow = wc.Linker(engine()).instantiate(store, wc.Component(engine(), data)).get_func(store, "g")
    if size + more <= 256:
        assert grow(store, more) == size
        return
    with pytest.raises((wasmtime.Trap, wasmtime.WasmtimeError)) as trap:
        grow(store, more)
    found = grow_break(str(trap.value), 2 << 20, 256)
    assert found is not None and found.rule == "yoi-limit-table-elements"
    exact = memory and size + more < 2**31 - 1
    said = "asked for" if exact else "asked for at least"
    needed = size + more if exact else (257 if not memory else 2**31 - 1)
    assert found.message == (f"table_elements: table.grow {said} {needed} table elements; "
                             f"the host allows 256 ({needed - 256} over)")  # fmt: skip


def test_the_table_guard_takes_each_grown_tables_type():
    """A guard per grown table, named or by index, imported or declared, with its reference
    type; a 64-bit table's grow (it takes an i64) is left to the store."""
    import subprocess

    from wasmtime import wat2wasm

    from plugin_kit.components.build import wasm_tools_executable
    from plugin_kit.dev.component_grow import guard_grows

    text = """(component
      (core module $wide (table i64 1 externref)
        (func (param i64) (result i64) (table.grow 0 (ref.null extern) (local.get 0))))
      (core module $typed (type $ft (func)) (table $f 2 (ref null $ft)) (table 1 externref)
        (func (param i32) (result i32) (table.grow $f (ref.null $ft) (local.get 0)))
        (func (param i32) (result i32) (table.grow 1 (ref.null extern) (local.get 0)))
        (func (param i32) (result i32) (table.grow $f (ref.null $ft) (local.get 0))))
      (core module $lent (import "x" "m" (memory 1)) (import "x" "t" (table $t 1 funcref))
        (func (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))))"""
    data, done = guard_grows(bytes(wat2wasm(text)), 2 << 20, 256)
    assert done == {"memory_grow": "no memory.grow", "table_grow": "guarded (not a 64-bit table)"}
    printed = subprocess.run([wasm_tools_executable(), "print", "-"], input=data,
                             capture_output=True, text=False, check=True).stdout.decode()  # fmt: skip
    wide, rest = printed.split("(core module $typed")
    typed, lent = rest.split("(core module $lent")
    assert "yoi_dev_table_grow" not in wide and "table.grow 0" in wide
    assert (
        typed.count("call $yoi_dev_table_grow_0") == 2
        and typed.count("call $yoi_dev_table_grow_1") == 1
    )
    assert "(param $init (ref null $ft))" in typed and "(param $init externref)" in typed
    assert "i32.load8_u" not in typed  # no memory to read
    assert lent.count("call $yoi_dev_table_grow_0") == 1 and "(param $init funcref)" in lent
    assert "i32.load8_u" in lent


def test_a_component_without_memory_grow_runs_as_built(tmp_path):
    from plugin_kit.components.build import build_component
    from plugin_kit.dev.component_grow import guard_grows

    root = tool_project(tmp_path)
    wat = root / "src" / "component.wat"
    wat.write_text(wat.read_text().replace("(memory.grow (local.get $in))", "(i32.const 0)"))
    built = build_component(wat, root / "wit", "tool", tmp_path / "c.wasm")
    data = Path(built.output).read_bytes()
    same, done = guard_grows(data, 2 << 20, 256)
    assert (same is data, done) == (
        True,
        {"memory_grow": "no memory.grow", "table_grow": "no table.grow"},
    )


def test_the_guard_goes_into_each_32_bit_memorys_module():
    """Core modules of one component: a 64-bit memory's (left as it is: its grow takes an i64),
    an empty one, and one whose memory is imported."""
    import subprocess

    from wasmtime import wat2wasm

    from plugin_kit.components.build import wasm_tools_executable
    from plugin_kit.dev.component_grow import guard_grows

    text = """(component
      (core module $wide (memory i64 1) (func (drop (memory.grow (i64.const 1)))))
      (core module $empty)
      (core module $lent (import "x" "m" (memory 1)) (func (drop (memory.grow (i32.const 1))))))"""
    data, done = guard_grows(bytes(wat2wasm(text)), 2 << 20, 256)
    assert done["memory_grow"] == "guarded (not a module with a 64-bit memory)"
    printed = subprocess.run([wasm_tools_executable(), "print", "-"], input=data,
                             capture_output=True, text=False, check=True).stdout.decode()  # fmt: skip
    wide, lent = printed.split("(core module $lent")
    assert "call $yoi_dev_memory_grow" not in wide and "memory.grow" in wide
    assert lent.count("call $yoi_dev_memory_grow") == 1 and "(func $yoi_dev_memory_grow" in lent


def test_a_call_stuck_in_wasm_is_stopped_at_the_hosts_timeout(tmp_path, sessions):
    """Fuel stops an endless loop first under the host's limits; given fuel that outlasts the
    second (as on a machine slow enough, or in a Yoi with more fuel), the timeout stops it."""
    session, _ = sessions(tool_project(tmp_path))
    plugin = session.host.current.plugin
    plugin.limits = dataclasses.replace(plugin.limits, fuel=10**15)
    with pytest.raises(DevError) as err:
        plugin.call("spin", {})
    assert (err.value.rule, err.value.place) == ("yoi-limit-timeout", "export call")
    assert err.value.message.startswith("timeout: stopped after ")
    assert "ms of wall-clock time; the host allows 1000 (" in err.value.message
    assert plugin.call("greet", {}).output["summary"] == "hello"  # a new call, a new deadline


def test_an_ingress_event_past_the_timeout_fails_the_instance(tmp_path, sessions):
    """Yoi fails an instance whose ingress dispatch took longer than its second."""
    wat = core_wat("instance").replace(
        '(func (export "handle-ingress") (param i32 i32 i32 i32) (result i32)\n    (call $begin)',
        '(func (export "handle-ingress") (param i32 i32 i32 i32) (result i32)\n    (call $begin) (loop $l (br $l))',
    )
    root = yoi_project(tmp_path / "plugin", wat, world="instance", ingresses=("chat",))
    session, event = sessions(root)
    plugin = session.host.current.plugin
    plugin.limits = dataclasses.replace(plugin.limits, fuel=10**15)
    with pytest.raises(DevError) as err:
        plugin.drive_event({"payload": {}})
    assert (err.value.rule, err.value.place) == ("yoi-limit-timeout", "export handle-ingress")
    with pytest.raises(DevError) as err:
        plugin.call("greet", {})
    assert err.value.rule == "yoi-instance-failed"


def slow_write(plugin, pipe: Path) -> tuple[object, list[bytes]]:
    """fs.write to the FIFO `pipe`, whose reader comes 1.2 s later: the write waits for it (in Yoi
    too), so the call takes longer than the host's second without spending fuel. The call's
    result or error, and what the reader got."""
    received: list[bytes] = []
    reader = threading.Timer(1.2, lambda: received.append(pipe.read_bytes()))
    reader.start()
    try:
        return plugin.call("put", {"path": pipe.name, "content": "late"}), received
    except DevError as err:
        return err, received
    finally:
        reader.join(10)
        if reader.is_alive():  # the call never opened the pipe: let the reader go
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
            reader.join()


def test_a_slow_host_call_breaks_the_timeout(tmp_path, sessions):
    granted = tmp_path / "granted"
    granted.mkdir()
    os.mkfifo(granted / "pipe")
    session, _ = sessions(tool_project(tmp_path, imports=("fs",)), limits="relaxed",
                          grants=(f"fs={granted}:write",))  # fmt: skip
    plugin = session.host.current.plugin
    relaxed, received = slow_write(plugin, granted / "pipe")
    assert received == [b"late"]
    assert json.loads(relaxed.output["content"]) == {"path": "pipe", "bytes_written": 4}
    assert [b["limit"] for b in relaxed.limits] == ["timeout"]
    assert relaxed.limits[0]["message"].startswith("timeout: ran ")
    # The host's limits, but the three core instances wasm-tools links an importing component as.
    plugin.limits = dataclasses.replace(HOST_LIMITS, instances=3)
    error, received = slow_write(plugin, granted / "pipe")
    assert received == [b"late"]
    assert isinstance(error, DevError), error
    assert (error.rule, error.place) == ("yoi-limit-timeout", "export call")
    assert error.message.startswith("timeout: ")


def test_a_broken_build_keeps_the_last_good_component(tmp_path, sessions):
    root = tool_project(tmp_path)
    session, first = sessions(root, Probe("greet", {}))
    wat = root / "src" / "component.wat"
    wat.write_text(wat.read_text().replace("(module", "(module (oops)", 1))
    events: list[DevEvent] = []
    session.cycle(events.append)
    assert events[-1].event == "error" and events[-1].error["rule"] == "component-build"
    assert events[-1].error["place"] == str(wat)
    assert events[-1].loaded == first.digest
    assert session.host.current.plugin.call("greet", {}).output["summary"] == "hello"


def test_a_trap_fails_the_instance_until_a_reload(tmp_path, sessions):
    wat = core_wat("instance").replace(
        '(func (export "handle-ingress") (param i32 i32 i32 i32) (result i32)\n    (call $begin)',
        '(func (export "handle-ingress") (param i32 i32 i32 i32) (result i32)\n    (call $begin) unreachable',
    )
    root = yoi_project(tmp_path / "plugin", wat, world="instance", ingresses=("chat",))
    session, event = sessions(root, Probe("greet", {}, {"payload": {}}))
    assert event.event == "reloaded"  # the probe failed, the version loaded
    assert event.probe["ingress"]["error"]["rule"] == "yoi-trap"
    with pytest.raises(DevError) as err:
        session.host.current.plugin.call("greet", {})
    assert err.value.rule == "yoi-instance-failed"
    (root / "src" / "component.wat").write_text(core_wat("instance"))
    events: list[DevEvent] = []
    session.cycle(events.append)
    assert events[-1].event == "reloaded"
    assert session.host.current.plugin.call("greet", {}).output["summary"] == "count 3"  # probe: 2


def test_an_import_beyond_the_three_host_apis_is_refused(tmp_path, sessions):
    wat = core_wat("tool").replace("(module", '(module (import "$root" "extra" (func))', 1)
    root = yoi_project(tmp_path / "plugin", wat)
    wit = root / "wit" / "yoi-plugin-tool-v1.wit"
    wit.write_text(wit.read_text().replace("world tool {", "world tool {\n  import extra: func();"))
    _, event = sessions(root)
    assert event.event == "error", event
    assert event.error["rule"] == "yoi-import-denied"
    assert "`extra`" in event.error["message"]


def test_the_dev_hosts_limits_are_the_preflights() -> None:
    """One source of the host's numbers: `--limits host` enforces what `plugin validate`'s
    pre-flight checks (components/runtime.py) and a component file's size limit (hosts.py)."""
    from plugin_kit.components.runtime import YOI_LIMITS
    from plugin_kit.hosts import YOI

    pairs = {"input_bytes": "max_input_bytes", "output_bytes": "max_output_bytes",
             "summary_bytes": "max_summary_bytes"}  # fmt: skip
    for limit in ("memory_bytes", "table_elements", "instances", "tables", "memories", "fuel",
                  *pairs):  # fmt: skip
        assert getattr(HOST_LIMITS, limit) == getattr(YOI_LIMITS, pairs.get(limit, limit)), limit
    assert HOST_LIMITS.component_bytes == YOI.limits.max_file_size == 8 << 20
    assert HOST_LIMITS.timeout == YOI_LIMITS.timeout_seconds * 1000 == 1000
    assert (HOST_LIMITS.memory_bytes, HOST_LIMITS.fuel) == (2 << 20, 5_000_000)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"\0asm\x0d\x00\x01\x00\x01\xff", "yoi-component-invalid"),  # a section past the end
        (b"\0asm\x01\x00\x00\x00", "yoi-not-component"),  # a core module
        (b"not wasm at all", "yoi-not-component"),
    ],
)
def test_a_component_file_that_is_not_a_component_is_refused(tmp_path, sessions, data, rule):
    root = tool_project(tmp_path)
    (root / "plugin-kit.toml").unlink()  # no build: the file below is what gets loaded
    (root / "plugin.component.wasm").write_bytes(data)
    _, event = sessions(root, Probe("greet", {}))
    assert event.event == "error" and event.error["rule"] == rule, event.error
    assert event.error["place"].startswith("runtime.component")
