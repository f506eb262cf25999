"""A loopback fake of the GitHub REST API for publisher and installer tests.

    with FakeGitHub(token="t0k") as fake:
        fake.create_repo("acme/weather-tools")
        github.Github(auth=Auth.Token("t0k"), base_url=fake.api_url)

Standalone: `python -m fakes.github --port 0 --repo acme/demo` prints its URL (run from tests/).
"""

from .server import FakeGitHub
from .state import ApiError, Fault

__all__ = ["ApiError", "FakeGitHub", "Fault"]
