"""The search space: Katib strings <-> sampler values, steps, types and distributions."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from kflow.tuning.errors import InvalidSearch
from kflow.tuning.space import parse_space
from tests.tuning.searchkit import MIXED, experiment, parameter


def one(**raw: object) -> object:
    return parse_space({"parameters": [parameter("p", **raw)]})[0]  # type: ignore[arg-type]


def test_ints_are_written_as_plain_integers_and_doubles_as_shortest_repr() -> None:
    width = one(kind="int", min=16, max=256, step=16)
    assert width.decode(48) == "48"
    assert width.snap(50.9) == "48"
    momentum = one(kind="double", min="0.1", max="0.9", step="0.1")
    # 0.1 + 2 * 0.1 is 0.30000000000000004 in binary floating point; Katib users expect 0.3
    assert momentum.snap(0.3) == "0.3"
    assert momentum.grid() == ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]
    lr = one(kind="double", min="0.00001", max="0.1", distribution="logUniform")
    assert lr.decode(1e-05) == "1e-05"
    assert lr.typed("1e-05") == 1e-05


def test_steps_trim_a_range_they_do_not_divide() -> None:
    p = one(kind="double", min="0", max="1", step="0.3")
    assert p.grid() == ["0.0", "0.3", "0.6", "0.9"]
    assert p.snap(1.0) == "0.9"
    assert p.sampler_distribution().high == pytest.approx(0.9)


@pytest.mark.parametrize("raw", MIXED, ids=[p["name"] for p in MIXED])
def test_every_value_round_trips_through_the_sampler_space(raw: dict[str, object]) -> None:
    p = parse_space({"parameters": [raw]})[0]
    rng = np.random.default_rng(0)
    for _ in range(200):
        text = p.sample(rng)
        back = p.decode(p.encode(text))
        if p.distribution in ("normal", "logNormal") and p.step is None:
            # through Phi and its inverse: equal to the last bit or two
            assert float(back) == pytest.approx(float(text), rel=1e-12)
        else:
            assert back == text
        if p.numeric:
            assert float(p.low) <= float(text) <= float(p.high)
        else:
            assert text in p.choices


def test_numeric_discrete_lists_are_ordered_and_written_as_listed() -> None:
    p = one(kind="discrete", list=["64", "16", "32"])
    assert p.sampler_distribution().high == 2
    assert [p.decode(i) for i in range(3)] == ["16", "32", "64"]
    assert p.encode("32") == 1
    with pytest.raises(ValueError):
        p.encode("48")


def test_normal_is_katibs_mu_and_sigma_truncated_to_min_max() -> None:
    p = one(kind="double", min="-3", max="9", distribution="normal")  # mu 3, sigma 2
    rng = np.random.default_rng(1)
    draws = [float(p.sample(rng)) for _ in range(4000)]
    assert min(draws) >= -3 and max(draws) <= 9
    assert statistics.median(draws) == pytest.approx(3, abs=0.15)
    within_one_sigma = sum(1 <= d <= 5 for d in draws) / len(draws)
    assert within_one_sigma == pytest.approx(0.6827 / 0.9973, abs=0.03)


def test_log_normal_is_normal_in_log_space() -> None:
    p = one(kind="double", min="0.0001", max="1", distribution="logNormal")
    rng = np.random.default_rng(2)
    logs = [np.log10(float(p.sample(rng))) for _ in range(4000)]
    assert statistics.median(logs) == pytest.approx(-2, abs=0.1)


def test_int_normal_with_step_stays_on_the_step() -> None:
    p = one(kind="int", min=0, max=100, step=10, distribution="normal")
    rng = np.random.default_rng(3)
    assert {int(p.sample(rng)) % 10 for _ in range(300)} == {0}


def test_bad_parameters_name_the_field() -> None:
    spec = experiment(
        "random", [parameter("lr", "double", min="0", max="1", distribution="logUniform")]
    )
    with pytest.raises(InvalidSearch) as caught:
        parse_space(spec)
    assert caught.value.causes == [
        ("spec.parameters[0].feasibleSpace.min", "must be > 0 for logUniform")
    ]
