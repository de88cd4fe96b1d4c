"""Metrics collectors and early stopping through the trial controller, with real trials.

No sidecar: the controller reads the primary container's log, a file or tfevent
directory in the pod's metrics volume (the path as the container sees it), or the
pod's Prometheus endpoint on its mapped port.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kflow.api import meta as m
from tests.katib.harness import EXPERIMENTS, control_plane, experiment, runs_async

pytestmark = pytest.mark.slow

ONE_PARAMETER = [
    {"name": "x", "parameterType": "discrete", "feasibleSpace": {"list": ["0.25", "0.75"]}}
]


async def run_one(tmp_path: Path, code: str, collector: dict[str, Any], **extra: Any) -> Any:
    async with control_plane(tmp_path / "rt") as plane:
        body = experiment(
            "coll",
            code,
            parameters=ONE_PARAMETER,
            algorithm="grid",
            max_trials=2,
            parallel=2,
            collector=collector,
            **extra,
        )
        plane.store.create(EXPERIMENTS, body)
        done = await plane.wait_finished("coll", timeout=90)
        trials = plane.trials("coll")
        rows = {m.name_of(t): plane.observations.read("default", m.name_of(t)) for t in trials}
        return done, trials, rows


def x_of(trial: dict[str, Any]) -> float:
    return float(trial["spec"]["parameterAssignments"][0]["value"])


@runs_async
async def test_file_collector_text_with_custom_format(tmp_path: Path) -> None:
    code = """
import sys, time
x = float(sys.argv[1])
with open("/var/log/katib/metrics.log", "a") as f:
    for step in range(3):
        f.write(f"2026-11-25T10:00:0{step}Z loss => {x * 10 + step}\\n")
        f.flush()
        time.sleep(0.1)
"""
    collector = {
        "collector": {"kind": "File"},
        "source": {
            "fileSystemPath": {"path": "/var/log/katib/metrics.log", "kind": "File"},
            "filter": {"metricsFormat": [r"(\w+)\s*=>\s*([\d.]+)"]},
        },
    }
    done, trials, rows = await run_one(tmp_path, code, collector)
    assert done == ("Succeeded", "ExperimentMaxTrialsReached")
    for trial in trials:
        values = [float(r.value) for r in rows[m.name_of(trial)]]
        assert values == pytest.approx([x_of(trial) * 10 + s for s in range(3)])
        assert rows[m.name_of(trial)][0].timestamp.startswith("2026-11-25T10:00:00")
    assert not Path("/var/log/katib/metrics.log").exists()  # it was the pod's own volume


@runs_async
async def test_file_collector_json(tmp_path: Path) -> None:
    code = """
import json, sys
x = float(sys.argv[1])
with open("/tmp/kflow-katib-json/out.json", "w") as f:
    for epoch in range(2):
        f.write(json.dumps({"loss": str(x + epoch), "epoch": epoch, "timestamp": 1764064800.5 + epoch}) + "\\n")
"""
    collector = {
        "collector": {"kind": "File"},
        "source": {
            "fileSystemPath": {
                "path": "/tmp/kflow-katib-json/out.json",
                "kind": "File",
                "format": "JSON",
            }
        },
    }
    done, trials, rows = await run_one(tmp_path, code, collector)
    assert done == ("Succeeded", "ExperimentMaxTrialsReached")
    for trial in trials:
        got = rows[m.name_of(trial)]
        assert [float(r.value) for r in got] == pytest.approx([x_of(trial), x_of(trial) + 1])
        assert [r.step for r in got] == [0, 1]


@runs_async
async def test_tensorflow_event_collector(tmp_path: Path) -> None:
    code = """
import sys
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.compat.proto import event_pb2, summary_pb2
x = float(sys.argv[1])
writer = EventFileWriter("/var/log/katib/tfevent/train")
for step in range(3):
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="loss", simple_value=x + step)])
    writer.add_event(event_pb2.Event(step=step, wall_time=1764064800.0 + step, summary=summary))
writer.close()
"""
    collector = {
        "collector": {"kind": "TensorFlowEvent"},
        "source": {"fileSystemPath": {"path": "/var/log/katib/tfevent/", "kind": "Directory"}},
    }
    done, trials, rows = await run_one(tmp_path, code, collector)
    assert done == ("Succeeded", "ExperimentMaxTrialsReached")
    for trial in trials:
        got = rows[m.name_of(trial)]
        assert [r.step for r in got if r.metric == "loss"] == [0, 1, 2]
        assert float(got[-1].value) == pytest.approx(x_of(trial) + 2)


@runs_async
async def test_prometheus_collector_scrapes_the_pod(tmp_path: Path) -> None:
    code = """
import os, sys, time
from prometheus_client import Gauge, start_http_server
x = float(sys.argv[1])
start_http_server(int(os.environ["KFLOW_PORT_8080"]), addr="127.0.0.1")
loss = Gauge("loss", "training loss")
for step in range(4):
    loss.set(x + step)
    time.sleep(0.6)
"""
    collector = {"collector": {"kind": "PrometheusMetric"}}
    body_extra: dict[str, Any] = {}
    async with control_plane(tmp_path / "rt") as plane:
        body = experiment(
            "prom",
            code,
            parameters=ONE_PARAMETER,
            algorithm="grid",
            max_trials=2,
            parallel=2,
            collector=collector,
            **body_extra,
        )
        container = body["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
            "containers"
        ][0]
        container["ports"] = [{"containerPort": 8080}]
        plane.store.create(EXPERIMENTS, body)
        assert await plane.wait_finished("prom", timeout=90) == (
            "Succeeded",
            "ExperimentMaxTrialsReached",
        )
        for trial in plane.trials("prom"):
            values = [float(r.value) for r in plane.observations.read("default", m.name_of(trial))]
            assert len(values) >= 2, values  # scraped while it ran, each change once
            assert values == sorted(values)
            assert values[0] >= x_of(trial)


@runs_async
async def test_medianstop_stops_bad_trials_early(tmp_path: Path) -> None:
    # loss falls with each step; trials with a large x stay far worse than the median
    code = """
import sys, time
x = float(sys.argv[1])
for step in range(8):
    print(f"loss={x + 1.0 / (step + 1):.4f}", flush=True)
    time.sleep(0.25)
"""
    values = ["0.1", "0.2", "0.3", "5.0", "6.0"]
    async with control_plane(tmp_path / "rt") as plane:
        body = experiment(
            "median",
            code,
            parameters=[
                {"name": "x", "parameterType": "discrete", "feasibleSpace": {"list": values}}
            ],
            algorithm="grid",
            settings={"random_state": "0"},  # this order: 0.3, 0.1, 0.2, 5.0, 6.0
            max_trials=5,
            parallel=1,
            early_stopping={
                "algorithmName": "medianstop",
                "algorithmSettings": [
                    {"name": "min_trials_required", "value": "2"},
                    {"name": "start_step", "value": "2"},
                ],
            },
        )
        plane.store.create(EXPERIMENTS, body)
        assert await plane.wait_finished("median", timeout=90) == (
            "Succeeded",
            "ExperimentMaxTrialsReached",
        )
        status = plane.experiment("median")["status"]
        stopped = {
            x_of(t)
            for t in plane.trials("median")
            if m.name_of(t) in (status.get("earlyStoppedTrialList") or [])
        }
        # 0.2 ties the median of 0.3 and 0.1 (not worse: goes on); 5.0 and 6.0 are stopped
        assert stopped == {5.0, 6.0}, status
        for trial in plane.trials("median"):
            if x_of(trial) in stopped:
                rows = plane.observations.read("default", m.name_of(trial))
                assert len(rows) < 8  # stopped before its last step
                reasons = [
                    c["message"]
                    for c in trial["status"]["conditions"]
                    if c["type"] == "EarlyStopped"
                ]
                assert reasons and "medianstop" in reasons[0]
