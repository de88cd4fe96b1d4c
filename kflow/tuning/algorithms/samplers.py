"""The algorithms that are an Optuna sampler asked over the replayed history.

random, grid, tpe, multivariate-tpe, bayesianoptimization (GPSampler), cmaes, sobol
(QMCSampler), asha (TPE or random; its pruning is in `early_stopping`) and nsga2.

Seeds: a sampler whose draws must differ from call to call (random, TPE, CMA-ES, GP,
NSGA-II) gets a seed derived from the experiment's seed and the proposal number, so
the same history always gives the same proposals and a new call never repeats the
last one's. Grid and Sobol need one fixed seed for the whole experiment (the grid's
shuffled order, the scrambled sequence), and count positions through trial attrs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.samplers import BaseSampler

from kflow.tuning.algorithms.replay import build_study, derive_seed, next_seq
from kflow.tuning.errors import AlgorithmUnavailable
from kflow.tuning.history import Assignment, Suggested, TrialRecord
from kflow.tuning.search import Search
from kflow.tuning.settings import TPE_DEFAULTS
from kflow.tuning.space import Parameter


@contextmanager
def quiet() -> Iterator[None]:
    """Silence Optuna's ExperimentalWarning for the features kflow chose to use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        yield


def _gamma(fraction: float) -> Any:
    # hyperopt's gamma is a fraction of the trials; Optuna wants a count. Optuna's cap of
    # 25 good trials keeps the good density sharp in long experiments.
    return lambda n: min(math.ceil(fraction * n), 25)


def tpe_sampler(settings: dict[str, Any], seed: int, *, multivariate: bool) -> BaseSampler:
    # gamma and prior_weight are hyperopt's (Katib's `tpe`) settings; Optuna 5 still takes
    # them but warns that 6.0 drops them (kflow pins Optuna 5; its default gamma needs it).
    deprecated: dict[str, Any] = {}
    deprecated["gamma"] = _gamma(settings.get("gamma") or TPE_DEFAULTS["gamma"])
    if settings.get("prior_weight") is not None:
        deprecated["prior_weight"] = settings["prior_weight"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return optuna.samplers.TPESampler(
            n_startup_trials=settings.get("n_startup_trials", TPE_DEFAULTS["n_startup_trials"]),
            n_ei_candidates=settings.get("n_ei_candidates", TPE_DEFAULTS["n_ei_candidates"]),
            multivariate=multivariate,
            constant_liar=settings.get("constant_liar", True),
            seed=seed,
            **deprecated,
        )


def _gp_sampler(settings: dict[str, Any], seed: int) -> BaseSampler:
    try:
        import torch  # noqa: F401  (GPSampler needs it; fail here with a useful message)
    except ImportError as error:
        raise AlgorithmUnavailable(
            "bayesianoptimization runs on Optuna's GPSampler, which needs PyTorch: "
            "pip install torch==2.13.0"
        ) from error
    return optuna.samplers.GPSampler(
        seed=seed,
        n_startup_trials=settings["n_initial_points"],
        independent_sampler=optuna.samplers.RandomSampler(seed),
        warn_independent_sampling=False,
    )


def make_sampler(search: Search, base_seed: int, call_seed: int) -> BaseSampler:
    """The Optuna sampler for a sampler-based algorithm, configured from its settings."""
    name, settings = search.algorithm, search.settings
    if name == "random" or (name == "asha" and settings["sampler"] == "random"):
        return optuna.samplers.RandomSampler(call_seed)
    if name in ("tpe", "multivariate-tpe"):
        return tpe_sampler(
            settings, call_seed, multivariate=name == "multivariate-tpe" or settings["multivariate"]
        )
    if name == "asha":
        return tpe_sampler(settings, call_seed, multivariate=True)
    if name == "bayesianoptimization":
        return _gp_sampler(settings, call_seed)
    if name == "cmaes":
        # restart_strategy is not passed: Optuna >= 4.4 ignores it (restarts moved to
        # OptunaHub). sigma0 still works in Optuna 5 but warns that 6.0 removes it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return optuna.samplers.CmaEsSampler(
                sigma0=settings["sigma"],
                independent_sampler=optuna.samplers.RandomSampler(call_seed),
                warn_independent_sampling=False,
                seed=call_seed,
            )
    if name == "sobol":
        return optuna.samplers.QMCSampler(
            qmc_type="sobol",
            scramble=True,
            seed=base_seed,
            independent_sampler=optuna.samplers.RandomSampler(call_seed),
            warn_independent_sampling=False,
            warn_asynchronous_seeding=False,
        )
    if name == "grid":
        return optuna.samplers.GridSampler(
            {p.name: p.grid() for p in search.parameters}, seed=base_seed
        )
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(
            population_size=settings["population_size"],
            mutation_prob=settings["mutation_prob"],
            crossover_prob=settings["crossover_prob"],
            swapping_prob=settings["swapping_prob"],
            seed=call_seed,
        )
    raise ValueError(f"{name} is not a sampler-based algorithm")


def _grid_encode(parameter: Parameter, text: str) -> Any:
    canonical = parameter.snap(float(text)) if parameter.numeric else text
    if canonical not in parameter.grid():
        raise ValueError(f"{text} is not on the grid")
    return canonical


def _grid_ids(history: Sequence[TrialRecord]) -> set[int]:
    ids = set()
    for record in history:
        grid_id = (record.attrs.get("optuna") or {}).get("grid_id")
        if isinstance(grid_id, int):
            ids.add(grid_id)
    return ids


def _study_attrs(study: optuna.Study) -> dict[str, Any]:
    # Study has no public getter for system attrs (the Sobol counter lives there).
    return dict(study._storage.get_study_system_attrs(study._study_id))


def suggest(search: Search, history: Sequence[TrialRecord], count: int, seed: int) -> Suggested:
    """Ask the algorithm's sampler `count` times over the replayed history."""
    base_seed = search.seed(seed)
    seq = next_seq(history)
    grid = search.algorithm == "grid"
    if grid:
        distributions: dict[str, BaseDistribution] = {
            p.name: CategoricalDistribution(p.grid()) for p in search.parameters
        }
        total = math.prod(len(p.grid()) for p in search.parameters)
        used = _grid_ids(history)
    else:
        distributions = {p.name: p.sampler_distribution() for p in search.parameters}
    assignments: list[Assignment] = []
    with quiet():
        sampler = make_sampler(search, base_seed, derive_seed(base_seed, seq))
        encode = _grid_encode if grid else Parameter.encode
        study = build_study(
            history, search.parameters, search.objective, sampler, distributions, encode
        )
        known, attempts = _study_attrs(study), 0
        while len(assignments) < count and (not grid or len(used) < total):
            trial = study.ask(fixed_distributions=distributions)
            frozen = study.get_trials(deepcopy=False)[trial.number]
            attempts += 1
            if grid:
                grid_id = int(frozen.system_attrs["grid_id"])
                # A missing record can make the grid sampler hand out a point twice; such
                # a draw is marked failed (visited) and the sampler asked again.
                if grid_id in used and attempts <= total:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    continue
                used.add(grid_id)
            parameters = {
                p.name: str(trial.params[p.name]) if grid else p.decode(trial.params[p.name])
                for p in search.parameters
            }
            attrs: dict[str, Any] = {
                "seq": seq + len(assignments),
                "optuna": dict(frozen.system_attrs),
            }
            # Only what changed: the replay merges these in proposal order (NSGA-II keeps
            # an entry per generation here, which would otherwise repeat on every trial).
            now = _study_attrs(study)
            changed = {k: v for k, v in now.items() if k not in known or known[k] != v}
            if changed:
                attrs["optuna_study"] = changed
            known = now
            assignments.append(Assignment(parameters=parameters, attrs=attrs))
    return Suggested(assignments, exhausted=grid and len(used) >= total)
