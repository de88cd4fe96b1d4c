"""Artifacts between steps through kflow's content-addressed store."""

from __future__ import annotations

from pathlib import Path

from tests.workflows.harness import control_plane, runs_async, sh, show, workflow

MAKE = sh(
    "make",
    "mkdir -p /tmp/out/sub && echo hello > /tmp/out/sub/a.txt && echo same > /tmp/same.txt",
    outputs={
        "artifacts": [
            {"name": "tree", "path": "/tmp/out"},
            {"name": "same", "path": "/tmp/same.txt", "archive": {"none": {}}},
            {"name": "maybe", "path": "/tmp/missing", "optional": True},
        ]
    },
)
USE = sh(
    "use",
    "cat /tmp/in/sub/a.txt /mnt/in/same.txt /tmp/raw.txt",
    inputs={
        "artifacts": [
            {"name": "tree", "path": "/tmp/in"},
            {"name": "same", "path": "/mnt/in/same.txt"},
            {"name": "raw", "path": "/tmp/raw.txt", "raw": {"data": "raw text"}},
        ]
    },
)


@runs_async
async def test_an_output_artifact_is_another_step_s_input(tmp_path: Path) -> None:
    args = {
        "artifacts": [
            {"name": "tree", "from": "{{tasks.make.outputs.artifacts.tree}}"},
            {"name": "same", "from": "{{tasks.make.outputs.artifacts.same}}"},
        ]
    }
    main = {
        "name": "main",
        "dag": {
            "tasks": [
                {"name": "make", "template": "make"},
                {"name": "again", "template": "make"},
                {"name": "use", "template": "use", "dependencies": ["make"], "arguments": args},
            ]
        },
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("arts", [main, MAKE, USE]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("arts")
        assert nodes["use"]["outputs"]["result"] == "hello\nsame\nraw text"
        made = {a["name"]: a for a in nodes["make"]["outputs"]["artifacts"]}
        again = {a["name"]: a for a in nodes["again"]["outputs"]["artifacts"]}
        assert set(made) == {"tree", "same", "main-logs"}
        # identical outputs are one blob in the store
        assert made["tree"]["kflow"]["key"] == again["tree"]["kflow"]["key"]
        assert made["tree"]["kflow"]["archive"] == "tgz" and made["tree"]["kflow"]["directory"]
        store = plane.controller.artifacts
        assert store.read_bytes(made["same"]["kflow"]["key"]) == b"same\n"
        blobs = list((tmp_path / "artifacts" / "blobs").rglob("*"))
        assert (
            len([b for b in blobs if b.is_file()]) == 4
        )  # tree, same, the shared empty log, use's log


@runs_async
async def test_a_missing_output_is_an_error_unless_optional(tmp_path: Path) -> None:
    lost = sh("lost", "true", outputs={"artifacts": [{"name": "x", "path": "/tmp/nowhere"}]})
    param = sh(
        "param",
        "true",
        outputs={
            "parameters": [
                {
                    "name": "d",
                    "valueFrom": {"path": "/tmp/nope", "default": "fallback"},
                    "globalName": "g",
                }
            ]
        },
    )
    main = {
        "name": "main",
        "steps": [[{"name": "param", "template": "param"}], [{"name": "lost", "template": "lost"}]],
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("missing", [main, lost, param]))
        nodes = plane.nodes("missing")
        assert nodes["param"]["outputs"]["parameters"][0]["value"] == "fallback"
        assert wf["status"]["outputs"]["parameters"] == [{"name": "g", "value": "fallback"}]
        assert nodes["lost"]["phase"] == "Error"
        assert (
            nodes["lost"]["message"]
            == "failed to save outputs: open /tmp/nowhere: no such file or directory"
        )
        assert wf["status"]["phase"] == "Failed"


@runs_async
async def test_inputs_link_to_the_store_and_a_repository_gets_every_output(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repository"
    peek = sh(
        "peek",
        "stat -c %i /tmp/in/sub/a.txt; cat /tmp/in/sub/a.txt",
        inputs={"artifacts": [{"name": "tree", "path": "/tmp/in"}]},
    )
    args = {"artifacts": [{"name": "tree", "from": "{{tasks.make.outputs.artifacts.tree}}"}]}
    main = {
        "name": "main",
        "dag": {
            "tasks": [
                {"name": "make", "template": "make"},
                {"name": "peek", "template": "peek", "dependencies": ["make"], "arguments": args},
            ]
        },
    }
    async with control_plane(tmp_path, artifact_repository=repo.as_uri()) as plane:
        wf = await plane.run(workflow("linked", [main, MAKE, peek]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("linked")
        tree = next(a for a in nodes["make"]["outputs"]["artifacts"] if a["name"] == "tree")
        store = plane.controller.artifacts
        blob = store.path_of(tree["kflow"]["key"])
        inode, text = nodes["peek"]["outputs"]["result"].splitlines()
        assert text == "hello"
        assert int(inode) == (blob / "sub" / "a.txt").stat().st_ino  # a link, not a copy
        hex_ = tree["kflow"]["key"].removeprefix("sha256:")
        uploaded = repo / "blobs" / "sha256" / hex_[:2] / hex_
        assert tree["kflow"]["uri"] == uploaded.as_uri()
        assert (uploaded / "sub" / "a.txt").read_text() == "hello\n"
        logs = next(a for a in nodes["peek"]["outputs"]["artifacts"] if a["name"] == "main-logs")
        assert Path(logs["kflow"]["uri"].removeprefix("file://")).read_text() == f"{inode}\nhello\n"


@runs_async
async def test_a_repository_that_refuses_an_upload_fails_the_step_not_its_log(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the repository should be")
    make = sh(
        "make",
        "echo made; echo x > /tmp/x.txt",
        outputs={"artifacts": [{"name": "x", "path": "/tmp/x.txt"}]},
    )
    async with control_plane(tmp_path, artifact_repository=blocked.as_uri()) as plane:
        wf = await plane.run(workflow("refused", [make]))
        node = wf["status"]["nodes"]["refused"]
        assert node["phase"] == "Error", show(wf)
        assert node["message"].startswith(
            f"failed to save outputs: artifact repository {blocked.as_uri()}: cannot upload sha256:"
        )
        (logs,) = node["outputs"]["artifacts"]  # kept here, without a repository copy
        assert logs["name"] == "main-logs" and "uri" not in logs["kflow"]
        assert plane.controller.artifacts.read_bytes(logs["kflow"]["key"]) == b"made\n"
