"""The compiled schema checks (validators/compiled/) agree with `jsonschema` and are not stale;
the frozen SPDX ids are license-expression's, and a lone id is judged as its parser would.

Everyday commands accept a document on the compiled check's word alone (schemacheck.py), so
a document it accepts and `jsonschema` refuses would slip through: Hypothesis mutates valid
documents (a value swapped for any JSON value or a near miss of the original, a key removed
or added, a list grown) and the two verdicts must be equal for every one, and for our own
failing manifests (test_validate.CASES) and catalogs.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from catalog.releases import YOI_REQUESTS, make_release, make_yoi_release
from format.test_validate import CASES
from helpers.plugins import FILES, MANIFEST
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from plugin_kit.catalog.validate import catalog_schema
from plugin_kit.content.settings import _sidecar_schema
from plugin_kit.signing.keys import generate_keypair, load_secret_key_file
from plugin_kit.validators.compiled import (
    catalog_schema as compiled_catalog,
)
from plugin_kit.validators.compiled import (
    hooks_schema as compiled_hooks,
)
from plugin_kit.validators.compiled import (
    plugin_schema as compiled_plugin,
)
from plugin_kit.validators.compiled import (
    sidecar_schema as compiled_sidecar,
)
from plugin_kit.validators.compiled.spdx_ids import SPDX_IDS
from plugin_kit.validators.hooks import hooks_schema
from plugin_kit.validators.manifest import manifest_schema
from plugin_kit.validators.semantic import license_problem, parsed_license_problem

ROOT = Path(__file__).resolve().parents[2]
SIDECAR = {"package": {"include": ["src/**", "README.md"], "exclude": ["*.tmp"]},
           "build": {"command": ["make", "wasm"]}}  # fmt: skip


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts/gen_schema_validators.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def catalog_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A catalog with an Insomnia and a Yoi entry: both branches of the entry schema."""
    from plugin_kit.publisher.catalog import merge_entries
    from plugin_kit.publisher.catalog_build import release_entries

    base = tmp_path_factory.mktemp("catalog")
    key = load_secret_key_file(generate_keypair(base / "k", None).secret_key, None)
    folders = [
        make_release(base / "rel", key, "alpha-one", "1.0.0"),
        make_yoi_release(base / "rel", key, "example.Echo", "1.0.0", YOI_REQUESTS),
    ]
    entries = release_entries(folders, [key.public_key], base_url="https://x.example")
    return merge_entries(None, entries, catalog_id="acme", now=datetime(2026, 1, 1, tzinfo=UTC))


def _accepts(check: Any, doc: Any) -> bool:
    try:
        check(doc)
    except check.__globals__["SchemaRefused"]:
        return False
    return True


def _agree(check: Any, schema: dict[str, Any], doc: Any) -> None:
    errors = list(Draft202012Validator(schema).iter_errors(doc))
    assert _accepts(check, doc) == (not errors), (doc, [e.message for e in errors])


def _paths(node: Any, at: tuple = ()) -> list[tuple]:
    out = [at]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*at, i))
    return out


def _get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


TEXT = st.text(st.sampled_from("aZz09-._/ \n\t\x00\x1b\u200eé€🙂*$"), max_size=12)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0, 1, 255, 256, 2**31, -1]),
    st.floats(allow_nan=False), st.sampled_from([1.0, 0.5]), TEXT,
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(TEXT, kids, max_size=3),
    max_leaves=6,
)


def _near(value: Any) -> list[Any]:
    """Values close to a valid one: the edges patterns, lengths and types are checked at."""
    if isinstance(value, str):
        return [
            value + "\n", value.upper(), value[:-1], value[1:], value * 40, "", value + "\u202e",
            value.replace(".", ".."), value + "/", "-" + value, value + "é", value[:-2], value + "x",
        ]  # fmt: skip
    if isinstance(value, bool):
        return [not value, int(value)]
    if isinstance(value, int):
        return [value + 1, value - 1, -value, float(value), str(value), True]
    if isinstance(value, list):
        return [[], value * 2, value + value[:1], [value], value[:-1]]
    if isinstance(value, dict):
        return [{}, [value], {**value, "x": 1}]
    return [None, 0, ""]


def _single_near_misses(valid: Any) -> list[Any]:
    """Every document one near miss (or one dropped key) away from `valid`."""
    out = []
    for path in _paths(valid)[1:]:
        for value in [*_near(_get(valid, path)), KeyError]:
            doc = copy.deepcopy(valid)
            parent = _get(doc, path[:-1])
            if value is KeyError:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            out.append(doc)
    return out


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> Any:
    doc = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            return draw(VALUES) if draw(st.booleans()) else doc
        parent, last = _get(doc, path[:-1]), path[-1]
        action = draw(st.sampled_from(["near", "any", "drop", "add"]))
        if action == "near":
            parent[last] = draw(st.sampled_from(_near(parent[last])))
        elif action == "any":
            parent[last] = draw(VALUES)
        elif action == "drop":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(TEXT)] = draw(VALUES)
        else:
            parent.append(copy.deepcopy(parent[last]))
    return doc


MUTATIONS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANIFEST_DOC = tomllib.loads(MANIFEST)
HOOKS_DOC = tomllib.loads(FILES["hooks.toml"])
SCHEMAS = {
    "plugin": (compiled_plugin.validate, manifest_schema(), MANIFEST_DOC),
    "hooks": (compiled_hooks.validate, hooks_schema(), HOOKS_DOC),
    "sidecar": (compiled_sidecar.validate, _sidecar_schema(), SIDECAR),
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_valid_examples_are_accepted(name: str) -> None:
    check, _, doc = SCHEMAS[name]
    assert _accepts(check, doc)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@MUTATIONS
@given(data=st.data())
def test_verdicts_equal_on_mutated_documents(name: str, data: st.DataObject) -> None:
    check, schema, valid = SCHEMAS[name]
    _agree(check, schema, data.draw(mutated(valid)))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_verdicts_equal_on_every_single_near_miss(name: str) -> None:
    check, schema, valid = SCHEMAS[name]
    for doc in _single_near_misses(valid):
        _agree(check, schema, doc)


def test_catalog_verdicts_equal_on_every_single_near_miss(catalog_doc) -> None:
    for doc in _single_near_misses(catalog_doc):
        _agree(compiled_catalog.validate, catalog_schema(), doc)


@MUTATIONS
@given(data=st.data())
def test_catalog_verdicts_equal_on_mutated_catalogs(catalog_doc, data: st.DataObject) -> None:
    assert _accepts(compiled_catalog.validate, catalog_doc)
    _agree(compiled_catalog.validate, catalog_schema(), data.draw(mutated(catalog_doc)))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_verdicts_equal_on_our_failing_manifests(case: tuple) -> None:
    try:
        doc = tomllib.loads(case[1])
    except tomllib.TOMLDecodeError:
        return  # the parse rule: no document reaches a schema check
    _agree(compiled_plugin.validate, manifest_schema(), doc)


def test_verdicts_equal_on_junk_documents(catalog_doc) -> None:
    for junk in ([], "x", None, 1, {}, {"entries": "x"}, json.loads(json.dumps(catalog_doc))):
        for check, schema, _ in [
            *SCHEMAS.values(),
            (compiled_catalog.validate, catalog_schema(), 0),
        ]:
            _agree(check, schema, junk)


GENERATED = _generator().generated()


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_checked_in_code_is_regenerated_from_its_source(name: str) -> None:
    path = ROOT / "src/plugin_kit/validators/compiled" / f"{name}.py"
    assert path.read_text("utf-8") == GENERATED[name], (
        f"{path.name} is stale: run python scripts/gen_schema_validators.py"
    )


ID_TEXT = st.text(st.sampled_from("aAzZ09-.+/ ()é:"), min_size=1, max_size=14)
SAMPLE_IDS = sorted(SPDX_IDS)[::7] + ["MIT", "mit", "Apache-2.0", "GPL-2.0+", "LicenseRef-x", "and"]


@pytest.mark.parametrize("expression", SAMPLE_IDS)
def test_lone_id_verdicts_equal_the_parser_on_known_ids(expression: str) -> None:
    fast = license_problem(expression)
    assert (fast is None) == (parsed_license_problem(expression, SPDX_IDS) is None), fast


def test_an_empty_group_is_refused_not_a_crash() -> None:
    assert license_problem("()") == license_problem("MIT OR ()") == "empty parentheses"


@settings(max_examples=300, deadline=None)
@given(ID_TEXT | st.sampled_from(sorted(SPDX_IDS)).map(lambda k: k + "x"))
def test_lone_id_verdicts_equal_the_parser(expression: str) -> None:
    fast = license_problem(expression)
    assert (fast is None) == (parsed_license_problem(expression, SPDX_IDS) is None), fast
