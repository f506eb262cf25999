"""`python -m fakes.github`: run the fake as a process (for subprocess tests and the action test).

Prints the origin URL on one line (the API is under `<url>/api/v3`), then serves until killed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import FakeGitHub


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakes.github")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="accept only this token (default: any)")
    parser.add_argument("--repo", action="append", default=[], help="OWNER/NAME to create")
    parser.add_argument("--immutable", action="store_true", help="repos publish immutable releases")
    args = parser.parse_args(argv)
    fake = FakeGitHub(token=args.token, port=args.port)
    for name in args.repo:
        fake.create_repo(name, immutable_releases=args.immutable)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with fake:
        print(fake.url, flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
