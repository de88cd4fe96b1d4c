"""Script sources, expressions, pod names, sidecars, podSpecPatch, podGC and ttlStrategy."""

from __future__ import annotations

from pathlib import Path

from kflow.api import meta as m
from tests.conftest import async_wait_until
from tests.workflows.harness import PY, control_plane, python, runs_async, sh, show, workflow


@runs_async
async def test_a_script_gets_its_source_and_expressions_are_evaluated(tmp_path: Path) -> None:
    script = python(
        "add",
        "import sys\nprint({{inputs.parameters.a}} + {{=asInt(inputs.parameters.b) * 10}})\nprint('noise', file=sys.stderr)",
        inputs={"parameters": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]},
    )
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("script", [script]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        assert wf["status"]["nodes"]["script"]["outputs"]["result"] == "21"


@runs_async
async def test_pod_name_retries_and_pod_spec_patch(tmp_path: Path) -> None:
    show_pod = sh(
        "show",
        "echo {{pod.name}} $LIMIT",
        podSpecPatch='{"containers": [{"name": "main", "env": [{"name": "LIMIT", "value": "patched"}]}]}',
    )
    main = {"name": "main", "steps": [[{"name": "s", "template": "show"}]]}
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("named", [main, show_pod]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        (pod,) = [p for p in plane.store.list("pods", "default").items]
        assert (
            plane.nodes("named")["s"]["outputs"]["result"] == f"{pod['metadata']['name']} patched"
        )
        assert pod["metadata"]["name"].startswith("named-show-")
        assert pod["metadata"]["labels"]["workflows.argoproj.io/workflow"] == "named"
        assert pod["metadata"]["annotations"]["workflows.argoproj.io/node-name"] == "named[0].s"
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "Workflow"


@runs_async
async def test_sidecars_stop_when_main_ends(tmp_path: Path) -> None:
    template = sh(
        "main",
        "echo done",
        sidecars=[
            {"name": "helper", "image": "x", "command": [PY, "-c", "import time; time.sleep(60)"]}
        ],
    )
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("sidecar", [template]), timeout=30)
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        assert wf["status"]["nodes"]["sidecar"]["outputs"]["result"] == "done"
        await async_wait_until(lambda: not plane.store.list("pods", "default").items, timeout=30)


@runs_async
async def test_pod_gc_and_ttl_strategy(tmp_path: Path) -> None:
    main = {"name": "main", "steps": [[{"name": "a", "template": "ok"}]]}
    async with control_plane(tmp_path) as plane:
        gc = workflow("collected", [main, sh("ok", "true")], podGC={"strategy": "OnPodSuccess"})
        wf = await plane.run(gc)
        assert wf["status"]["phase"] == "Succeeded"
        await async_wait_until(lambda: not plane.store.list("pods", "default").items, timeout=20)
        short = workflow(
            "short-lived", [main, sh("ok", "true")], ttlStrategy={"secondsAfterCompletion": 1}
        )
        await plane.run(short)

        def names() -> list[str]:
            return [
                m.name_of(w) for w in plane.store.list("workflows.argoproj.io", "default").items
            ]

        await async_wait_until(lambda: "short-lived" not in names(), timeout=20)
        assert "collected" in names()


@runs_async
async def test_a_step_can_run_without_its_stdout_kept_as_result(tmp_path: Path) -> None:
    quiet = sh(
        "quiet",
        "echo not kept",
        metadata={"annotations": {"workflows.kflow.dev/capture-result": "false"}},
    )
    main = {
        "name": "main",
        "steps": [[{"name": "kept", "template": "kept"}], [{"name": "quiet", "template": "quiet"}]],
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("results", [main, sh("kept", "echo kept"), quiet]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("results")
        assert nodes["kept"]["outputs"]["result"] == "kept"
        assert "result" not in nodes["quiet"].get("outputs", {})
        commands = {
            m.meta(pod)["annotations"]["workflows.argoproj.io/node-name"]: pod["spec"][
                "containers"
            ][0]["command"]
            for pod in plane.store.list("pods").items
        }
        assert commands["results[1].quiet"] == ["sh", "-c", "echo not kept"]  # as written
        assert commands["results[0].kept"][:2] == ["sh", "-c"]  # inside the copying shell
        assert commands["results[0].kept"][-3:] == ["sh", "-c", "echo kept"]
