"""`kflow run` and `kflow.run_pipeline` against a real `kflow up`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from kflow.sdk import Client
from kflow.sdk.pipelines import PipelineFailed, run_pipeline
from kflow.sdk.runs import archived_logs, run_artifacts
from tests.conftest import wait_until
from tests.pipelines import pipelines_src as src
from tests.support import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def kflow_up(home: Path, *options: str) -> Iterator[Path]:
    """A `kflow up` whose pods share its home (`$KFLOW_HOME`, outside /tmp)."""
    env = {**os.environ, "KFLOW_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("KFLOW_ARTIFACT_REPOSITORY", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kflow",
            "up",
            "--home",
            str(home),
            "--port",
            str(free_port()),
            *options,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    info = home / "server.json"
    try:
        wait_until(
            lambda: info.exists() and json.loads(info.read_text() or "{}").get("pid") == proc.pid,
            timeout=30,
        )
        yield home
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def up(kflow_home: Path) -> Iterator[Path]:
    with kflow_up(kflow_home) as home:
        yield home


def kflow(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KFLOW_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "kflow", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_kflow_run_runs_a_pipeline_file_and_prints_its_outputs(up: Path) -> None:
    done = kflow(
        up, "run", "examples/pipelines/train_and_evaluate.py", "--param", "rows=60", "--name", "cv"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [x for x in done.stdout.splitlines() if x.startswith("Output: ")]
    assert len(lines) == 1, done.stdout
    (line,) = lines
    assert 0.0 <= float(line.removeprefix("Output: ")) <= 1.0
    assert "summarize" in done.stdout  # the live table of tasks

    wrong = kflow(up, "run", "examples/pipelines/train_and_evaluate.py", "--param", "rows=many")
    assert wrong.returncode == 1
    assert wrong.stderr.strip().endswith("--param rows: 'many' is not a valid NUMBER_INTEGER value")


def test_run_pipeline_returns_typed_outputs_and_shows_cached_tasks(up: Path) -> None:
    with Client(home=up) as client:
        quiet = Console(file=open(os.devnull, "w"))  # noqa: SIM115
        first = run_pipeline(src.two_steps, {"x": 5}, name="sdk-1", client=client, console=quiet)
        assert (first.phase, first.outputs) == ("Succeeded", {"Output": 10})
        assert {t: s.phase for t, s in first.tasks.items()} == {
            "add": "Succeeded",
            "add-2": "Succeeded",
        }
        second = run_pipeline(src.two_steps, {"x": 5}, name="sdk-2", client=client, console=quiet)
        assert second.outputs == {"Output": 10}
        assert second.tasks["add"].cached_from == "sdk-1/add"
        with pytest.raises(
            PipelineFailed, match=r"pipeline run sdk-3 Failed: exit-handler-1\.fail"
        ):
            run_pipeline(src.failing, name="sdk-3", client=client, console=quiet)
        quiet.file.close()


def test_a_pipeline_run_s_artifacts_metrics_and_lineage_from_the_cli(up: Path) -> None:
    with Client(home=up) as client:
        quiet = Console(file=open(os.devnull, "w"))  # noqa: SIM115
        run = run_pipeline(src.artifacts, {"rows": 3}, name="arts", client=client, console=quiet)
        quiet.file.close()
        assert run.phase == "Succeeded"
        items = run_artifacts(client, "arts")
    by_name = {a["name"]: a for a in items if a["source"] == "kfp"}
    assert {"data", "metrics", "confusion", "model"} <= set(by_name)
    data, model = by_name["data"], by_name["model"]
    assert (data["type"], data["producer"]["task"], data["size"]) == (
        "system.Dataset",
        "make-data",
        12,
    )
    assert data["metadata"] == {"rows": 3} and data["producer"]["podName"].startswith("arts-")
    assert Path(data["localPath"]).read_text() == "0,0\n1,1\n2,4\n"
    described = kflow(up, "describe", "run", "arts")
    assert described.returncode == 0, described.stderr
    text = described.stdout
    assert "make-data" in text and "system.Model" in text
    metrics = text[text.index("Metrics:") :].splitlines()
    assert metrics[2].split() == [
        "make-data",
        "confusion",
        "-",
        "confusion",
        "matrix",
        "[[3,",
        "1],",
        "[2,",
        "3]]",
    ]
    assert metrics[3].split() == ["make-data", "metrics", "rows", "3"]
    tree = kflow(up, "lineage", model["localPath"])
    assert tree.returncode == 0, tree.stderr
    lines = tree.stdout.splitlines()
    assert lines[1] == "└─ made by arts/train (SUCCEEDED)"
    # train read the dataset twice (`Input[Dataset]` and an `InputPath`): one content
    digest = data["digest"][:19]
    assert [line.strip() for line in lines[2:]] == [
        f"├─ input data: {digest}",
        "│  └─ made by arts/make-data (SUCCEEDED; rows=3)",
        f"└─ input table: {digest}",
        "└─ made by arts/make-data (SUCCEEDED; rows=3)",
    ]


def test_kflow_up_s_artifact_repository_gets_tasks_outputs_and_steps_logs(
    kflow_home: Path,
) -> None:
    repository = kflow_home / "repository"
    with (
        kflow_up(kflow_home, "--artifact-repository", repository.as_uri()) as home,
        Client(home=home) as client,
    ):
        quiet = Console(file=open(os.devnull, "w"))  # noqa: SIM115
        run = run_pipeline(src.artifacts, {"rows": 2}, name="repo", client=client, console=quiet)
        quiet.file.close()
        assert run.phase == "Succeeded"
        items = run_artifacts(client, "repo")
        logs = archived_logs(client, "repo", node="train")
    data = next(a for a in items if a["name"] == "data")
    hex_ = data["digest"].removeprefix("sha256:")
    uploaded = repository / "blobs" / "sha256" / hex_[:2] / hex_
    assert data["uri"] == uploaded.as_uri()  # the repository's copy is the artifact's URI
    assert uploaded.read_text() == "0,0\n1,1\n" == Path(data["localPath"]).read_text()
    (train,) = logs
    hex_ = train["digest"].removeprefix("sha256:")
    assert (repository / "blobs" / "sha256" / hex_[:2] / hex_).read_text() == train["text"]


def test_pipeline_tasks_start_warm_unless_told_not_to(kflow_home: Path) -> None:
    quiet = Console(file=open(os.devnull, "w"))  # noqa: SIM115
    runs = iter(range(1000))

    def started_warm(client: Client) -> bool:
        name = f"w-{next(runs)}"
        run = run_pipeline(
            src.warmth, client=client, console=quiet, name=name, enable_caching=False
        )
        return bool(run.outputs["Output"])

    for options, warm in (((), True), (("--no-warm-launchers",), False)):
        home = kflow_home / ("warm" if warm else "cold")
        home.mkdir()
        with kflow_up(home, *options) as served, Client(home=served) as client:
            if warm:  # the fork server imports kfp as kflow starts: tasks before run cold
                wait_until(lambda c=client: started_warm(c), timeout=60, interval=0.5)
            else:
                assert not started_warm(client)
                assert not (home / "runtime" / "zygote.log").exists()
    quiet.file.close()
