"""The run-data routes over a workflow that really ran (real pods, `podGC: OnPodSuccess`):
artifacts with their producers, KFP v1 metrics, archived logs after the pods are gone,
lineage through the steps, KFP run ids, and the authorizer's questions."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx

from kflow.pipelines.memory_metadata import MemoryPipelineMetadata
from kflow.server.app import create_app
from kflow.server.identity import Identity, LocalAuthenticator
from tests.conftest import async_wait_until
from tests.support import FakeRuntime
from tests.support import RecordingAuthorizer as Recorder
from tests.workflows.harness import Plane, control_plane, runs_async, sh, show, workflow

API = "/apis/runs.kflow.dev/v1/namespaces/default"
BOB = Identity("bob", ("team-a",))
METRICS = '{"metrics": [{"name": "accuracy", "numberValue": 0.9, "format": "PERCENTAGE"}]}'

MAKE = sh(
    "make",
    f"echo making; mkdir -p /tmp/out; echo data > /tmp/out/d.txt; echo '{METRICS}' > /tmp/m.json",
    inputs={"parameters": [{"name": "rows"}]},
    outputs={
        "artifacts": [
            {"name": "data", "path": "/tmp/out"},
            {"name": "mlpipeline-metrics", "path": "/tmp/m.json"},
        ]
    },
)
USE = sh(
    "use",
    "echo using; cat /tmp/in/d.txt > /tmp/model.txt; echo model >> /tmp/model.txt",
    inputs={"artifacts": [{"name": "data", "path": "/tmp/in"}]},
    outputs={"artifacts": [{"name": "model", "path": "/tmp/model.txt", "archive": {"none": {}}}]},
)
MAIN = {
    "name": "main",
    "dag": {
        "tasks": [
            {
                "name": "make",
                "template": "make",
                "arguments": {"parameters": [{"name": "rows", "value": "3"}]},
            },
            {
                "name": "use",
                "template": "use",
                "dependencies": ["make"],
                "arguments": {
                    "artifacts": [{"name": "data", "from": "{{tasks.make.outputs.artifacts.data}}"}]
                },
            },
        ]
    },
}


def app_client(plane: Plane, authorizer: Any = None) -> httpx.AsyncClient:
    app = create_app(
        store=plane.store,
        runtime=FakeRuntime(),
        authenticator=LocalAuthenticator(BOB),
        authorizer=authorizer or Recorder(),
        artifacts=plane.controller.artifacts,
        pipeline_metadata=MemoryPipelineMetadata(),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kflow")


@runs_async
async def test_a_finished_workflow_s_artifacts_metrics_logs_and_lineage(tmp_path: Path) -> None:
    body = workflow("made", [MAIN, MAKE, USE], podGC={"strategy": "OnPodSuccess"})
    body["metadata"]["labels"] = {"pipeline/runid": "0b5e7c1a-run"}
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(body)
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        await async_wait_until(lambda: not plane.store.list("pods", "default").items, timeout=20)
        authorizer = Recorder()
        async with app_client(plane, authorizer) as client:
            listed = (await client.get(f"{API}/runs/made/artifacts")).json()
            assert listed["run"]["name"] == "made" and listed["run"]["phase"] == "Succeeded"
            by_name = {a["name"]: a for a in listed["items"]}
            assert set(by_name) == {"data", "mlpipeline-metrics", "model"}
            data, model = by_name["data"], by_name["model"]
            assert data["producer"]["task"] == "make" and data["directory"] and data["size"] == 5
            assert Path(data["localPath"], "d.txt").read_text() == "data\n"
            assert model["digest"] == "sha256:" + hashlib.sha256(b"data\nmodel\n").hexdigest()
            assert model["producer"]["podName"].startswith("made-use-")
            # the KFP API's run id names the same run
            by_id = (await client.get(f"{API}/runs/0b5e7c1a-run/metrics")).json()
            assert by_id["items"] == [
                {
                    "task": "make",
                    "artifact": "mlpipeline-metrics",
                    "kind": "scalar",
                    "name": "accuracy",
                    "value": 0.9,
                    "format": "PERCENTAGE",
                }
            ]
            # the pods are gone; their logs are not
            logs = (await client.get(f"{API}/runs/made/logs")).json()["items"]
            assert [(e["task"], e["text"]) for e in logs] == [
                ("make", "making\n"),
                ("use", "using\n"),
            ]
            one = (await client.get(f"{API}/runs/made/logs", params={"node": "use"})).json()
            assert [e["task"] for e in one["items"]] == ["use"]
            assert ("get", "pods/log", "default", one["items"][0]["podName"]) in authorizer.asked
            details = (await client.get(f"{API}/runs/made")).json()
            assert [t["task"] for t in details["tasks"]] == ["make", "use"]
            assert len(details["artifacts"]) == 3 and len(details["metrics"]) == 1
            # lineage: model <- use <- data <- make(rows=3), by digest or by URI
            tree = (
                await client.get(f"{API}/lineage", params={"artifact": model["localPath"]})
            ).json()["artifact"]
            assert tree["digest"] == model["digest"]
            use = tree["producer"]
            assert (use["source"], use["task"], use["run"]["kfpRunId"]) == (
                "argo",
                "use",
                "0b5e7c1a-run",
            )
            (given,) = use["inputs"]
            assert given["name"] == "data" and given["digest"] == data["digest"]
            make = given["lineage"]["producer"]
            assert make["task"] == "make" and make["parameters"] == {"rows": "3"}
            assert make["inputs"] == []
            bad = await client.get(f"{API}/lineage", params={"artifact": "model.txt"})
            assert bad.status_code == 400 and "expected a digest" in bad.json()["message"]
            missing = await client.get(f"{API}/runs/nothing/artifacts")
            assert missing.status_code == 404 and "KFP run id" in missing.json()["message"]
        denied = Recorder("get workflows.argoproj.io")
        async with app_client(plane, denied) as client:
            refused = await client.get(f"{API}/runs/made/artifacts")
            assert refused.status_code == 403 and "bob" in refused.json()["message"]
            assert (
                await client.get(f"{API}/lineage", params={"artifact": data["digest"]})
            ).status_code == 403
        async with app_client(plane, Recorder("get pods/log")) as client:
            assert (await client.get(f"{API}/runs/made/logs")).status_code == 403
            assert (await client.get(f"{API}/runs/made/artifacts")).status_code == 200
