"""Population-based training as Katib runs it: generations that exploit and explore.

Settings are Katib's: `n_population` trials per generation, `truncation_threshold`
(the bottom fraction is replaced by copies of the top fraction: exploit), and
`resample_probability` (explore: redraw each parameter with this chance; unset, numbers
are multiplied by 0.8 or 1.2 and list values move to a neighbour). Generation 0 is
random. Generation g + 1 is planned from the successful trials of generation g once
all of them have finished; a failed trial's slot is refilled from the same plan.

Trials carry Katib's labels `pbt.suggestion.katib.kubeflow.org/generation` and
`.../parent` (the trial whose checkpoint a child continues from). The controller, not
this pure package, prepares `<suggestion_trial_dir>/<trial name>` from the parent's
directory, as Katib's PBT service does. One difference: an exploiting child names the
strong trial it copies as its parent (standard PBT: it continues that checkpoint);
Katib's service names the weak trial it replaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kflow.tuning.algorithms.replay import derive_seed, next_seq, ordered
from kflow.tuning.history import Assignment, Suggested, TrialRecord, TrialState
from kflow.tuning.search import Search
from kflow.tuning.space import Parameter

GENERATION_LABEL = "pbt.suggestion.katib.kubeflow.org/generation"
PARENT_LABEL = "pbt.suggestion.katib.kubeflow.org/parent"
_LIVE = (TrialState.RUNNING, TrialState.SUCCEEDED, TrialState.EARLY_STOPPED)


def _generation(record: TrialRecord) -> int | None:
    place = record.attrs.get("pbt")
    return place.get("generation") if isinstance(place, dict) else None


def _perturb(
    parameter: Parameter, value: str, rng: np.random.Generator, resample: float | None
) -> str:
    if resample is not None:
        return parameter.sample(rng) if rng.random() < resample else value
    if parameter.numeric:
        return parameter.snap(float(value) * float(rng.choice([0.8, 1.2])))
    choices = list(parameter.choices)
    index = choices.index(value) + int(rng.choice([-1, 1])) if value in choices else 0
    return choices[index % len(choices)]


def _child(
    search: Search, pool: list[TrialRecord], generation: int, slot: int, seed: int
) -> tuple[dict[str, str], str]:
    """Slot `slot` of generation `generation`: (parameters, parent name), from the ranked pool."""
    settings = search.settings
    rng = np.random.default_rng(derive_seed(seed, generation, slot))
    cut = int(len(pool) * settings["truncation_threshold"])
    top = pool[: max(1, cut)]
    base = pool[slot % len(pool)]
    if slot % len(pool) >= len(pool) - cut:  # in the bottom fraction: exploit
        parent = top[int(rng.integers(len(top)))]
        return dict(parent.parameters), parent.name
    resample = settings["resample_probability"]
    values = {
        p.name: _perturb(p, base.parameters[p.name], rng, resample) for p in search.parameters
    }
    return values, base.name


def suggest(search: Search, history: Sequence[TrialRecord], count: int, seed: int) -> Suggested:
    """The next members of the current generation, or the first of the next one."""
    population = search.settings["n_population"]
    base_seed = search.seed(seed)
    records = ordered(history)
    seq = next_seq(history)
    rng = np.random.default_rng(derive_seed(base_seed, seq))
    generations: dict[int, list[TrialRecord]] = {}
    for record in records:
        g = _generation(record)
        if isinstance(g, int):
            generations.setdefault(g, []).append(record)
    current = max(generations, default=0)
    members = generations.get(current, [])
    out: list[Assignment] = []

    def propose(parameters: dict[str, str], parent: str | None) -> None:
        labels = {GENERATION_LABEL: str(current)}
        attrs: dict[str, Any] = {
            "seq": seq + len(out),
            "pbt": {"generation": current, "parent": parent},
        }
        if parent is not None:
            labels[PARENT_LABEL] = parent
        attrs["pbt"]["checkpoint_dir"] = search.settings["suggestion_trial_dir"]
        out.append(Assignment(parameters, attrs=attrs, labels=labels))

    while len(out) < count:
        live = sum(r.state in _LIVE for r in members) + len(out)
        # Refill failed slots, but give up on a generation that failed as often as it has members.
        if live < population and len(members) + len(out) < 2 * population:
            slot = len(members) + len(out)
            if current == 0:
                propose({p.name: p.sample(rng) for p in search.parameters}, None)
            else:
                propose(
                    *_child(
                        search, _ranked(search, generations[current - 1]), current, slot, base_seed
                    )
                )
            continue
        if (
            out
            or any(r.state is TrialState.RUNNING for r in members)
            or not _ranked(search, members)
        ):
            break  # wait for this generation to finish (or it has nothing to breed from)
        generations[current + 1] = members = []
        current += 1
    return Suggested(out)


def _ranked(search: Search, members: list[TrialRecord]) -> list[TrialRecord]:
    """The successful members, best first (ties by proposal order)."""
    sign = -1.0 if search.objective.maximize else 1.0
    scored = []
    for index, record in enumerate(members):
        values = search.objective.values(record) if record.state is TrialState.SUCCEEDED else None
        if values:
            scored.append((sign * values[0], index, record))
    return [record for *_, record in sorted(scored, key=lambda item: item[:2])]
