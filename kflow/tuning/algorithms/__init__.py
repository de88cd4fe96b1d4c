"""`suggest`: new trials for an Experiment, as a pure function of its spec and history.

Each algorithm family has its own module: `samplers` (everything that is an Optuna
sampler: random, grid, tpe, multivariate-tpe, bayesianoptimization, cmaes, sobol, asha,
nsga2), `hyperband` and `pbt` (schedules Katib defines, written out here). All state
comes from `history`; nothing is cached between calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kflow.tuning.algorithms import hyperband, pbt, samplers
from kflow.tuning.history import Suggested, TrialRecord
from kflow.tuning.search import resolve


def suggest(
    spec: dict[str, Any], history: Sequence[TrialRecord], count: int, *, seed: int
) -> Suggested:
    """Up to `count` new trials; `exhausted` when the algorithm has nothing more to give.

    Raises `InvalidSearch` for a spec `validate_search` rejects and `AlgorithmUnavailable`
    when the algorithm needs a package that is missing.
    """
    search = resolve(spec)
    if count <= 0:
        return Suggested([])
    if search.algorithm == "hyperband":
        return hyperband.suggest(search, history, count, seed)
    if search.algorithm == "pbt":
        return pbt.suggest(search, history, count, seed)
    return samplers.suggest(search, history, count, seed)


__all__ = ["suggest"]
