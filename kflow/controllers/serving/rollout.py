"""Which revision of a component takes which share of requests: KServe's canary rollout.

KServe (serverless mode) never routes by itself: it writes a Knative route and reads
back what Knative resolved. This module is both halves, as pure functions of what
the InferenceService's status remembers (`Rollout`) and what the controller saw:

- `traffic`: KServe's route for a component (`ksvc_reconciler.go`). With
  `canaryTrafficPercent: N` and a revision already rolled out, the latest revision
  gets N% and the last rolled-out revision (tag `prev`) the rest; otherwise the
  latest gets 100% (blue-green). Knative's `latestRevision: true` means the latest
  *ready* revision, so a new revision that never gets ready takes nothing.
- `propagate`: KServe's `PropagateStatus`: the latest ready revision becomes the
  rolled-out one once it has 100%; when the rolled-out revision is pinned below 100%
  (`canaryTrafficPercent: 0` after a promotion), it goes back to the previous one.
- `settle` repeats both until nothing moves (KServe gets there over several
  reconciles), `kept` says which revisions need replicas.

The gateway reads the traffic back from `status.components.<component>.traffic`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kflow.api.kserve import contracts as c

_NUMBER = re.compile(r"-(\d+)$")
MAX_SETTLE_STEPS = 4
"""`traffic` then `propagate` reach a fixed point in at most two steps; a bound anyway."""


def revision_number(name: str) -> int:
    """The number at the end of a revision name (`digits-predictor-00003` -> 3), else 0."""
    found = _NUMBER.search(name)
    return int(found.group(1)) if found else 0


@dataclass(frozen=True)
class Rollout:
    """What KServe's status remembers about a component's revisions."""

    latest_created: str | None = None  # the revision of the current spec
    latest_ready: str | None = None  # the newest revision that became ready (never older)
    latest_rolledout: str | None = None  # the last revision that had 100% of the traffic
    previous_rolledout: str | None = None  # the one rolled out before it

    @classmethod
    def from_status(cls, component: Mapping[str, Any]) -> Rollout:
        """The state kept in `status.components.<component>`."""

        def field(key: str) -> str | None:
            value = component.get(key)
            return str(value) if value else None

        return cls(
            latest_created=field("latestCreatedRevision"),
            latest_ready=field("latestReadyRevision"),
            latest_rolledout=field("latestRolledoutRevision"),
            previous_rolledout=field("previousRolledoutRevision"),
        )

    def to_status(self) -> dict[str, str]:
        """The fields of `status.components.<component>` this state fills."""
        fields = {
            "latestCreatedRevision": self.latest_created,
            "latestReadyRevision": self.latest_ready,
            "latestRolledoutRevision": self.latest_rolledout,
            "previousRolledoutRevision": self.previous_rolledout,
        }
        return {key: value for key, value in fields.items() if value}


@dataclass(frozen=True)
class Target:
    """One entry of a component's traffic, as Knative's route status lists it."""

    revision: str
    percent: int
    latest: bool  # Knative's `latestRevision`: this entry follows the latest ready revision
    tag: str | None = None  # `latest` / `prev`: the entry also has a route of its own

    def to_status(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "revisionName": self.revision,
            "percent": self.percent,
            "latestRevision": self.latest,
        }
        if self.tag:
            entry["tag"] = self.tag
        return entry


def latest_ready(previous: str | None, created: str, ready: Iterable[str]) -> str | None:
    """Knative's latest ready revision: the newest ready one up to `created`, and never one
    older than the last it named (a ready revision that restarts stays the latest ready)."""
    newest = revision_number(created)
    candidates = [r for r in ready if revision_number(r) <= newest]
    if previous:
        candidates.append(previous)
    return max(candidates, key=revision_number, default=None)


def traffic(state: Rollout, canary: int | None, tag_routing: bool) -> list[Target]:
    """KServe's traffic split for a component, with `latestRevision` resolved by Knative."""
    if state.latest_ready is None:
        return []  # nothing is ready yet: nothing to route to
    latest_tag = c.LATEST_TAG if tag_routing else None
    rolled_out = state.latest_rolledout
    if canary is not None and rolled_out:
        targets = [Target(state.latest_ready, canary, True, latest_tag)]
        if canary < 100:
            targets.append(Target(rolled_out, 100 - canary, False, c.PREV_TAG))
        return targets
    return [Target(state.latest_ready, 100, True, latest_tag)]


def propagate(state: Rollout, targets: list[Target]) -> Rollout:
    """KServe's `PropagateStatus`: move the rolled-out revisions after the traffic."""
    by_revision: dict[str, int] = {}
    for target in targets:
        by_revision[target.revision] = by_revision.get(target.revision, 0) + target.percent
    out = state
    for target in targets:
        if not (target.latest and target.revision == state.latest_ready):
            continue
        if out.latest_rolledout != state.latest_ready:
            if target.percent == 100:  # fully rolled out: remember the one it replaced
                out = replace(
                    out,
                    previous_rolledout=out.latest_rolledout,
                    latest_rolledout=state.latest_ready,
                )
        elif (
            state.latest_ready == state.latest_created
            and target.percent < 100
            and by_revision.get(target.revision) == 100
            and out.previous_rolledout
        ):
            # rolled out, then pinned below 100%: roll back to the previous revision
            out = replace(out, latest_rolledout=out.previous_rolledout)
    return out


def settle(state: Rollout, canary: int | None, tag_routing: bool) -> tuple[Rollout, list[Target]]:
    """Route and propagate until the state stops moving; the final state and traffic."""
    targets = traffic(state, canary, tag_routing)
    for _ in range(MAX_SETTLE_STEPS):
        moved = propagate(state, targets)
        if moved == state:
            break
        state = moved
        targets = traffic(state, canary, tag_routing)
    return state, targets


def kept(state: Rollout, targets: list[Target], tag_routing: bool) -> set[str]:
    """Revisions that need replicas: the latest created (being rolled out), every revision
    taking a share of requests, and, with tag routing, every revision with a tag route."""
    keep = {state.latest_created} if state.latest_created else set()
    for target in targets:
        if target.percent > 0 or (tag_routing and target.tag):
            keep.add(target.revision)
    return keep


def remembered(state: Rollout, targets: list[Target]) -> set[str]:
    """Revisions whose spec must be kept: any the state or the traffic names (a rollback
    brings back `previousRolledoutRevision`)."""
    names = {
        state.latest_created,
        state.latest_ready,
        state.latest_rolledout,
        state.previous_rolledout,
    }
    names.update(target.revision for target in targets)
    return {name for name in names if name}
