"""`kflow demo`, the README's main job, runs end to end and says what it did."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_the_demo_trains_evaluates_and_summarises(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kflow", "demo", "--home", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "namespace/kflow-demo created" in out
    assert "train in a Pod" in out and "evaluate in a second Pod" in out
    accuracies = [float(a) for a in re.findall(r"Succeeded, accuracy (0\.\d+)", out)]
    assert len(accuracies) == 4  # one Pod, its evaluation, the PyTorchJob, the pipeline
    assert min(accuracies[:2]) > 0.9  # the digits model reaches > 90 %
    assert accuracies[2] > 0.8  # DDP over 10 short epochs
    assert "distributed training: PyTorchJob, 3" in out  # 1 master + 2 workers
    # the Katib step: 8 trials searched; the best beats a coin flip by far
    tuned = re.search(r"ExperimentMaxTrialsReached\),\s+best accuracy (0\.\d+), 8 trials", out)
    assert tuned, out
    assert float(tuned.group(1)) > 0.9
    best = re.search(r"best trial (mnist-tune-\w+)", out)
    assert best, out
    trials = (tmp_path / "demo" / "runtime").rglob(f"trials/{best.group(1)}/model.npz")
    assert next(trials, None) is not None  # the best trial's model, ready to hand on
    # the serving step: the tuned model behind an InferenceService, through the gateway
    served = re.search(r"Ready, (\d+)/20 digits read right through the gateway", out)
    assert served, out
    assert int(served.group(1)) >= 15
    # the pipeline step: kfp DSL on the workflow engine, all four tasks cached the 2nd time
    # (the demo's data directory is under /tmp, which a step's private /tmp must not hide)
    piped = re.search(
        r"Succeeded, accuracy 0\.9\d+, 4\s+tasks ran; again from the cache:\s+4/4 reused", out
    )
    assert piped, out
    # the draw-a-digit step: the web page's JSON twin read a test digit and drawings
    drawn = re.search(r"test digit (\d) read as (\d); (\d)/2 drawings", out)
    assert drawn, out
    assert int(drawn.group(3)) >= 1
    assert re.search(r"Draw your own digit: https://127\.0\.0\.1:\d+/ui/login", out), out
    claim = next((tmp_path / "demo" / "runtime").rglob("evaluation.json"))
    assert '"accuracy": 0.9' in claim.read_text()
    # the model server does not outlive the demo (its control plane stops at the end)
    leftover = subprocess.run(
        ["pgrep", "-f", "kflow serve /mnt/pvc/trials/mnist-tune-"], capture_output=True, text=True
    )
    assert not leftover.stdout.strip(), leftover.stdout
    # the demo's private control plane is stopped again
    assert not (tmp_path / "demo" / "server.json").exists()
