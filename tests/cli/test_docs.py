"""docs/cli.md is the commands' `--help`, regenerated: it must match them exactly."""

from __future__ import annotations

from pathlib import Path

from kflow.cli import docs

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_matches_help() -> None:
    assert REFERENCE.read_text() == docs.render(), (
        "docs/cli.md is stale: run `python -m kflow.cli.docs > docs/cli.md` and commit it"
    )


def test_every_command_is_documented() -> None:
    text = REFERENCE.read_text()
    for name in (
        "up",
        "apply",
        "get",
        "describe",
        "logs",
        "delete",
        "wait",
        "kubeconfig",
        "version",
        "serve",
    ):
        assert f"## kflow {name}\n" in text
