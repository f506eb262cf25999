"""One create-plugin answer checked at its prompt, by the rules of the template's host.

The same checks run again on the rendered project (answers.answer_problems); here they let a
terminal ask again at once instead of failing after the last question.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from plugin_kit.hosts import INSOMNIA, YOI, Host

__all__ = ["AnswerCheck", "answer_checks", "id_problem"]

AnswerCheck = Callable[[str], "str | None"]  # the value -> why it is refused, or None


def _insomnia_id(text: str) -> str | None:
    from plugin_kit.validators.manifest import manifest_schema

    rule = manifest_schema()["properties"]["plugin"]["properties"]["id"]
    if rule["minLength"] <= len(text) <= rule["maxLength"] and re.match(rule["pattern"], text):
        return None
    return (
        f"{text!r} is not a plugin id: use {rule['minLength']} to {rule['maxLength']} lower-case "
        "letters, digits and single hyphens, starting with a letter (e.g. weather-tools)"
    )


def _yoi_id(text: str) -> str | None:
    from plugin_kit.validators.yoi_manifest import is_safe_id

    if is_safe_id(text):
        return None
    return (
        f"{text!r} is not a Yoi plugin id: use 1 to 128 letters, digits, '.', '_' and '-', "
        "not starting or ending with '.' (e.g. weather-tools)"
    )


# Yoi's ids are its host's `is_safe_id` (plugin.rs); ours are the schema's stricter pattern.
_ID = {INSOMNIA.name: _insomnia_id, YOI.name: _yoi_id}


def id_problem(host: Host, text: str) -> str | None:
    return _ID[host.name](text)


def _version(text: str) -> str | None:
    from plugin_kit.validators.versions import VersionRangeError, parse_version

    try:
        parse_version(text)
    except VersionRangeError:
        return f"{text!r} is not a version: use SemVer, three numbers such as 0.1.0"
    return None


def _license(text: str) -> str | None:
    from plugin_kit.validators.semantic import license_problem

    why = license_problem(text)
    if why is None:
        return None
    return f"{text!r} is not an SPDX license expression ({why}): e.g. MIT or Apache-2.0"


def _not_empty(what: str) -> AnswerCheck:
    return lambda text: None if text.strip() else f"the {what} cannot be empty"


def answer_checks(host: Host) -> dict[str, AnswerCheck]:
    """The checks of the answers a built-in template asks, for `host`."""
    return {
        "id": lambda text: id_problem(host, text),
        "version": _version,
        "license": _license,
        "name": _not_empty("name"),
        "author": _not_empty("author"),
    }
