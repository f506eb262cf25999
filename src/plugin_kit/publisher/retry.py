"""Retry with backoff for the GitHub target: what is transient, and how long to wait.

PyGithub's own retry is switched off (it skips PATCH, and a 429 without Retry-After): every step
of the publisher re-reads remote state before writing, so the whole step is retried instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from plugin_kit.errors import PublishError

__all__ = ["RetryPolicy", "Transient", "classify", "with_retries"]

T = TypeVar("T")

_SECONDARY = (
    "secondary rate limit",
    "abuse detection",
    "please wait a few minutes",
    "retry your request",
)


class Transient(Exception):
    """A failure worth retrying after `wait` seconds (None: use the policy's backoff)."""

    def __init__(self, message: str, *, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries per step; backoff doubles from `base_delay` up to `max_delay`;
    a server's Retry-After is honoured up to `max_wait`. Tests pass zeros."""

    attempts: int = 6
    base_delay: float = 2.0
    max_delay: float = 60.0
    max_wait: float = 300.0
    secondary_wait: float = 60.0
    upload_deadline: float = 600.0
    sleep: Callable[[float], None] = time.sleep

    def backoff(self, attempt: int) -> float:
        return min(self.base_delay * (2**attempt), self.max_delay)


def classify(
    status: int | None, message: str, headers: dict[str, str], policy: RetryPolicy
) -> Transient | None:
    """A Transient for an HTTP failure worth retrying (None status: no response at all), else None."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    retry_after = lowered.get("retry-after")
    wait = None if retry_after is None else _seconds(retry_after, policy)
    text = f"GitHub answered {status}: {message}" if status else f"no answer from GitHub: {message}"
    if status is None or status >= 500:
        return Transient(text, wait=wait)
    if status not in (403, 429):
        return None
    secondary = any(s in (message or "").lower() for s in _SECONDARY)
    primary = lowered.get("x-ratelimit-remaining") == "0"
    if wait is not None or status == 429:
        return Transient(text, wait=wait)
    if primary and lowered.get("x-ratelimit-reset", "").isdigit():
        reset = int(lowered["x-ratelimit-reset"]) - time.time() + 1
        return Transient(text, wait=min(max(reset, 1.0), policy.max_wait))
    if secondary:
        return Transient(text, wait=policy.secondary_wait)
    return None


def _seconds(value: str, policy: RetryPolicy) -> float:
    try:
        return min(max(float(value), 0.0), policy.max_wait)
    except ValueError:
        return policy.secondary_wait


def with_retries(step: Callable[[], T], policy: RetryPolicy, on_retry: Callable[[str], None]) -> T:
    """Run `step` until it succeeds or raises something other than Transient."""
    for attempt in range(policy.attempts):
        try:
            return step()
        except Transient as exc:
            if attempt + 1 >= policy.attempts:
                raise PublishError(
                    f"gave up after {policy.attempts} attempts: {exc}",
                    rule="publish.retries-exhausted",
                    hint="run the same `plugin publish` again later: it resumes where it stopped",
                ) from exc
            wait = exc.wait if exc.wait is not None else policy.backoff(attempt)
            on_retry(f"{exc}; retrying in {wait:.0f}s ({attempt + 2}/{policy.attempts})")
            policy.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises
