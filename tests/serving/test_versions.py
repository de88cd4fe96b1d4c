"""TF Serving-style versions: policies, labels, hot swap without failed requests."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest

from kflow.serving import ModelConfig, VersionPolicy, VersionState
from kflow.serving.errors import InvalidInput, ModelNotFound, ModelNotReady
from kflow.serving.repository import ServedModel

from . import models
from .conftest import running_server, save_sklearn, wait_for


def write_echo(directory: Path, version: int, load_seconds: float = 0.0) -> None:
    """An echo model version, built in a scratch directory and renamed into place."""
    scratch = directory / f".tmp-{version}"
    scratch.mkdir(parents=True)
    source = models.echo()
    if load_seconds:
        source = source.replace(
            "        seen = []", f"        time.sleep({load_seconds})\n        seen = []"
        )
    (scratch / "model.py").write_text(source)
    scratch.rename(directory / str(version))


def polled(config: ModelConfig) -> ServedModel:
    async def go() -> ServedModel:
        model = ServedModel(config)
        await model.poll()
        return model

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("policy", "served"),
    [("latest", [3]), ("latest:2", [2, 3]), ("all", [1, 2, 3]), ("specific:1,3", [1, 3])],
)
def test_version_policies(
    tmp_path: Path, sklearn_model: object, policy: str, served: list[int]
) -> None:
    for version in (1, 2, 3):
        save_sklearn(sklearn_model, tmp_path, version)
    model = polled(ModelConfig("m", str(tmp_path), policy=VersionPolicy.parse(policy)))
    assert [v.version for v in model.available()] == served
    assert model.resolve().version == served[-1]


def test_policy_text_is_checked() -> None:
    for bad in ("latest:0", "newest", "specific:", "all:2"):
        with pytest.raises(InvalidInput, match="expected latest"):
            VersionPolicy.parse(bad)


def test_labels_and_unversioned_directories(tmp_path: Path, sklearn_model: object) -> None:
    for version in (1, 2):
        save_sklearn(sklearn_model, tmp_path / "versioned", version)
    model = polled(
        ModelConfig(
            "m",
            str(tmp_path / "versioned"),
            policy=VersionPolicy.parse("all"),
            labels={"stable": 1, "canary": 2},
        )
    )
    assert model.resolve(label="stable").version == 1
    assert model.resolve(label="canary").version == 2
    with pytest.raises(ModelNotFound, match=r"no label 'beta' \(labels: canary, stable\)"):
        model.resolve(label="beta")
    save_sklearn(sklearn_model, tmp_path / "plain")
    assert polled(ModelConfig("p", str(tmp_path / "plain"))).resolve().version == 1


def test_a_broken_new_version_keeps_the_old_one(tmp_path: Path, sklearn_model: object) -> None:
    save_sklearn(sklearn_model, tmp_path, 1)

    async def go() -> ServedModel:
        model = ServedModel(ModelConfig("m", str(tmp_path)))
        await model.poll()
        (tmp_path / "2").mkdir()
        (tmp_path / "2" / "model.joblib").write_bytes(b"not a model")
        await model.poll()
        return model

    model = asyncio.run(go())
    assert model.resolve().version == 1
    assert model.versions[2].state is VersionState.END
    assert "cannot load the sklearn model" in model.versions[2].error
    with pytest.raises(ModelNotReady, match="version 2 is END: cannot load"):
        model.resolve(2)


@pytest.mark.slow
def test_hot_swap_loads_off_the_request_path_and_fails_no_request(tmp_path: Path) -> None:
    write_echo(tmp_path, 1)
    failures: list[str] = []
    seen_versions: list[str] = []
    latencies: list[float] = []
    timeline: list[tuple[float, float, str]] = []  # (sent, answered, version)
    stop = threading.Event()
    with running_server([ModelConfig("echo", str(tmp_path))], poll_interval=0.05) as server:

        def load() -> None:
            body = {
                "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]}]
            }
            with httpx.Client(base_url=server.url) as client:
                while not stop.is_set():
                    started = time.perf_counter()
                    response = client.post("/v2/models/echo/infer", json=body)
                    answered = time.perf_counter()
                    latencies.append(answered - started)
                    if response.status_code != 200:
                        failures.append(response.text)
                    else:
                        seen_versions.append(response.json()["model_version"])
                        timeline.append((started, answered, seen_versions[-1]))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(seen_versions) > 50, what="traffic on version 1")
        swap_started = len(latencies)
        write_echo(tmp_path, 2, load_seconds=1.0)  # loading takes a second; traffic must not wait
        wait_for(lambda: seen_versions[-1:] == ["2"], what="version 2 to take traffic")
        wait_for(
            lambda: server.repository.get("echo").versions[1].state is VersionState.END,
            what="version 1 to unload",
        )
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert seen_versions[0] == "1" and seen_versions[-1] == "2"
    # the switch is one-way: once version 2 has answered, requests sent later never get 1
    first_answer_of_2 = min(answered for _, answered, v in timeline if v == "2")
    assert {v for sent, _, v in timeline if sent > first_answer_of_2} == {"2"}
    during_swap = latencies[swap_started:]
    assert max(during_swap) < 0.8, (
        f"a request waited {max(during_swap):.3f}s while version 2 loaded"
    )
