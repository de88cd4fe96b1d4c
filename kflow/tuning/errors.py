"""The exceptions the search algorithms raise, as one small tree.

`TuningError` is the root. `InvalidSearch` carries the same `(field, message)` causes
`validate_search` returns, so a controller that skipped validation still gets an error
that names the field. `AlgorithmUnavailable` means the spec is fine but this
installation cannot run it (an optional dependency is missing).
"""

from __future__ import annotations


class TuningError(Exception):
    """Anything the search algorithms refuse to do."""


class InvalidSearch(TuningError, ValueError):
    """The experiment's parameters, algorithm or early-stopping settings are unusable."""

    def __init__(self, causes: list[tuple[str, str]]) -> None:
        self.causes = causes
        super().__init__("; ".join(f"{field}: {message}" for field, message in causes))


class AlgorithmUnavailable(TuningError):
    """The algorithm needs a package that is not installed."""
