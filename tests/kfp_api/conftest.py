"""A real `kflow up` and the real `kfp.Client` (the PyPI package, unmodified) talking to it.

`kfp.Client(host=..., existing_token=..., ssl_ca_cert=...)` is how a user points the
SDK at kflow: the URL, the admin token and the private CA from `server.json`.
Pipelines here are Argo Workflows whose containers run this interpreter, so they
run as local processes. The client warns on construction that it only works with
KFP 2.0.0-beta.2 and later; that warning is expected, so it is silenced.
"""

from __future__ import annotations

import json
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kflow.sdk import Client
from tests.training.conftest import Up

PYTHON = sys.executable


def kfp_client(up: Up) -> Any:
    """A `kfp.Client` for `up`, as a user would build one from `server.json`."""
    import kfp

    info = json.loads((up.home / "server.json").read_text())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "This client only works", FutureWarning)
        return kfp.Client(host=info["url"], existing_token=info["token"], ssl_ca_cert=info["ca"])


@pytest.fixture(scope="session")
def kfp_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    with Up(tmp_path_factory.mktemp("kflow-kfp")) as server:
        yield server


@pytest.fixture
def kfp(kfp_up: Up) -> Any:
    return kfp_client(kfp_up)


@pytest.fixture
def objects(kfp_up: Up) -> Iterator[Client]:
    """kflow's own client, to look at the Workflows runs create."""
    with kfp_up.client("kubeflow") as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def python_step(code: str) -> dict[str, Any]:
    return {"image": "python", "command": [PYTHON, "-c", code]}


def argo_workflow(name: str, templates: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{name}-"},
        "spec": {"entrypoint": templates[0]["name"], "templates": templates, **spec},
    }


@pytest.fixture
def package(tmp_path: Path) -> Callable[[dict[str, Any]], str]:
    """Writes a package file and returns its path."""

    def write(document: dict[str, Any], name: str = "pipeline.yaml") -> str:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return str(path)

    return write
