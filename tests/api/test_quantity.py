"""Quantities parse as Kubernetes parses them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kflow.api.quantity import QuantityError, is_quantity, parse_cpu, parse_memory, parse_quantity


@pytest.mark.parametrize(
    ("text", "cores"),
    [("500m", 0.5), ("1", 1.0), (2, 2.0), ("0.25", 0.25), ("100u", 0.0001), (1.5, 1.5)],
)
def test_cpu_in_cores(text: str | int | float, cores: float) -> None:
    assert parse_cpu(text) == pytest.approx(cores)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1Gi", 2**30),
        ("512Mi", 512 * 2**20),
        ("1G", 10**9),
        ("128974848", 128974848),
        ("129e6", 129_000_000),
        ("123Ki", 123 * 1024),
        ("1.5Gi", 3 * 2**29),
        ("1m", 1),  # a milli-byte rounds up to a byte
    ],
)
def test_memory_in_bytes(text: str, size: int) -> None:
    assert parse_memory(text) == size


def test_exact_values() -> None:
    assert parse_quantity("5E-2") == Decimal("0.05")
    assert parse_quantity("2k") == 2000


@pytest.mark.parametrize("bad", ["", "1Gb", "abc", "1.2.3", "--1", "1 Gi", True])
def test_bad_quantities_are_rejected(bad: object) -> None:
    assert not is_quantity(bad)
    with pytest.raises(QuantityError):
        parse_quantity(bad)  # type: ignore[arg-type]
