"""README.md and docs/*.md are true to the code where a machine can tell.

- Every `plugin COMMAND ... --option` (and `create-plugin ... --option`) written in a doc, in a
  code span or a code block, is an option of that command: a renamed or removed option fails here.
- Every rule id a doc names as one (the first column of a `| rule |` table, `(`id`, exit N)`,
  `rule `id``) is a rule the code can raise: a string in src/, or made by an f-string whose fixed
  part matches (`f"{api}-target-missing"`, `"yoi-limit-" + name`).
- Every `PLUGIN_KIT_*`, `INSOMNIA_*` and `YOI_*` variable a doc names is read by src/ or the suite.
- Every repository path (`tests/...`, `plugin_kit/validators/schemas/...`) a doc names exists, and
  every `plugin_kit.module.name` resolves.

Each check is also run on a planted mismatch, so it cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import re
import shlex
from collections.abc import Callable
from functools import cache
from pathlib import Path

import click

from plugin_kit.cli.create import create
from plugin_kit.cli.main import cli

_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*=")
ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _findings(check: Callable[[str], list[str]]) -> list[str]:
    """`check` over every doc: `PAGE:LINE: what`."""
    return [f"{doc.name}:{hit}" for doc in DOCS for hit in check(doc.read_text())]


# ---------------------------------------------------------------- options of commands

_SPAN = re.compile(r"`([^`\n]+)`")
_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
# A command line inside a span or block line: up to a shell separator, a comment or an arrow.
_COMMAND = re.compile(r"(?:^|[\s(;&$])((?:plugin|create-plugin) [^;&#►→]*)")
_OPTION = re.compile(r"(?<![\w/.=:-])(--?[a-zA-Z][\w-]*)")


def _snippets(text: str) -> list[tuple[int, str]]:
    """(line, text) of every code span and every line of every code block."""
    out = [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _SPAN.finditer(text)]
    for m in _BLOCK.finditer(text):
        first = text.count("\n", 0, m.start(1)) + 1
        out += [(first + i, line) for i, line in enumerate(m.group(1).splitlines())]
    return out


def _resolve(words: list[str]) -> tuple[click.Command, click.Group | None, list[str]] | None:
    """The command a line names, its group and the words after it; None for prose
    (`the plugin folder`)."""
    if words[0] == "create-plugin":
        return create, None, words[1:]
    cmd: click.Command = cli
    group: click.Group | None = None
    rest = words[1:]
    while isinstance(cmd, click.Group) and rest:
        sub = cmd.get_command(click.Context(cmd), rest[0])
        if sub is None:
            break
        group, cmd, rest = cmd, sub, rest[1:]
    if cmd is cli and rest and not rest[0].startswith("-"):
        return None
    return cmd, group, rest


def _options(cmd: click.Command) -> set[str]:
    names = {"-h", "--help", "-v", "--verbose"}  # the root's, taken after any command name too
    for param in cmd.params:
        names.update(param.opts, param.secondary_opts)
    return names


def _split(words: list[str]) -> list[list[str]]:
    """Words split at each `|` that stands alone: `NAME | FILE | URL`, or a synopsis of
    sibling commands, `plugin catalog ls | rm NAME [--force]`."""
    parts: list[list[str]] = [[]]
    for word in words:
        if word == "|":
            parts.append([])
        else:
            parts[-1].append(word)
    return parts


def _name(cmd: click.Command) -> str:
    return "create-plugin" if cmd is create else str(cmd.name)


def unknown_options(text: str) -> list[str]:
    """`LINE: COMMAND OPTION` for each option a doc writes after a command that lacks it."""
    out = []
    for line, snippet in _snippets(text):
        for m in _COMMAND.finditer(snippet):
            found = _resolve(m.group(1).split())
            if found is None:
                continue
            cmd, group, rest = found
            for words in _split(rest):
                sibling = group and words and group.get_command(click.Context(group), words[0])
                if sibling:
                    cmd, words = sibling, words[1:]
                for option in _OPTION.findall(" ".join(words)):
                    if option not in _options(cmd):
                        out.append(f"{line}: {_name(cmd)} {option}")
    return out


def test_every_option_a_doc_writes_after_a_command_is_one_of_its_options() -> None:
    wrong = _findings(unknown_options)
    assert not wrong, "options the command does not have:\n" + "\n".join(wrong)


def test_the_option_check_finds_a_planted_mismatch() -> None:
    doc = (
        "Run `plugin install NAME --projekt`, then\n\n```sh\n"
        "plugin catalog ls | rm NAME [--force] | refresh [--allow-expired] [--all]\n"
        "create-plugin x --no-input --runtime wasm --colour\n"
        "plugin pack -o dist   # the --nothing here is a comment\n```\n"
        "The plugin folder (--not-a-command) is prose.\n"
    )
    assert unknown_options(doc) == [
        "1: install --projekt",
        "4: refresh --all",
        "5: create-plugin --colour",
    ]


# ---------------------------------------------------------------- rule ids

_RULE = r"[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*(?:-\*)?"
_TABLE_HEAD = re.compile(r"^\| *rule *\|")
_NAMED = [
    re.compile(rf"\(`({_RULE})`(?:, exit \d+| otherwise)"),  # (`store-symlink`, exit 1)
    re.compile(rf"\brules? `({_RULE})`"),  # the rule `yoi-trap`
    re.compile(r"\(`([a-z]+(?:[-.][a-z]+)*-[a-z]+)`\)"),  # (`catalog-expiry`): kebab, no digit
]


def rule_ids_named(text: str) -> list[tuple[int, str]]:
    """(line, id) of every rule id the text names as one."""
    out: list[tuple[int, str]] = []
    in_table = False
    for number, line in enumerate(text.splitlines(), 1):
        if _TABLE_HEAD.match(line):
            in_table = True
            continue
        in_table = in_table and line.startswith("|")
        if in_table and not line.startswith("|---"):
            first = line.split("|")[1]
            # `component-limit-instances`, `-tables`: the second is a suffix of the first's stem
            out += [(number, rule) for rule in re.findall(rf"`({_RULE})`", first)]
        for pattern in _NAMED:
            out += [(number, m.group(1)) for m in pattern.finditer(line)]
    return out


@cache
def _rules_in_src() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """Every string constant of src/, and a pattern for every f-string or `"prefix-" + x`
    whose fixed part looks like part of a rule id."""
    strings: set[str] = set()
    made: list[re.Pattern[str]] = []
    for path in (ROOT / "src").rglob("*.py"):
        if "templates" in path.parts:  # cookiecutter sources, not our Python
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                fixed = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if re.search(r"[a-z]{2,}-|-[a-z]{2,}", fixed) and not re.search(r"\s", fixed):
                    made.append(re.compile("".join(
                        re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9_.-]+"
                        for v in node.values
                    )))  # fmt: skip
            elif (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Add)
                and isinstance(node.left, ast.Constant)
                and isinstance(node.left.value, str)
                and re.fullmatch(r"[a-z]+(-[a-z]+)*-", node.left.value)
            ):
                made.append(re.compile(re.escape(node.left.value) + "[a-z0-9_.-]+"))
    return frozenset(strings), tuple(made)


def rule_exists(rule: str) -> bool:
    strings, made = _rules_in_src()
    if rule.endswith("-*"):  # `limit-*`: a family
        stem = rule[:-1]
        return any(s.startswith(stem) for s in strings) or any(
            p.pattern.startswith(re.escape(stem)) for p in made
        )
    return rule in strings or any(p.fullmatch(rule) for p in made)


def unknown_rules(text: str) -> list[str]:
    return [f"{line}: {rule}" for line, rule in rule_ids_named(text) if not rule_exists(rule)]


def test_every_rule_id_a_doc_names_exists_in_the_code() -> None:
    named = [rule for doc in DOCS for _line, rule in rule_ids_named(doc.read_text())]
    assert len(named) > 150 and "store-symlink" in named and "component-placeholder" in named
    wrong = _findings(unknown_rules)
    assert not wrong, "rule ids no code raises:\n" + "\n".join(wrong)


def test_the_rule_check_finds_a_planted_id() -> None:
    doc = (
        "| rule | what |\n|---|---|\n| `store-symlink`, `no-such-rule` | x |\n| `limit-*` | y |\n"
        "\nrefused (`catalog-unheard-of`, exit 3); the rule `yoi-limit-fuel`, the rule `yoi-limits-fuel`\n"
        "and `request-target-missing` but not `request-target-absent` (prose, no rule)\n"
        "refused (`catalog-never-said`); Rust (`wasm32-wasip1`) or (`ci.yml`) are no rules\n"
    )
    assert unknown_rules(doc) == [
        "3: no-such-rule",
        "6: catalog-unheard-of",
        "8: catalog-never-said",
    ]


# ---------------------------------------------------------------- environment variables

_ENV_VAR = re.compile(r"\b((?:PLUGIN_KIT|INSOMNIA|YOI)_[A-Z0-9_]*[A-Z0-9])\b")


@cache
def _strings_in(folder: str) -> frozenset[str]:
    return frozenset(
        node.value
        for path in (ROOT / folder).rglob("*.py")
        if "templates" not in path.parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def unknown_env_vars(text: str) -> list[str]:
    """Our variables a doc names that neither src/ nor the suite (PLUGIN_KIT_SKIP_*) reads.
    Yoi's own (`PLUGIN_WASM_TIMEOUT`) carry no prefix of ours and are not checked."""
    known = _strings_in("src") | _strings_in("tests")
    return [
        f"{text.count(chr(10), 0, m.start()) + 1}: {m.group(1)}"
        for m in _ENV_VAR.finditer(text)
        if m.group(1) not in known
    ]


def test_every_environment_variable_a_doc_names_is_read() -> None:
    wrong = _findings(unknown_env_vars)
    assert not wrong, "variables nothing reads:\n" + "\n".join(wrong)


def test_the_environment_check_finds_a_planted_variable() -> None:
    doc = "`PLUGIN_KIT_LOCK_TIMEOUT` and `YOI_HOME` are read;\n`PLUGIN_KIT_FETCH_RETRIES` is not.\n"
    assert unknown_env_vars(doc) == ["2: PLUGIN_KIT_FETCH_RETRIES"]


# ---------------------------------------------------------------- paths and names in the code

_REPO_PATH = re.compile(
    r"`((?:src/plugin_kit|plugin_kit|tests|scripts|bench|tools|action|\.ci)/[^`\s]*)`"
)
_DOTTED = re.compile(r"`(plugin_kit(?:\.[A-Za-z_]\w*)+)`")


def _resolves(dotted: str) -> bool:
    """`plugin_kit.a.b.c`: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


def missing_code_references(text: str) -> list[str]:
    """Repository paths (`tests/format/test_pack.py`, `plugin_kit/validators/schemas/...`) that do
    not exist, and `plugin_kit.module.name` references that do not resolve."""
    out = []
    for m in _REPO_PATH.finditer(text):
        path = m.group(1).split("#")[0].rstrip(":")
        path = "src/" + path if path.startswith("plugin_kit/") else path
        if not (ROOT / path).exists():
            out.append(f"{text.count(chr(10), 0, m.start()) + 1}: {m.group(1)}")
    for m in _DOTTED.finditer(text):
        if not _resolves(m.group(1)):
            out.append(f"{text.count(chr(10), 0, m.start()) + 1}: {m.group(1)}")
    return out


def test_every_file_and_module_a_doc_names_exists() -> None:
    wrong = _findings(missing_code_references)
    assert not wrong, "no such file or name in the code:\n" + "\n".join(wrong)


def test_the_reference_check_finds_planted_ones() -> None:
    doc = (
        "`tests/format/test_pack.py`, `plugin_kit/validators/schemas/hooks.schema.json`,\n"
        "`tests/format/test_nothing.py`, `plugin_kit.installer.api.discover`,\n"
        "`plugin_kit.installer.api.discovered`, `plugin_kit.no_such_module`\n"
    )
    assert missing_code_references(doc) == [
        "2: tests/format/test_nothing.py",
        "3: plugin_kit.installer.api.discovered",
        "3: plugin_kit.no_such_module",
    ]


# ---------------------------------------------------------------- whole command lines

_SHELL_BLOCK = re.compile(r"^```(?:sh|bash|)\n(.*?)^```", re.S | re.M)
_SYNOPSIS = re.compile(r"[\[\]►]|\.\.\.")  # `plugin install NAME[@VERSION] [--project]`: a synopsis


def _parse(cmd: click.Command, args: list[str]) -> None:
    """Parse as click would, descending into groups; arity and required parameters too."""
    ctx = click.Context(cmd, info_name=cmd.name)
    values, rest, _order = cmd.make_parser(ctx).parse_args(args=list(args))
    if isinstance(cmd, click.Group):
        sub = cmd.get_command(ctx, rest[0]) if rest else None
        if sub is None:
            raise click.UsageError(f"no command {rest[:1]}")
        _parse(sub, rest[1:])
        return
    for param in cmd.params:
        if param.required and values.get(param.name) in (None, ()):
            raise click.UsageError(f"missing {param.human_readable_name}")
    if rest:
        raise click.UsageError(f"unexpected argument(s) {rest}")


_COMMAND_LINE = re.compile(r"^\s*(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:plugin|create-plugin)\s")


def _logical_lines(body: str) -> list[tuple[int, str]]:
    """(offset of the first line, text) with backslash continuations joined."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for offset, line in enumerate(body.splitlines()):
        start, text = pending if pending else (offset, "")
        text += line
        if line.endswith("\\"):
            pending = (start, text[:-1] + " ")
            continue
        pending = None
        out.append((start, text))
    return out


def unparsable_examples(text: str) -> list[str]:
    """Command lines of shell code blocks (not synopses) that the command's parser refuses."""
    out = []
    for block in _SHELL_BLOCK.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        for offset, raw in _logical_lines(block.group(1)):
            if not _COMMAND_LINE.match(raw) or _SYNOPSIS.search(raw):
                continue
            words = [w for w in shlex.split(raw, comments=True) if not _ENV.match(w)]
            words = list(itertools.takewhile(lambda w: w not in ("&&", "|", ";"), words))
            if _resolve(words) is None:
                continue
            try:
                _parse(create if words[0] == "create-plugin" else cli, words[1:])
            except click.UsageError as exc:
                out.append(f"{first + offset}: {' '.join(words)}: {exc.format_message()}")
    return out


def test_every_command_line_in_a_shell_block_parses() -> None:
    wrong = _findings(unparsable_examples)
    assert not wrong, "examples their command refuses:\n" + "\n".join(wrong)


def test_the_example_check_finds_planted_ones() -> None:
    doc = (
        "```sh\nplugin pack -o\nplugin verify SHA256SUMS --pubkey-file release.pub\n"
        "KEY_PW=x plugin keygen -o ci --password-env KEY_PW extra\n"
        "plugin wat2wasm src/plugin.wat\nplugin install NAME[@VERSION] [--project]\n"
        "plugin catalog\ncreate-plugin x --no-input && cd x\n"
        "plugin catalog build out --from rel \\\n    --key k.key --expires-in\n```\n"
    )
    assert [hit.split(":")[0] for hit in unparsable_examples(doc)] == ["2", "4", "5", "7", "9"]
