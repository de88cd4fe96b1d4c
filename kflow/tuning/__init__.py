"""Hyperparameter search for Katib Experiments: algorithms, early stopping, metric parsing.

This package knows nothing of the store, the runtime or HTTP: the experiment
controllers hand it plain records of past trials (`history.TrialRecord`) and persist
what it returns, so all search state lives in kflow's database, never in a process.

The controllers call three functions: `suggest` (new trials), `should_stop` (early
stopping of a running trial; ask it when `stops_early(spec)`) and `validate_search`
(admission-time checks of the algorithm and its settings).
"""

from kflow.tuning.algorithms import suggest
from kflow.tuning.early_stopping import should_stop
from kflow.tuning.errors import AlgorithmUnavailable, InvalidSearch, TuningError
from kflow.tuning.history import Assignment, Suggested, TrialRecord, TrialState
from kflow.tuning.search import stops_early, validate_search

__all__ = [
    "AlgorithmUnavailable",
    "Assignment",
    "InvalidSearch",
    "Suggested",
    "TrialRecord",
    "TrialState",
    "TuningError",
    "should_stop",
    "stops_early",
    "suggest",
    "validate_search",
]
