"""parse_version: SemVer 2.0 as the semver library reads it, and a version
must print back exactly as written (semver before 3.1 let "1.2.3\n" through)."""

from __future__ import annotations

import pytest

from plugin_kit.validators.versions import VersionRangeError, parse_version


def _accepted(text: str) -> bool:
    try:
        parse_version(text)
    except VersionRangeError:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "ok"),
    [("1.2.3", True), ("1.2.3-rc.1+b.5", True), ("01.2.3", False), ("1.2", False),
     ("1.2.3\n", False), ("1.2.٣", False), ("1.2.3-01", False), ("1.2.3-0a", True)],
)  # fmt: skip
def test_known_versions(text: str, ok: bool) -> None:
    assert _accepted(text) == ok
