"""Choosing the revision a request goes to, by the revisions' shares of the traffic.

Smooth weighted round robin (nginx's): every revision earns its weight on each
request, the richest one is chosen and pays the total. Over any 100 requests with
shares 90/10 the canary gets exactly 10, spread out rather than bunched, and with
no randomness a test or a user counting responses sees the split they asked for.
One picker keeps the credit per route; credit starts over when the weights change.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

Weights = tuple[tuple[str, int], ...]


def live_weights(weights: Mapping[str, int]) -> Weights:
    """The positive weights, in a stable order."""
    return tuple(sorted((revision, w) for revision, w in weights.items() if w > 0))


class RevisionPicker:
    """Chooses revisions by weight, per route (a hashable key)."""

    def __init__(self) -> None:
        self._credit: dict[Hashable, tuple[Weights, dict[str, int]]] = {}

    def choose_revision(self, key: Hashable, weights: Mapping[str, int]) -> str | None:
        """The next revision for `key`, or None when no revision has a positive weight."""
        live = live_weights(weights)
        if not live:
            return None
        known, credit = self._credit.get(key, ((), {}))
        if known != live:
            credit = {revision: 0 for revision, _ in live}
        total = 0
        for revision, weight in live:
            credit[revision] += weight
            total += weight
        chosen = max(live, key=lambda pair: credit[pair[0]])[0]  # ties: the first in order
        credit[chosen] -= total
        self._credit[key] = (live, credit)
        return chosen
