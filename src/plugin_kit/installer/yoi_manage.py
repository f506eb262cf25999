"""`enable`, `disable` and `uninstall` of a package in a Yoi store (manage.py dispatches here).

Enablement lives in a Yoi Profile (yoi_enable.py), never in our plugins.toml. An `enable` of a
package with a `pending` version (an upgrade that asked for more, yoi_store.py) pins the new
version and swaps the store file in one command: the Profile is written first, then the
store's transaction commits; a crash between them is finished by the next command that reads
the store (yoi_store.settle) or by running `enable` again. `uninstall` removes the Profile
entry first, then the store file and lock entry: a crash between leaves the package installed
and disabled, and running `uninstall` again finishes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from plugin_kit.errors import PluginKitError
from plugin_kit.hosts import YOI
from plugin_kit.installer._fs import checkpoint
from plugin_kit.installer.audit import audit
from plugin_kit.installer.installed import remove_installed, same_install
from plugin_kit.installer.lockfile import LockEntry, read_lock, render_lock
from plugin_kit.installer.stores import Store, store_transaction
from plugin_kit.installer.yoi_enable import (
    DisablePlan,
    EnablePlan,
    apply_disable,
    apply_enable,
    plan_disable,
    plan_enable,
)
from plugin_kit.installer.yoi_store import (
    enabling_profiles,
    known_surfaces,
    settle,
    store_package,
    swap_in,
)

__all__ = ["YoiEnableResult", "YoiDisableResult", "enable", "disable", "uninstall"]


@dataclass(frozen=True)
class YoiEnableResult:
    plan: EnablePlan
    swaps_from: str | None = None  # the version the store file held, when enable swaps it
    # Other Profiles pinning the version the swap replaces: Yoi rejects their entry after it.
    stale: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return self.plan.reference

    @property
    def version(self) -> str:
        return self.plan.package.manifest.version

    def preview_lines(self) -> list[str]:
        """Exactly what will be written, one line per permission and target (shown before asking)."""
        swap = (
            [f"swap the store file {self.swaps_from} -> {self.version}"] if self.swaps_from else []
        )
        return [*self.plan.lines(), *swap, *self._stale_lines()]

    def _stale_lines(self) -> list[str]:
        return [
            f"Profile {p} still pins {self.swaps_from}, which the store will no longer hold:"
            f" run `plugin enable {self.ref} --profile {p}`"
            for p in self.stale
        ]

    def summary_lines(self) -> list[str]:
        return [f"Enabled {self.ref} {self.version} in Profile {self.plan.profile.reference}"]

    def notes(self) -> list[str]:
        """What Yoi will report for it (yoi_status's prediction), when it is not `active`."""
        st = self.plan.predicted
        if st is None or st.status == "active":
            return []
        why = f" ({'; '.join(st.reasons)})" if st.reasons else ""
        return [f"  Yoi will report: {st.status}{why}"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": YOI.name,
            "ref": self.ref,
            "version": self.version,
            "digest": self.plan.package.digest,
            "active": True,
            "swapped_from": self.swaps_from,
            "stale_profiles": list(self.stale),
            **{k: v for k, v in self.plan.to_dict().items() if k not in ("reference",)},
        }


@dataclass(frozen=True)
class YoiDisableResult:
    plan: DisablePlan
    version: str
    removed: int

    @property
    def ref(self) -> str:
        return self.plan.reference

    def summary_lines(self) -> list[str]:
        if not self.removed:
            return self.plan.lines()
        return [f"Disabled {self.ref} (removed from Profile {self.plan.profile.reference})"]

    def to_dict(self) -> dict[str, Any]:
        return {"host": YOI.name, "ref": self.ref, "version": self.version, "active": False,
                "removed": self.removed, **self.plan.to_dict()}  # fmt: skip


def enable(
    store: Store,
    entry: LockEntry,
    *,
    profile: str | None = None,
    grant_requested: bool = False,
    grants: Sequence[str] = (),
    revoke: Sequence[str] = (),
    confirm: Callable[[YoiEnableResult], None] | None = None,
) -> YoiEnableResult:
    """Pin the installed (or the pending) version in the Profile with the grants asked for."""
    ref = store.ref(entry.id)
    target = entry.waiting() or entry
    try:
        plan = plan_enable(
            store_package(store, target),
            profile=profile,
            grant_requested=grant_requested,
            grants=grants,
            revoke=revoke,
            known_surfaces=known_surfaces(entry, target),
        )
        result = YoiEnableResult(plan, entry.version if entry.pending else None,
                                 _stale(store, entry, plan) if entry.pending else ())  # fmt: skip
        if confirm is not None:
            confirm(result)
        with store_transaction(store) as txn:
            settle(store, txn)
            txn.commit()
            current = same_install(store, entry)
            apply_enable(plan)
            checkpoint("yoi-enable:pinned")
            if current.pending:
                entries = read_lock(store)
                swap_in(store, txn, entries, entry.id)
                txn.put_bytes(store.lock_path.name, render_lock(entries))
    except PluginKitError as err:
        audit("enable", outcome="refused", ref=ref, version=target.version, rule=err.rule)
        raise
    audit("enable", outcome="ok", ref=ref, version=target.version, digest=target.content_digest,
          host=YOI.name, profile=str(plan.profile.artifact), granted=[g.label for g in plan.grants.items()],
          previous=result.swaps_from)  # fmt: skip
    return result


def _stale(store: Store, entry: LockEntry, plan: EnablePlan) -> tuple[str, ...]:
    """The other Profiles that pin the installed version: enabling the pending one here swaps
    the store file, and each of them needs its own consent to the new requests."""
    return tuple(
        selector
        for selector, pinned in enabling_profiles(store, entry.id)
        if selector != plan.profile.reference and pinned.get("digest") == entry.content_digest
    )


def disable(store: Store, entry: LockEntry, *, profile: str | None = None) -> YoiDisableResult:
    """Remove the package's `[[plugins.enabled]]` entry from the Profile (the package stays)."""
    plan = plan_disable(store.ref(entry.id), profile=profile)
    removed = apply_disable(plan)
    audit("disable", outcome="ok" if removed else "noop", ref=plan.reference, host=YOI.name,
          version=entry.version, profile=str(plan.profile.artifact))  # fmt: skip
    return YoiDisableResult(plan, entry.version, removed)


def uninstall(store: Store, entry: LockEntry, *, profile: str | None = None) -> dict[str, Any]:
    """The Profile entry, then the store file and the lock entry (a re-run finishes a kill)."""
    ref = store.ref(entry.id)
    removed = disable(store, entry, profile=profile).removed
    checkpoint("yoi-uninstall:disabled")
    remove_installed(store, entry)
    audit("uninstall", outcome="ok", ref=ref, version=entry.version, digest=entry.content_digest,
          host=YOI.name)  # fmt: skip
    return {"ref": ref, "version": entry.version, "digest": entry.content_digest,
            "host": YOI.name, "profile_entries_removed": removed}  # fmt: skip
