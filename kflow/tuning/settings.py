"""Every algorithm's `algorithmSettings`: names, types, defaults and allowed values.

One table, read by `validate_search` (to reject bad settings with the field that is
wrong), by the algorithms (to get typed values with defaults) and by the docs and
tests. Names are Katib's (its suggestion services' `ValidateAlgorithmSettings`), so an
Experiment written for Katib keeps working; a few kflow additions are marked as such
in `doc`. Values are strings, as in Katib's API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SettingsCauses = tuple[dict[str, Any], list[tuple[str, str]]]


def _int(text: str) -> int:
    return int(str(text).strip())


def _float(text: str) -> float:
    value = float(str(text).strip())
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


def _bool(text: str) -> bool:
    lowered = str(text).strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError("not true or false")
    return lowered == "true"


def _text(text: str) -> str:
    return str(text)


def _directions(text: str) -> list[str]:
    values = [part.strip() for part in str(text).split(",")]
    if len(values) < 2 or any(v not in ("minimize", "maximize") for v in values):
        raise ValueError("not a list of two or more minimize/maximize")
    return values


TPE_DEFAULTS = {"n_startup_trials": 4, "n_ei_candidates": 64, "gamma": 0.15}
"""kflow's TPE defaults, tuned on the search benchmark (`benchmarks/tuning_search.py`):
fewer random start-up trials, a wider 'good' set and more candidates per proposal than
Optuna's 10, 0.1 and 24 reach a lower regret at 50 and 100 trials."""


@dataclass(frozen=True)
class Setting:
    """One algorithm setting: how to parse it, what it may be and what it defaults to."""

    name: str
    parse: Callable[[str], Any]
    rule: str
    """What is allowed, for error messages and docs ("an integer >= 0")."""
    check: Callable[[Any], bool] = lambda _: True
    default: Any = None
    required: bool = False
    aliases: tuple[str, ...] = ()
    """Other names Katib's services accept for the same setting."""
    doc: str = ""


def _choice(name: str, allowed: tuple[str, ...], default: str, doc: str) -> Setting:
    return Setting(
        name, _text, "one of " + ", ".join(allowed), allowed.__contains__, default, doc=doc
    )


RANDOM_STATE = Setting(
    "random_state",
    _int,
    "an integer >= 0",
    lambda v: v >= 0,
    doc="Seed of the sampler; without it, the seed the controller passes (stable per experiment).",
)
TPE = (
    Setting(
        "n_startup_trials",
        _int,
        "an integer >= 0",
        lambda v: v >= 0,
        TPE_DEFAULTS["n_startup_trials"],
        doc="Random trials before TPE models the history (kflow default 4; Optuna's and Katib's 10).",
    ),
    Setting(
        "n_ei_candidates",
        _int,
        "an integer > 0",
        lambda v: v > 0,
        TPE_DEFAULTS["n_ei_candidates"],
        aliases=("n_EI_candidates",),
        doc="Candidates scored by expected improvement per proposal (hyperopt's `n_EI_candidates` is accepted too).",
    ),
    Setting(
        "gamma",
        _float,
        "a number in (0, 1)",
        lambda v: 0 < v < 1,
        TPE_DEFAULTS["gamma"],
        doc="Fraction of trials that form the 'good' density (hyperopt's setting); kflow default 0.15 (Optuna's is 0.1), at most 25 trials.",
    ),
    Setting(
        "prior_weight",
        _float,
        "a number > 0",
        lambda v: v > 0,
        None,
        doc="Weight of the prior in the Parzen estimators (hyperopt's setting).",
    ),
    Setting(
        "multivariate",
        _bool,
        "true or false",
        default=True,
        doc="kflow: model parameters jointly (default true; Katib's `tpe` is univariate).",
    ),
    Setting(
        "constant_liar",
        _bool,
        "true or false",
        default=True,
        doc="kflow: treat running trials as bad so parallel proposals spread out (default true).",
    ),
    RANDOM_STATE,
)
ALGORITHM_SETTINGS: dict[str, tuple[Setting, ...]] = {
    "random": (RANDOM_STATE,),
    "grid": (RANDOM_STATE,),
    "sobol": (RANDOM_STATE,),
    "tpe": TPE,
    "multivariate-tpe": TPE,
    "bayesianoptimization": (
        _choice(
            "base_estimator",
            ("GP",),
            "GP",
            "Only GP: kflow runs Optuna's GPSampler (Katib's skopt also takes RF, ET, GBRT).",
        ),
        Setting(
            "n_initial_points",
            _int,
            "an integer >= 0",
            lambda v: v >= 0,
            10,
            doc="Random trials before the Gaussian process is fitted.",
        ),
        _choice(
            "acq_func",
            ("gp_hedge", "LCB", "EI", "PI", "EIps", "PIps"),
            "gp_hedge",
            "Accepted for Katib compatibility; GPSampler always maximizes log expected improvement.",
        ),
        _choice(
            "acq_optimizer",
            ("auto", "sampling", "lbfgs"),
            "auto",
            "Accepted for Katib compatibility; GPSampler optimizes the acquisition its own way.",
        ),
        RANDOM_STATE,
    ),
    "cmaes": (
        _choice(
            "restart_strategy",
            ("none", "None", "ipop", "bipop"),
            "none",
            "Accepted for Katib compatibility and ignored: Optuna 4.4+ runs CMA-ES without restarts.",
        ),
        Setting(
            "sigma",
            _float,
            "a number > 0",
            lambda v: v > 0,
            None,
            doc="Initial step size, in units of the [0, 1]-scaled space; default Optuna's 1/6.",
        ),
        RANDOM_STATE,
    ),
    "hyperband": (
        Setting(
            "resource_name",
            _text,
            "the name of an int or double parameter",
            required=True,
            doc="The parameter that carries the budget (epochs, steps); hyperband sets it per rung.",
        ),
        Setting(
            "r_l",
            _float,
            "a number >= 1",
            lambda v: v >= 1,
            required=True,
            doc="The largest budget a trial gets (R in the Hyperband paper).",
        ),
        Setting(
            "eta",
            _float,
            "a number >= 2",
            lambda v: v >= 2,
            3.0,
            doc="Keep the best 1/eta of each rung and give them eta times the budget.",
        ),
    ),
    "pbt": (
        Setting(
            "suggestion_trial_dir",
            _text,
            "a directory path",
            required=True,
            doc="Where trials keep checkpoints: <dir>/<trial name>; a child starts from its parent's.",
        ),
        Setting(
            "n_population",
            _int,
            "an integer >= 5",
            lambda v: v >= 5,
            required=True,
            doc="Trials per generation.",
        ),
        Setting(
            "truncation_threshold",
            _float,
            "a number in [0, 1]",
            lambda v: 0 <= v <= 1,
            required=True,
            doc="Fraction of a generation replaced by copies of the top fraction.",
        ),
        Setting(
            "resample_probability",
            _float,
            "a number in [0, 1]",
            lambda v: 0 <= v <= 1,
            None,
            doc="Chance to redraw each parameter when exploring; unset: multiply by 0.8 or 1.2 (lists: a neighbour).",
        ),
    ),
    "asha": (
        _choice("sampler", ("tpe", "random"), "tpe", "kflow: how new configurations are drawn."),
        Setting(
            "min_resource",
            _int,
            "an integer >= 1",
            lambda v: v >= 1,
            1,
            doc="kflow: the step of the first rung.",
        ),
        Setting(
            "reduction_factor",
            _int,
            "an integer >= 2",
            lambda v: v >= 2,
            3,
            doc="kflow: rung k is at min_resource * reduction_factor^(min_early_stopping_rate + k); the top 1/reduction_factor go on.",
        ),
        Setting(
            "min_early_stopping_rate",
            _int,
            "an integer >= 0",
            lambda v: v >= 0,
            0,
            doc="kflow: skip this many rungs before the first decision.",
        ),
        Setting(
            "bootstrap_count",
            _int,
            "an integer >= 0",
            lambda v: v >= 0,
            0,
            doc="kflow: never stop a trial at a rung fewer than this many trials have reached.",
        ),
        Setting(
            "n_startup_trials",
            _int,
            "an integer >= 0",
            lambda v: v >= 0,
            TPE_DEFAULTS["n_startup_trials"],
            doc="kflow: random trials before TPE (sampler tpe).",
        ),
        RANDOM_STATE,
    ),
    "nsga2": (
        Setting(
            "directions",
            _directions,
            "a comma-separated list of minimize/maximize, one per metric",
            required=True,
            doc="kflow: directions of objectiveMetricName and then additionalMetricNames, in order; two or more.",
        ),
        Setting(
            "population_size",
            _int,
            "an integer >= 2",
            lambda v: v >= 2,
            50,
            doc="kflow: trials per generation.",
        ),
        Setting(
            "mutation_prob",
            _float,
            "a number in [0, 1]",
            lambda v: 0 <= v <= 1,
            None,
            doc="kflow: chance to mutate each parameter; default 1 / number of parameters.",
        ),
        Setting(
            "crossover_prob",
            _float,
            "a number in [0, 1]",
            lambda v: 0 <= v <= 1,
            0.9,
            doc="kflow: chance a child is a crossover of two parents.",
        ),
        Setting(
            "swapping_prob",
            _float,
            "a number in [0, 1]",
            lambda v: 0 <= v <= 1,
            0.5,
            doc="kflow: chance each parameter comes from the second parent.",
        ),
        RANDOM_STATE,
    ),
}
EARLY_STOPPING_SETTINGS: dict[str, tuple[Setting, ...]] = {
    "medianstop": (
        Setting(
            "min_trials_required",
            _int,
            "an integer >= 1",
            lambda v: v >= 1,
            3,
            doc="Other trials that must have reached the step before a trial can be stopped at it.",
        ),
        Setting(
            "start_step",
            _int,
            "an integer >= 1",
            lambda v: v >= 1,
            4,
            doc="The first step (counted from 1: the start_step-th report) at which a trial can be stopped.",
        ),
    ),
}
NOT_IMPLEMENTED = {
    "enas": "neural architecture search (enas) is not implemented in kflow; use Katib for NAS",
    "darts": "neural architecture search (darts) is not implemented in kflow; use Katib for NAS",
}
MULTI_OBJECTIVE = ("nsga2",)
"""Algorithms that optimize several metrics at once (kflow extensions)."""


def parse_settings(
    entries: Any, table: tuple[Setting, ...], algorithm: str, at: str
) -> SettingsCauses:
    """Typed values (defaults filled in) of `algorithmSettings` entries, and what is wrong."""
    by_name = {name: s for s in table for name in (s.name, *s.aliases)}
    values = {s.name: s.default for s in table}
    causes: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        field = f"{at}[{index}]"
        name = entry.get("name") if isinstance(entry, dict) else None
        setting = by_name.get(str(name))
        if setting is None:
            allowed = ", ".join(s.name for s in table) or "none"
            causes.append(
                (
                    f"{field}.name",
                    f"unknown setting {name!r} for algorithm {algorithm}; allowed: {allowed}",
                )
            )
            continue
        seen.add(setting.name)  # present, even if its value is wrong
        raw = entry.get("value")
        try:
            value = setting.parse("" if raw is None else raw)
            ok = setting.check(value)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            causes.append((f"{field}.value", f"{setting.name} must be {setting.rule}, not {raw!r}"))
            continue
        values[setting.name] = value
    for setting in table:
        if setting.required and setting.name not in seen:
            causes.append(
                (at, f"algorithm {algorithm} needs the setting {setting.name} ({setting.rule})")
            )
    return values, causes
