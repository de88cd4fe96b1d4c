"""The Katib controllers end to end in one process: real trial processes, real metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from kflow.api import meta as m
from kflow.api.errors import NotFound
from tests.conftest import async_wait_until
from tests.katib.harness import EXPERIMENTS, SUGGESTIONS, control_plane, experiment, runs_async

pytestmark = pytest.mark.slow

# prints Katib-style metrics: loss=(x-0.3)^2 over three "epochs", getting better
QUADRATIC = """
import sys
x = float(sys.argv[1])
for epoch in range(3):
    print(f"epoch {epoch}: loss={(x - 0.3) ** 2 + 0.1 * (2 - epoch):.6f} accuracy={1 - x:.4f}", flush=True)
"""


@runs_async
async def test_experiment_runs_to_max_trials(tmp_path: Path) -> None:
    async with control_plane(tmp_path / "rt") as plane:
        plane.store.create(EXPERIMENTS, experiment("quad", QUADRATIC, max_trials=5, parallel=2))
        assert await plane.wait_finished("quad") == ("Succeeded", "ExperimentMaxTrialsReached")
        status = plane.experiment("quad")["status"]
        assert status["trials"] == 5
        assert status["trialsSucceeded"] == 5
        assert len(status["succeededTrialList"]) == 5
        types = [c["type"] for c in status["conditions"]]
        assert types[:1] == ["Created"] and types[-1] == "Succeeded"
        # the optimum is the trial with the smallest loss (strategy min of a minimize goal)
        trials = plane.trials("quad")
        best = status["currentOptimalTrial"]
        losses = {
            m.name_of(t): float(
                next(x for x in t["status"]["observation"]["metrics"] if x["name"] == "loss")["min"]
            )
            for t in trials
        }
        assert best["bestTrialName"] == min(losses, key=lambda k: losses[k])
        x = float(best["parameterAssignments"][0]["value"])
        assert losses[best["bestTrialName"]] == pytest.approx((x - 0.3) ** 2, abs=1e-5)
        # every trial has Katib's status and its observation log
        for trial in trials:
            conditions = {c["type"]: c["status"] for c in trial["status"]["conditions"]}
            assert conditions["Succeeded"] == "True" and conditions["Running"] == "False"
            rows = plane.observations.read("default", m.name_of(trial))
            assert [r.metric for r in rows].count("loss") == 3
        # a trial's Job is deleted once the trial ends (the template does not retain it)
        await async_wait_until(lambda: not plane.store.list("jobs.batch").items, timeout=10)
        suggestion = plane.store.get(SUGGESTIONS, "default", "quad")
        assert suggestion["status"]["suggestionCount"] == 5
        assert {s["name"] for s in suggestion["status"]["suggestions"]} == set(losses)


@runs_async
async def test_goal_reached_kills_the_rest(tmp_path: Path) -> None:
    slow_after_first = """
import sys, time
x = float(sys.argv[1])
print(f"loss={x:.4f}", flush=True)
if x > 0.0:
    time.sleep(30)
"""
    async with control_plane(tmp_path / "rt") as plane:
        body = experiment(
            "goal",
            slow_after_first,
            parameters=[
                {"name": "x", "parameterType": "discrete", "feasibleSpace": {"list": ["0", "5"]}}
            ],
            algorithm="grid",
            max_trials=2,
            parallel=2,
        )
        body["spec"]["objective"]["goal"] = 0.5
        plane.store.create(EXPERIMENTS, body)
        assert await plane.wait_finished("goal") == ("Succeeded", "ExperimentGoalReached")
        await async_wait_until(
            lambda: plane.experiment("goal")["status"].get("trialsKilled") == 1, timeout=10
        )
        status = plane.experiment("goal")["status"]
        assert status["trialsSucceeded"] == 1
        # the killed trial's process is gone
        await async_wait_until(
            lambda: all(
                (p.get("status") or {}).get("phase") != "Running"
                for p in plane.store.list("pods").items
            ),
            timeout=15,
        )


@runs_async
async def test_failed_trials_fail_the_experiment(tmp_path: Path) -> None:
    async with control_plane(tmp_path / "rt") as plane:
        body = experiment("bad", "import sys; sys.exit(3)", max_trials=6, parallel=2, max_failed=1)
        body["spec"]["trialTemplate"]["trialSpec"]["spec"]["backoffLimit"] = 0
        plane.store.create(EXPERIMENTS, body)
        assert await plane.wait_finished("bad") == ("Failed", "ExperimentFailed")
        status = plane.experiment("bad")["status"]
        assert status["trialsFailed"] >= 2
        failed = [
            t for t in plane.trials("bad") if t["metadata"]["name"] in status["failedTrialList"]
        ]
        reasons = {
            c["reason"] for t in failed for c in t["status"]["conditions"] if c["type"] == "Failed"
        }
        assert all(r.startswith("TrialFailed") for r in reasons)


@runs_async
async def test_a_trial_without_the_objective_is_metrics_unavailable(tmp_path: Path) -> None:
    async with control_plane(tmp_path / "rt") as plane:
        plane.store.create(
            EXPERIMENTS, experiment("quiet", "print('no metrics here')", max_trials=1, parallel=1)
        )
        assert await plane.wait_finished("quiet") == ("Succeeded", "ExperimentMaxTrialsReached")
        status = plane.experiment("quiet")["status"]
        assert status["trialMetricsUnavailable"] == 1
        (trial,) = plane.trials("quiet")
        metrics = trial["status"]["observation"]["metrics"]
        assert metrics == [
            {"name": "loss", "min": "unavailable", "max": "unavailable", "latest": "unavailable"}
        ]
        assert status["currentOptimalTrial"]["bestTrialName"] == ""


@runs_async
async def test_grid_exhaustion_ends_the_experiment(tmp_path: Path) -> None:
    async with control_plane(tmp_path / "rt") as plane:
        body = experiment(
            "grid",
            QUADRATIC,
            parameters=[
                {
                    "name": "x",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0", "max": "0.4", "step": "0.2"},
                }
            ],
            algorithm="grid",
            max_trials=10,
            parallel=3,
        )
        plane.store.create(EXPERIMENTS, body)
        assert await plane.wait_finished("grid") == ("Succeeded", "ExperimentSuggestionEndReached")
        trials = plane.trials("grid")
        values = sorted(float(t["spec"]["parameterAssignments"][0]["value"]) for t in trials)
        assert values == pytest.approx([0.0, 0.2, 0.4])


@runs_async
async def test_a_deleted_trial_takes_its_observations(tmp_path: Path) -> None:
    async with control_plane(tmp_path / "rt") as plane:
        plane.store.create(EXPERIMENTS, experiment("gone", QUADRATIC, max_trials=1, parallel=1))
        await plane.wait_finished("gone")
        (trial,) = plane.trials("gone")
        name = m.name_of(trial)
        assert plane.observations.read("default", name)
        plane.store.delete("trials.kubeflow.org", "default", name)
        with pytest.raises(NotFound):
            plane.store.get("trials.kubeflow.org", "default", name)
        await async_wait_until(lambda: not plane.observations.read("default", name), timeout=10)


@runs_async
async def test_raising_max_trials_resumes_with_the_search_state(tmp_path: Path) -> None:
    async with control_plane(tmp_path / "rt") as plane:
        body = experiment(
            "resume",
            QUADRATIC,
            algorithm="tpe",
            max_trials=3,
            parallel=3,
            resume_policy="LongRunning",
        )
        plane.store.create(EXPERIMENTS, body)
        assert await plane.wait_finished("resume") == ("Succeeded", "ExperimentMaxTrialsReached")
        first = plane.store.get(SUGGESTIONS, "default", "resume")["status"]["suggestions"]
        stored = plane.experiment("resume")
        stored["spec"]["maxTrialCount"] = 5
        plane.store.update(EXPERIMENTS, stored)
        await async_wait_until(
            lambda: plane.experiment("resume")["status"]["trials"] == 5, timeout=30
        )
        assert await plane.wait_finished("resume") == ("Succeeded", "ExperimentMaxTrialsReached")
        status = plane.experiment("resume")["status"]
        assert status["trialsSucceeded"] == 5
        # Restarting lasts until the new trials run (then Running replaces it, as in Katib)
        reasons = [e["reason"] for e in plane.store.list("events", "default").items]
        assert "ExperimentRestarting" in reasons
        after = plane.store.get(SUGGESTIONS, "default", "resume")["status"]["suggestions"]
        assert after[:3] == first  # the search continued: the old suggestions are untouched
        assert len(after) == 5


@runs_async
async def test_pytorchjob_trials_read_the_masters_metrics(tmp_path: Path) -> None:
    # every replica prints a metric; only the master's (Katib's primary pod) counts
    code = """
import os, sys
x = float(sys.argv[1])
role = "master" if os.environ.get("RANK") == "0" else "worker"
print(f"loss={x if role == 'master' else 100 + x}", flush=True)
"""
    async with control_plane(tmp_path / "rt") as plane:
        body = experiment("ptj", code, max_trials=2, parallel=2)
        container = body["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
            "containers"
        ][0]
        container["name"] = "pytorch"
        body["spec"]["trialTemplate"]["primaryContainerName"] = "pytorch"
        body["spec"]["trialTemplate"]["trialSpec"] = {
            "apiVersion": "kubeflow.org/v1",
            "kind": "PyTorchJob",
            "spec": {
                "pytorchReplicaSpecs": {
                    role: {
                        "replicas": replicas,
                        "restartPolicy": "Never",
                        "template": {"spec": {"containers": [dict(container)]}},
                    }
                    for role, replicas in (("Master", 1), ("Worker", 1))
                }
            },
        }
        # defaulting fills in Katib's conditions and primary pod labels for PyTorchJob
        body["spec"]["trialTemplate"].pop("successCondition", None)
        body["spec"]["trialTemplate"].pop("failureCondition", None)
        body["spec"]["trialTemplate"].pop("primaryPodLabels", None)
        from kflow.api.admission import admit
        from kflow.api.kinds import registry

        body = admit(
            registry.by_resource(EXPERIMENTS), body, None, operation="CREATE", version="v1beta1"
        )
        assert body["spec"]["trialTemplate"]["primaryPodLabels"] == {
            "training.kubeflow.org/job-role": "master"
        }
        plane.store.create(EXPERIMENTS, body)
        assert await plane.wait_finished("ptj", timeout=90) == (
            "Succeeded",
            "ExperimentMaxTrialsReached",
        )
        for trial in plane.trials("ptj"):
            x = float(trial["spec"]["parameterAssignments"][0]["value"])
            values = [float(r.value) for r in plane.observations.read("default", m.name_of(trial))]
            assert values == pytest.approx([x])  # the master's line only


@runs_async
async def test_pbt_children_start_from_their_parents_checkpoint(tmp_path: Path) -> None:
    # each trial trains "one more step" on top of the checkpoint it starts from
    code = """
import os, sys
x = float(sys.argv[1])
base = "/var/log/katib/checkpoints"
mine = os.path.join(base, os.environ["KATIB_TRIAL_NAME"])
os.makedirs(mine, exist_ok=True)
path = os.path.join(mine, "steps")
steps = int(open(path).read()) if os.path.exists(path) else 0
open(path, "w").write(str(steps + 1))
print(f"loss={x / (steps + 1):.5f} steps={steps + 1}", flush=True)
"""
    async with control_plane(tmp_path / "rt") as plane:
        body = experiment(
            "pbt",
            code,
            algorithm="random",
            max_trials=10,
            parallel=5,
            parameters=[
                {
                    "name": "x",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.1", "max": "1"},
                }
            ],
        )
        body["spec"]["algorithm"] = {
            "algorithmName": "pbt",
            "algorithmSettings": [
                {"name": "suggestion_trial_dir", "value": "/var/log/katib/checkpoints/"},
                {"name": "n_population", "value": "5"},
                {"name": "truncation_threshold", "value": "0.4"},
            ],
        }
        body["spec"]["objective"]["additionalMetricNames"] = ["steps"]
        plane.store.create(EXPERIMENTS, body)
        assert await plane.wait_finished("pbt", timeout=90) == (
            "Succeeded",
            "ExperimentMaxTrialsReached",
        )
        assert plane.store.get("persistentvolumeclaims", "default", "pbt-pbt")
        trials = {m.name_of(t): t for t in plane.trials("pbt")}
        children = [
            t
            for t in trials.values()
            if "pbt.suggestion.katib.kubeflow.org/parent" in (t["spec"].get("labels") or {})
        ]
        assert children, "generation 1 exploits generation 0"
        for child in children:
            parent = child["spec"]["labels"]["pbt.suggestion.katib.kubeflow.org/parent"]
            steps = {
                r.metric: r.value for r in plane.observations.read("default", m.name_of(child))
            }["steps"]
            parents = {r.metric: r.value for r in plane.observations.read("default", parent)}
            assert int(steps) == int(parents["steps"]) + 1  # continued the parent's checkpoint
