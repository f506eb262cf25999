"""Yoi's plugin.toml: one failing manifest per host rule, all problems at once, the shipped JSON
Schema agreeing with the Python checks, and the host's own templates getting `yoi plugin check`'s
verdict (tests/data/yoi-templates, MIT, see NOTICE there)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin_kit.content.project import ValidationReport, validate_project
from plugin_kit.validators.yoi_manifest import (
    archive_path_ok,
    is_safe_id,
    parse_yoi_manifest,
    yoi_manifest_from_doc,
    yoi_manifest_problems,
    yoi_manifest_warnings,
    yoi_semantic_problems,
)

TEMPLATES = Path(__file__).parent.parent / "data" / "yoi-templates"
COMPONENT = b"\0asm\x0d\x00\x01\x00"  # the header of a component-model binary
HEAD = 'schema_version = 1\nid = "example.echo"\nname = "Echo"\nversion = "0.1.0"\n'
PERMS = 'permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" }]\n'
RUNTIME = (
    '[runtime]\nkind = "wasm-component"\ncomponent = "plugin.component.wasm"\n'
    'world = "yoi:plugin/tool@1.0.0"\n'
)
INSTANCE = RUNTIME.replace("tool@1.0.0", "instance@1.0.0")
SCHEMA = '{ type = "object", properties = { text = { type = "string" } }, required = ["text"] }'
TOOL = f'[[tools]]\nname = "echo"\ndescription = "Echo"\ninput_schema = {SCHEMA}\n'
SERVICE_PERMS = (
    'permissions = [{ kind = "surface", surface = "service" }, { kind = "service", name = "svc" },'
    ' { kind = "surface", surface = "ingress" }, { kind = "ingress", name = "in" }]\n'
)
SERVICE = '[[services]]\nname = "svc"\ndescription = "A service"\n'
INGRESS = '[[ingresses]]\nname = "in"\ndescription = "Events"\n'


def doc(top: str = "", *, head: str = HEAD, perms: str = PERMS, runtime: str = RUNTIME,
        tools: str = TOOL, tables: str = "") -> str:  # fmt: skip
    """A valid tool-world manifest; each keyword replaces one part (top-level keys go in `top`)."""
    return head + top + perms + runtime + tools + tables


def schema_doc(schema: str) -> str:
    return doc(tools=f'[[tools]]\nname = "echo"\ndescription = "Echo"\ninput_schema = {schema}\n')


def tool_perms(*names: str) -> str:
    listed = ", ".join(f'{{ kind = "tool", name = "{n}" }}' for n in names)
    return f'permissions = [{{ kind = "surface", surface = "tool" }}, {listed}]\n'


def tool(name: str, extra: str = "") -> str:
    return f'[[tools]]\nname = "{name}"\ndescription = "d"\ninput_schema = {{ type = "object" }}\n{extra}'


# (id, manifest, rule, field path, does the JSON Schema see it?)
CASES = [
    # deny_unknown_fields at every level
    ("unknown-top", doc('license = "MIT"\n'), "manifest-unknown-field", "license", True),
    ("insomnia-package-table", doc(tables='[package]\ninclude = ["x"]\n'), "manifest-unknown-field", "package", True),
    ("unknown-runtime", doc(runtime=RUNTIME + "memory = 1\n"), "manifest-unknown-field", "runtime.memory", True),
    ("unknown-tool", doc(tools=TOOL + "timeout = 5\n"), "manifest-unknown-field", "tools[0].timeout", True),
    ("unknown-permission", doc(perms=PERMS.replace('name = "echo"', 'name = "echo", why = "x"')),
     "manifest-unknown-field", "permissions[1].why", True),
    ("unknown-request", doc(tables='[[request]]\nscheme = "https"\nurl = "https://x"\n'),
     "manifest-unknown-field", "request[0].url", True),
    ("unknown-websocket", doc(tables='[[websocket]]\nscheme = "wss"\npath = "/"\n'),
     "manifest-unknown-field", "websocket[0].path", True),
    ("unknown-service", doc(perms=SERVICE_PERMS, runtime=INSTANCE, tools="", tables=SERVICE + 'kind = "x"\n'),
     "manifest-unknown-field", "services[0].kind", True),
    ("unknown-ingress", doc(perms=SERVICE_PERMS, runtime=INSTANCE, tools="", tables=INGRESS + "port = 1\n"),
     "manifest-unknown-field", "ingresses[0].port", True),
    ("unknown-hook", doc(tables='[[hooks]]\nid = "h"\nfile = "plugin.component.wasm"\nevent = "x"\n'),
     "manifest-unknown-field", "hooks[0].event", True),
    # required fields
    ("missing-name", doc(head=HEAD.replace('name = "Echo"\n', "")), "manifest-missing-field", "name", True),
    ("missing-schema-version", doc(head=HEAD.replace("schema_version = 1\n", "")),
     "manifest-missing-field", "schema_version", True),
    ("missing-tool-description", doc(tools=TOOL.replace('description = "Echo"\n', "")),
     "manifest-missing-field", "tools[0].description", True),
    ("missing-permission-field", doc(perms=PERMS.replace("]\n", ', { kind = "host_api" }]\n')),
     "manifest-missing-field", "permissions[2].api", True),
    ("missing-permission-kind", doc(perms=PERMS.replace("]\n", ', { name = "x" }]\n')),
     "manifest-missing-field", "permissions[2].kind", True),
    ("missing-runtime-kind", doc(runtime=RUNTIME.replace('kind = "wasm-component"\n', "")),
     "manifest-missing-field", "runtime.kind", True),
    ("missing-hook-file", doc(tables='[[hooks]]\nid = "h"\n'), "manifest-missing-field", "hooks[0].file", True),
    # types
    ("type-schema-version", doc(head=HEAD.replace("schema_version = 1", 'schema_version = "1"')),
     "manifest-type", "schema_version", True),
    ("type-name", doc(head=HEAD.replace('name = "Echo"', "name = 3")), "manifest-type", "name", True),
    ("type-external-write", doc(tools=TOOL + 'external_write = "no"\n'),
     "manifest-type", "tools[0].external_write", True),
    ("type-port-range", doc(tables='[[request]]\nscheme = "https"\nport = 70000\n'),
     "manifest-type", "request[0].port", True),
    ("type-surfaces", doc('surfaces = "tool"\n'), "manifest-type", "surfaces", True),
    ("type-methods", doc(tables='[[request]]\nmethods = "GET"\n'), "manifest-type", "request[0].methods", True),
    ("type-tools-table", doc('tools = ["echo"]\n', tools=""), "manifest-type", "tools[0]", True),
    # enums (serde names)
    ("enum-surface", doc('surfaces = ["tools"]\n'), "manifest-enum", "surfaces[0]", True),
    ("enum-permission-kind", doc(perms=PERMS.replace("]\n", ', { kind = "ambient_shell" }]\n')),
     "manifest-enum", "permissions[2].kind", True),
    ("enum-host-api-legacy-https", doc(perms=PERMS.replace("]\n", ', { kind = "host_api", api = "https" }]\n')),
     "manifest-enum", "permissions[2].api", True),
    # validate_manifest
    ("schema-version-2", doc(head=HEAD.replace("schema_version = 1", "schema_version = 2")),
     "manifest-version", "schema_version", True),
    ("id-space", doc(head=HEAD.replace("example.echo", "bad id")), "id-unsafe", "id", True),
    ("id-leading-dot", doc(head=HEAD.replace("example.echo", ".hidden")), "id-unsafe", "id", True),
    ("id-trailing-dot", doc(head=HEAD.replace("example.echo", "trail.")), "id-unsafe", "id", True),
    ("id-too-long", doc(head=HEAD.replace("example.echo", "a" * 129)), "id-unsafe", "id", True),
    ("id-non-ascii", doc(head=HEAD.replace("example.echo", "é")), "id-unsafe", "id", True),
    ("name-blank", doc(head=HEAD.replace('name = "Echo"', 'name = "  "')), "manifest-empty", "name", True),
    ("version-empty", doc(head=HEAD.replace('version = "0.1.0"', 'version = ""')), "manifest-empty", "version", True),
    ("name-escape", doc(head=HEAD.replace('"Echo"', '"Echo\\u001b[2J"')), "text-control", "name", True),
    ("version-newline", doc(head=HEAD.replace('"0.1.0"', '"0.1.0\\n"')), "text-control", "version", True),
    ("description-bidi", doc('description = "a\\u202eb"\n'), "text-control", "description", True),
    ("tool-description-osc", doc(tools=TOOL.replace('"Echo"', '"Echo\\u001b]52;c;eA==\\u0007"')),
     "text-control", "tools[0].description", True),
    ("service-description-c1", doc(perms=SERVICE_PERMS, runtime=INSTANCE, tools="",
                                   tables=SERVICE.replace('"A service"', '"A\\u009b2J"') + INGRESS),
     "text-control", "services[0].description", True),
    ("runtime-wasm-retired", doc(runtime='[runtime]\nkind = "wasm"\nentry = "plugin.wasm"\nabi = "yoi-plugin-wasm-1"\n'),
     "runtime-retired", "runtime.kind", True),
    ("runtime-kind", doc(runtime=RUNTIME.replace("wasm-component", "docker")), "runtime-kind", "runtime.kind", True),
    ("runtime-abi", doc(runtime=RUNTIME + 'abi = "yoi-plugin-wasm-1"\n'), "runtime-abi", "runtime.abi", True),
    ("runtime-entry", doc(runtime=RUNTIME + 'entry = "x.wasm"\n'), "runtime-abi", "runtime.entry", True),
    ("runtime-world-unknown", doc(runtime=RUNTIME.replace("tool@1.0.0", "tool@2.0.0")),
     "runtime-world", "runtime.world", True),
    ("runtime-world-missing", doc(runtime=RUNTIME.replace('world = "yoi:plugin/tool@1.0.0"\n', "")),
     "runtime-world", "runtime.world", True),
    ("runtime-component-missing", doc(runtime=RUNTIME.replace('component = "plugin.component.wasm"\n', "")),
     "runtime-component", "runtime.component", True),
    ("runtime-missing", doc(runtime=""), "runtime-missing", "runtime", True),
    *[
        (f"component-path-{i}", doc(runtime=RUNTIME.replace('"plugin.component.wasm"', json.dumps(bad))),
         "manifest-path", "runtime.component", True)
        for i, bad in enumerate(["../x.wasm", "/abs.wasm", "a\\b.wasm", "C:x.wasm", "~x.wasm", "a//b.wasm",
                                 "./a.wasm", "a/", "a/./b.wasm"])
    ],
    ("hook-path", doc(tables='[[hooks]]\nid = "h"\nfile = "../hooks.md"\n'), "manifest-path", "hooks[0].file", True),
    ("hook-id", doc(tables='[[hooks]]\nid = "bad id"\nfile = "plugin.component.wasm"\n'), "id-unsafe", "hooks[0].id", True),
    ("service-needs-instance", doc(perms=SERVICE_PERMS, tools="", tables=SERVICE), "surface-world", "services", True),
    ("ingress-needs-instance", doc(perms=SERVICE_PERMS, tools="", tables=INGRESS), "surface-world", "ingresses", True),
    ("service-name", doc(perms=SERVICE_PERMS.replace('"svc"', '"bad svc"'), runtime=INSTANCE, tools="",
                         tables=SERVICE.replace('"svc"', '"bad svc"')), "id-unsafe", "services[0].name", True),
    # registration (worker plugin.rs): tool names, input_schema, permissions
    ("tool-name-space", doc(perms=tool_perms("two words"), tools=tool("two words")), "tool-name", "tools[0].name", True),
    ("tool-name-empty", doc(perms='permissions = [{ kind = "surface", surface = "tool" }, '
                                  '{ kind = "tool_namespace", namespace = "x" }, { kind = "tool", name = "" }]\n',
                            tools=tool("")), "tool-name", "tools[0].name", True),
    ("tool-name-long", doc(perms=tool_perms("é" * 65), tools=tool("é" * 65)), "tool-name", "tools[0].name", False),
    ("tool-duplicate", doc(tools=TOOL + tool("echo")), "tool-duplicate", "tools[1].name", False),
    ("schema-keyword", schema_doc('{ type = "object", "$ref" = "#/defs/input" }'),
     "tool-schema", "tools[0].input_schema.$ref", True),
    ("schema-keyword-nested", schema_doc('{ type = "object", properties = { q = { type = "string", format = "uri" } } }'),
     "tool-schema", "tools[0].input_schema.properties.q.format", True),
    ("schema-root-not-object", schema_doc('{ type = "string" }'), "tool-schema", "tools[0].input_schema.type", True),
    ("schema-root-no-type", schema_doc("{ properties = {} }"), "tool-schema", "tools[0].input_schema.type", True),
    ("schema-not-a-table", schema_doc('"schemas/input.json"'), "tool-schema", "tools[0].input_schema", True),
    ("schema-node-no-type", schema_doc("{ type = \"object\", properties = { q = { title = \"Q\" } } }"),
     "tool-schema", "tools[0].input_schema.properties.q", True),
    ("schema-node-not-schema", schema_doc('{ type = "object", properties = { q = "not-a-schema" } }'),
     "tool-schema", "tools[0].input_schema.properties.q", True),
    ("schema-type-unknown", schema_doc('{ type = "object", properties = { q = { type = "date" } } }'),
     "tool-schema", "tools[0].input_schema.properties.q.type", True),
    ("schema-type-list", schema_doc('{ type = ["object", "null"] }'), "tool-schema", "tools[0].input_schema.type", True),
    ("schema-title-type", schema_doc('{ type = "object", title = 1 }'), "tool-schema", "tools[0].input_schema.title", True),
    ("schema-properties-on-string", schema_doc('{ type = "object", properties = { q = { type = "string", properties = {} } } }'),
     "tool-schema", "tools[0].input_schema.properties.q.properties", True),
    ("schema-items-on-object", schema_doc('{ type = "object", items = { type = "string" } }'),
     "tool-schema", "tools[0].input_schema.items", True),
    ("schema-items-not-schema", schema_doc('{ type = "object", properties = { v = { type = "array", items = "x" } } }'),
     "tool-schema", "tools[0].input_schema.properties.v.items", True),
    ("schema-additional-type", schema_doc('{ type = "object", additionalProperties = "no" }'),
     "tool-schema", "tools[0].input_schema.additionalProperties", True),
    ("schema-additional-bad-schema", schema_doc('{ type = "object", additionalProperties = { type = "unsupported" } }'),
     "tool-schema", "tools[0].input_schema.additionalProperties.type", True),
    ("schema-required-not-array", schema_doc('{ type = "object", required = "q" }'),
     "tool-schema", "tools[0].input_schema.required", True),
    ("schema-required-duplicate", schema_doc('{ type = "object", properties = { q = { type = "string" } }, required = ["q", "q"] }'),
     "tool-schema", "tools[0].input_schema.required", True),
    ("schema-required-undeclared", schema_doc('{ type = "object", properties = {}, required = ["q"] }'),
     "tool-schema", "tools[0].input_schema.required", False),
    ("schema-enum-empty", schema_doc('{ type = "object", properties = { m = { type = "string", enum = [] } } }'),
     "tool-schema", "tools[0].input_schema.properties.m.enum", True),
    ("schema-enum-duplicate", schema_doc('{ type = "object", properties = { m = { type = "string", enum = ["a", "a"] } } }'),
     "tool-schema", "tools[0].input_schema.properties.m.enum", False),
    ("permission-surface-tool", doc(perms='permissions = [{ kind = "tool", name = "echo" }]\n'),
     "permission-missing", "tools", True),
    ("permission-tool", doc(perms='permissions = [{ kind = "surface", surface = "tool" }]\n'),
     "permission-missing", "tools[0]", False),
    ("permission-namespace-mismatch", doc(perms='permissions = [{ kind = "surface", surface = "tool" }, '
                                                '{ kind = "tool_namespace", namespace = "other_" }]\n'),
     "permission-missing", "tools[0]", False),
    ("permission-external-write", doc(tools=TOOL + "external_write = true\n"),
     "permission-missing", "tools[0].external_write", True),
    ("permission-service", doc(perms=SERVICE_PERMS.replace('{ kind = "service", name = "svc" },', ""),
                               runtime=INSTANCE, tools="", tables=SERVICE), "permission-missing", "services[0]", False),
    ("permission-ingress-surface", doc(perms=SERVICE_PERMS.replace('{ kind = "surface", surface = "ingress" },', ""),
                                       runtime=INSTANCE, tools="", tables=INGRESS), "permission-missing", "ingresses", True),
    ("request-target-missing", doc(perms=PERMS.replace("]\n", ', { kind = "host_api", api = "request" }]\n')),
     "request-target-missing", "request", True),
    ("request-target-no-method", doc(perms=PERMS.replace("]\n", ', { kind = "host_api", api = "request" }]\n'),
                                     tables='[[request]]\nscheme = "https"\nhost = "api.example.com"\nmethods = ["TRACE"]\n'),
     "request-target-missing", "request", True),
    ("websocket-target-missing", doc(perms=PERMS.replace("]\n", ', { kind = "host_api", api = "websocket" }]\n'),
                                     tables='[[websocket]]\nscheme = "https"\nhost = "example.com"\n'),
     "websocket-target-missing", "websocket", True),
]  # fmt: skip

VALID = {
    "tool": doc(),
    "namespace": doc(
        perms='permissions = [{ kind = "surface", surface = "tool" }, '
        '{ kind = "tool_namespace", namespace = "ec" }]\n'
    ),  # fmt: skip
    "instance": doc(perms=SERVICE_PERMS, runtime=INSTANCE, tools="", tables=SERVICE + INGRESS),
    "request": doc(
        perms=PERMS.replace("]\n", ', { kind = "host_api", api = "request" }]\n'),
        tables='[[request]]\nscheme = "https"\nhost = "api.example.com"\nport = 443\n'
        'methods = [" get "]\npath_prefixes = ["/v1/"]\n',
    ),
    "hooks-only": HEAD + 'description = "Adds a summary."\nsurfaces = ["hook"]\n'
    '[[hooks]]\nid = "summary"\nfile = "hooks/summary.md"\n',
    "external-write-extra-key": doc(
        perms=PERMS.replace("]\n", ', { kind = "external_write", note = "ignored" }]\n'),
        tools=TOOL + "external_write = true\n",
    ),
    "fs-only": doc(perms=PERMS.replace("]\n", ', { kind = "host_api", api = "fs" }]\n')),
    "multi-line-tool-description": doc(
        tools=TOOL.replace('"Echo"', '"""Echo the text.\n\tKeeps it as it is, ünïcode too."""')
    ),
    **{
        t: (TEMPLATES / t / "plugin.toml").read_text("utf-8")
        for t in ("rust-component-tool", "rust-component-instance")
    },
}


def problems_of(text: str) -> list[tuple[str, str]]:
    _doc, problems = yoi_manifest_problems(text.encode())
    return [(p.rule, p.field) for p in problems]


@pytest.mark.parametrize(
    ("text", "rule", "where"), [c[1:4] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_host_rule_is_one_problem_with_its_field_path(
    text: str, rule: str, where: str
) -> None:
    assert problems_of(text) == [(rule, where)]


def test_the_case_table_covers_every_error_rule() -> None:
    rules = {c[2] for c in CASES}
    assert rules >= {
        "manifest-unknown-field", "manifest-missing-field", "manifest-type", "manifest-enum",
        "manifest-version", "id-unsafe", "manifest-empty", "runtime-retired", "runtime-kind",
        "runtime-abi", "runtime-world", "runtime-component", "runtime-missing", "manifest-path",
        "surface-world", "tool-name", "tool-duplicate", "tool-schema", "permission-missing",
        "request-target-missing", "websocket-target-missing", "text-control",
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_manifests_have_no_problem(name: str) -> None:
    assert problems_of(VALID[name]) == []


def test_messages_are_sentences_with_a_hint() -> None:
    for _id, text, *_ in CASES:
        _doc, problems = yoi_manifest_problems(text.encode())
        for p in problems:
            assert p.message[0].isupper() or p.message[0] in "`'\"[", (p.rule, p.message)
            assert p.message.endswith("."), (p.rule, p.message)
            assert p.hint, p.rule


def test_retired_wasm_says_what_to_use() -> None:
    _doc, [p] = yoi_manifest_problems(
        CASES[[c[0] for c in CASES].index("runtime-wasm-retired")][1].encode()
    )
    assert "wasm-component" in p.hint and "world" in p.hint


def test_unknown_field_names_the_allowed_ones_and_the_sidecar() -> None:
    _doc, [p] = yoi_manifest_problems(doc(tables='[build]\ncommand = ["make"]\n').encode())
    assert "plugin-kit.toml" in p.hint
    _doc, [p] = yoi_manifest_problems(doc(runtime=RUNTIME + "memory = 1\n").encode())
    assert "kind, entry, abi, component, world" in p.message


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'schema_version = 1\nid = "x"\nname = [\n', "line 4, column 1"),
        (b'schema_version = 1\nid = "x\nname = "y"\n', "line 2, column"),
        (b'schema_version = 1\nname = "\xff"\n', "line 2, column 9"),
    ],
    ids=["toml-eof", "toml-unterminated", "utf8"],
)
def test_a_manifest_that_does_not_parse_gives_line_and_column(data: bytes, where: str) -> None:
    parsed, [p] = yoi_manifest_problems(data)
    assert parsed is None and p.rule == "manifest-parse" and p.phase == "parse"
    assert where in p.message


def test_every_problem_is_reported_at_once() -> None:
    text = doc(
        'surfaces = ["tools"]\nlicense = "MIT"\n',
        head=HEAD.replace("example.echo", "bad id"),
        runtime=RUNTIME.replace("tool@1.0.0", "tool@9.0.0"),
        tools=schema_doc('{ type = "object", "$ref" = "#/x" }').split(RUNTIME)[1],
    )
    assert sorted(problems_of(text)) == sorted([
        ("id-unsafe", "id"),
        ("manifest-enum", "surfaces[0]"),
        ("manifest-unknown-field", "license"),
        ("runtime-world", "runtime.world"),
        ("tool-schema", "tools[0].input_schema.$ref"),
    ])  # fmt: skip


def test_parse_raises_with_every_problem() -> None:
    from plugin_kit.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        parse_yoi_manifest(doc('license = "MIT"\nauthors = []\n').encode())
    assert info.value.rule == "manifest-unknown-field"
    assert len(info.value.problems) == 2
    m = parse_yoi_manifest(VALID["instance"].encode())
    assert (m.runtime, m.world, m.component) == (
        "instance",
        "yoi:plugin/instance@1.0.0",
        "plugin.component.wasm",
    )
    assert m.permission_labels == [
        "surfaces.service",
        "service.svc",
        "surfaces.ingress",
        "ingress.in",
    ]
    assert m.to_dict()["services"] == ["svc"] and m.host_apis == set()


# --- the JSON Schema shipped beside ours ------------------------------------------------------


def _schema_errors(text: str) -> list[str]:
    from jsonschema import Draft202012Validator

    schema = json.loads(
        files("plugin_kit.validators").joinpath("schemas/yoi-plugin.schema.json").read_text()
    )
    return [e.message for e in Draft202012Validator(schema).iter_errors(tomllib.loads(text))]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    from plugin_kit.hosts import YOI

    schema = json.loads(
        files("plugin_kit.validators").joinpath(f"schemas/{YOI.schema_file}").read_text()
    )
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(("text", "sees"), [(c[1], c[4]) for c in CASES], ids=[c[0] for c in CASES])
def test_schema_and_python_agree_on_every_failing_manifest(text: str, sees: bool) -> None:
    """The schema refuses every failing manifest, except the rules it cannot express (they compare
    values with each other; listed in the schema's $comment), which it must then accept."""
    assert problems_of(text)
    assert bool(_schema_errors(text)) is sees


@pytest.mark.parametrize("name", sorted(VALID))
def test_schema_accepts_every_valid_manifest(name: str) -> None:
    assert _schema_errors(VALID[name]) == []


# --- against the package's files ------------------------------------------------------------


def _checked(text: str, files_: dict[str, bytes]) -> tuple[list, list]:
    m = yoi_manifest_from_doc(tomllib.loads(text))
    kw = {"packed": set(files_), "read": files_.__getitem__}
    return yoi_semantic_problems(m, **kw), yoi_manifest_warnings(m, **kw)


def test_referenced_files_must_be_packed() -> None:
    text = VALID["hooks-only"]
    errors, _ = _checked(text, {})
    assert [(p.rule, p.field) for p in errors] == [("file-missing", "hooks[0].file")]
    errors, _ = _checked(doc(), {})
    assert [(p.rule, p.field) for p in errors] == [("file-missing", "runtime.component")]
    errors, _ = _checked(doc(), {"plugin.component.wasm": COMPONENT})
    assert errors == []


def test_a_file_that_exists_but_is_not_packed_is_named_so() -> None:
    m = yoi_manifest_from_doc(tomllib.loads(doc()))
    [p] = yoi_semantic_problems(m, packed=set(), read=bytes, exists=lambda _p: True)
    assert "exists but is not packed" in p.message


# (id, manifest, packed component bytes, warning rule, field path)
WARNINGS = [
    ("request-unusable", doc(tables='[[request]]\nscheme = "ftp"\nhost = "x"\nmethods = ["GET"]\n'),
     COMPONENT, "request-target-unusable", "request[0]"),
    ("request-method", doc(tables='[[request]]\nscheme = "https"\nhost = "x"\nmethods = ["GET", "HEAD"]\n'),
     COMPONENT, "request-target-unusable", "request[0].methods"),
    ("websocket-unusable", doc(tables='[[websocket]]\nscheme = "https"\nhost = "x"\n'),
     COMPONENT, "websocket-target-unusable", "websocket[0]"),
    ("path-prefix", doc(tables='[[websocket]]\nscheme = "wss"\nhost = "x"\npath_prefixes = ["socket"]\n'),
     COMPONENT, "target-path-prefix", "websocket[0].path_prefixes"),
    ("path-prefix-non-ascii", doc(tables='[[websocket]]\nscheme = "wss"\nhost = "x"\npath_prefixes = ["/bücher/"]\n'),
     COMPONENT, "target-path-prefix", "websocket[0].path_prefixes"),
    ("path-prefix-dots", doc(tables='[[websocket]]\nscheme = "wss"\nhost = "x"\npath_prefixes = ["/v1/../v2/"]\n'),
     COMPONENT, "target-path-prefix", "websocket[0].path_prefixes"),
    ("grant-needed", VALID["fs-only"], COMPONENT, "grant-needed", "permissions"),
    ("ignored-field", VALID["external-write-extra-key"], COMPONENT, "permission-ignored-field", "permissions[2]"),
    ("unrequested", doc(tables='[[request]]\nscheme = "https"\nhost = "x"\nmethods = ["GET"]\n'),
     COMPONENT, "host-api-unrequested", "request"),
    ("ingress-source", doc(perms=SERVICE_PERMS, runtime=INSTANCE, tools="",
                           tables=INGRESS + 'sources = ["websocket:https://x/"]\n'),
     COMPONENT, "ingress-source", "ingresses[0].sources[0]"),
    ("semver", doc(head=HEAD.replace('"0.1.0"', '"2024.1"')), COMPONENT, "version-semver", "version"),
    ("no-runtime", VALID["hooks-only"], COMPONENT, "runtime-missing", "runtime"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "data", "rule", "where"), [w[1:] for w in WARNINGS], ids=[w[0] for w in WARNINGS]
)
def test_each_warning(text: str, data: bytes, rule: str, where: str) -> None:
    assert problems_of(text) == []  # the host accepts the manifest
    packed = {"plugin.component.wasm": data, "hooks/summary.md": b"x"}
    errors, warnings = _checked(text, packed)
    assert errors == []
    assert (rule, where) in [(w.rule, w.field) for w in warnings]
    assert all(w.severity == "warning" for w in warnings)


def test_a_clean_manifest_and_component_give_no_warning() -> None:
    assert _checked(doc(), {"plugin.component.wasm": COMPONENT}) == ([], [])


# --- the host's own templates and `plugin validate` -----------------------------------------


def check_verdict(report: ValidationReport) -> str:
    """The status `yoi plugin check` gives a folder, from our report: errors (and host APIs, which
    check never grants) are "rejected", a placeholder component "partial", else "active"."""
    rules = {w.rule for w in report.warnings}
    if not report.ok or "grant-needed" in rules:
        return "rejected"
    return "partial" if "component-placeholder" in rules else "active"


@pytest.mark.parametrize(
    ("template", "verdict"),
    # plugin_cli.rs `build_check_report`: the tool template is "partial" (its placeholder is the
    # one `placeholder_component_diagnostic` compares with); the instance template requests
    # host_api.websocket, which check's empty grants refuse ("enabled host_api.websocket grants
    # are missing"), so check says "rejected" although discovery accepts the package.
    [("rust-component-tool", "partial"), ("rust-component-instance", "rejected")],
)
def test_host_templates_get_the_verdict_of_yoi_plugin_check(
    tmp_path: Path, template: str, verdict: str
) -> None:
    root = shutil.copytree(TEMPLATES / template, tmp_path / template)
    report = validate_project(root)
    assert report.ok, report.problems
    assert report.host is not None and report.host.name == "yoi"
    assert "component-placeholder" in {w.rule for w in report.warnings}
    assert check_verdict(report) == verdict


def _manifest_warnings(report):  # type: ignore[no-untyped-def]
    """The manifest's own warnings; the component pre-flight's (a header-only fixture here) are
    tested in tests/components."""
    return [w for w in report.warnings if w.phase != "preflight"]


def test_validate_project_reports_file_problems_for_yoi(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(doc())
    report = validate_project(tmp_path)
    assert [(p.rule, p.field) for p in report.problems] == [("file-missing", "runtime.component")]
    (tmp_path / "plugin.component.wasm").write_bytes(COMPONENT)
    (tmp_path / "README.md").write_text("# Echo\n")
    (tmp_path / "LICENSE").write_text("MIT\n")
    report = validate_project(tmp_path)
    assert report.ok and _manifest_warnings(report) == [] and report.to_dict()["host"] == "yoi"


def test_yoi_projects_get_no_insomnia_only_rule(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(doc(head=HEAD.replace('"0.1.0"', '"1"')))
    (tmp_path / "plugin.component.wasm").write_bytes(COMPONENT)
    report = validate_project(tmp_path)
    assert report.ok
    assert {w.rule for w in _manifest_warnings(report)} == {
        "version-semver",
        "no-license",
        "no-readme",
    }


def test_a_manifest_of_neither_host_is_a_problem_naming_both(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text('id = "x"\n')
    report = validate_project(tmp_path)
    [p] = report.problems
    assert (
        p.rule == "host-unknown"
        and "schema_version" in p.message
        and "manifest_version" in p.message
    )
    assert "Yoi" in p.message and "Insomnia" in p.message


def test_host_option_overrides_the_shape(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text("manifest_version = 1\n")
    report = validate_project(tmp_path, host="yoi")
    assert report.host is not None and report.host.name == "yoi"
    assert ("manifest-unknown-field", "manifest_version") in [
        (p.rule, p.field) for p in report.problems
    ]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "plugin_kit", "validate", *args], capture_output=True, text=True
    )


def test_cli_validate_yoi(tmp_path: Path) -> None:
    root = shutil.copytree(TEMPLATES / "rust-component-tool", tmp_path / "tool")
    proc = _cli(str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (
        data["host"] == "yoi"
        and data["valid"] is True
        and data["id"] == "example.rust_component_tool"
    )
    assert "component-placeholder" in {w["rule"] for w in data["warnings"]}
    human = _cli(str(root))
    assert (
        human.returncode == 0
        and "(yoi, tool)" in human.stdout
        and "component-placeholder" in human.stderr
    )
    (root / "plugin.toml").write_text("name = 1\n")
    neither = _cli(str(root))
    assert (
        neither.returncode == 1 and "host-unknown" in neither.stderr and "--host" in neither.stderr
    )
    forced = _cli(str(root), "--host", "yoi", "--json")
    assert forced.returncode == 1 and json.loads(forced.stdout)["host"] == "yoi"
    assert _cli(str(root), "--host", "nope").returncode == 2


# --- the schema's patterns and the Python rules agree on any string ---------------------------

_ALPHABET = "aZ09-._/\\~:é\0 \n"


@given(
    st.text(alphabet=_ALPHABET, max_size=12)
    | st.sampled_from(["a" * 128, "a" * 129, "C:", ".", ".."])
)
def test_safe_id_pattern_matches_is_safe_id(value: str) -> None:
    schema = json.loads(
        files("plugin_kit.validators").joinpath("schemas/yoi-plugin.schema.json").read_text()
    )
    assert bool(re.search(schema["$defs"]["safeId"]["pattern"], value)) is is_safe_id(value)


@given(st.text(alphabet=_ALPHABET, max_size=12))
def test_package_path_pattern_matches_archive_path_ok(value: str) -> None:
    schema = json.loads(
        files("plugin_kit.validators").joinpath("schemas/yoi-plugin.schema.json").read_text()
    )
    assert bool(re.search(schema["$defs"]["packagePath"]["pattern"], value)) is archive_path_ok(
        value
    )


_TEXT = "aé \n\t\x00\x1b\x7f\x9b\u061c\u200e\u202e\u2028\u2066\u00a0"


@given(st.text(alphabet=_TEXT, max_size=8))
def test_text_patterns_match_the_control_rule(value: str) -> None:
    from plugin_kit.validators.yoi_manifest import _control_problem

    defs = json.loads(
        files("plugin_kit.validators").joinpath("schemas/yoi-plugin.schema.json").read_text()
    )["$defs"]
    for name, prose in (("line", False), ("prose", True)):
        refused = bool(re.search(defs[name]["not"]["pattern"], value))
        assert refused is (_control_problem("f", value, prose=prose, place="p") is not None)


_KEYS = ["schema_version", "id", "name", "version", "runtime", "kind", "world", "component", "tools",
         "input_schema", "type", "properties", "required", "items", "enum", "permissions", "api",
         "surface", "request", "websocket", "methods", "port", "services", "ingresses", "hooks", "file",
         "sources", "x", "é"]  # fmt: skip
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False)
    | st.sampled_from(["", " ", "object", "wasm", "wasm-component", "host_api", "tool", "../a", "é/ü"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=8))
def test_any_document_gives_problems_never_an_exception(data: dict) -> None:
    """Whatever shape the TOML has, the checks report problems (each with a rule) and never raise."""
    import tomlkit

    text = tomlkit.dumps(_drop_none(data))  # TOML has no null
    parsed, problems = yoi_manifest_problems(text.encode())
    assert parsed is not None
    assert all(p.rule and p.message.endswith(".") for p in problems)
    if not problems:
        yoi_manifest_from_doc(parsed).to_dict()


def _drop_none(value):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value if v is not None]
    return value
