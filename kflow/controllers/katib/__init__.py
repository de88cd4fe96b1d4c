"""Katib's controllers: Experiments, Suggestions and Trials.

`experiments.py` drives an experiment (suggestion requests, trials, status),
`suggestions.py` turns requests into parameter sets with `kflow.tuning`, and
`trials.py` runs each trial's workload and collects its metrics (`collection.py`).
`templates.py` renders trial templates; `records.py` is how all three read a trial.
"""

from __future__ import annotations

from kflow.controllers.events import EventRecorder
from kflow.controllers.katib.experiments import ExperimentController
from kflow.controllers.katib.suggestions import SuggestionController
from kflow.controllers.katib.trials import TrialController
from kflow.controllers.manager import Controller
from kflow.runtime.interface import Runtime
from kflow.store.interface import Store
from kflow.store.observations import ObservationLog


def katib_controllers(
    store: Store,
    runtime: Runtime,
    observations: ObservationLog,
    recorder: EventRecorder | None = None,
    *,
    db_manager_ip: str | None = None,
    poll_seconds: float | None = None,
    key: bytes | None = None,
) -> list[Controller]:
    """The three Katib controllers, sharing one observation log; `key` signs the search
    algorithms' state (see `state.py`) and must stay the same across restarts."""
    trial_options = {} if poll_seconds is None else {"poll_seconds": poll_seconds}
    return [
        ExperimentController(store, recorder),
        SuggestionController(store, observations, recorder, key=key),
        TrialController(
            store, runtime, observations, recorder, db_manager_ip=db_manager_ip, **trial_options
        ),
    ]


__all__ = [
    "ExperimentController",
    "SuggestionController",
    "TrialController",
    "katib_controllers",
]
