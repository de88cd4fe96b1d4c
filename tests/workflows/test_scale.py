"""A hundred-step loop completes, every step a real pod, and its status stays readable."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.workflows.harness import control_plane, runs_async, sh, show, workflow

pytestmark = pytest.mark.slow

WIDTH = 100


@runs_async
async def test_a_hundred_node_with_sequence_workflow_completes(tmp_path: Path) -> None:
    main = {
        "name": "main",
        "dag": {
            "tasks": [
                {
                    "name": "each",
                    "template": "step",
                    "withSequence": {"count": str(WIDTH)},
                    "arguments": {"parameters": [{"name": "i", "value": "{{item}}"}]},
                },
                {
                    "name": "done",
                    "template": "done",
                    "dependencies": ["each"],
                    "arguments": {
                        "parameters": [{"name": "all", "value": "{{tasks.each.outputs.result}}"}]
                    },
                },
            ]
        },
    }
    step = sh("step", "echo {{inputs.parameters.i}}", inputs={"parameters": [{"name": "i"}]})
    done = sh(
        "done", "echo '{{inputs.parameters.all}}' | wc -c", inputs={"parameters": [{"name": "all"}]}
    )
    async with control_plane(tmp_path) as plane:
        started = time.monotonic()
        wf = await plane.run(workflow("wide", [main, step, done]), timeout=300)
        took = time.monotonic() - started
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        assert wf["status"]["progress"] == f"{WIDTH + 1}/{WIDTH + 1}"
        assert len(wf["status"]["nodes"]) == WIDTH + 3  # the DAG, the group, the steps, done
        print(f"{WIDTH} pods in {took:.1f}s")
