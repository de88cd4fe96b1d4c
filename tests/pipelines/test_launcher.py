"""`python -m kflow.pipelines.launcher` on its own, with real kfp components, as a pod runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kflow.pipelines import to_workflow
from kflow.pipelines.sqlite_metadata import SQLitePipelineMetadata
from tests.pipelines import pipelines_src as src


def launch(
    template: dict[str, Any], values: dict[str, str], outputs: Path
) -> subprocess.CompletedProcess[str]:
    args = list(template["container"]["args"])
    for name, value in values.items():
        args = [a.replace(f"{{{{inputs.parameters.{name}}}}}", value) for a in args]
    args = [
        a.replace("{{workflow.name}}", "run-1").replace("{{workflow.uid}}", "uid-1") for a in args
    ]
    return subprocess.run(
        [sys.executable, "-m", "kflow.pipelines.launcher", *args, "--outputs-dir", str(outputs)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def templates(spec: dict[str, Any], **arguments: Any) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in to_workflow(spec, arguments=arguments)["spec"]["templates"]}


def test_container_components_resolve_concat_and_if_present(
    tmp_path: Path, kflow_home: Path, ir: Callable[[Any], dict[str, Any]]
) -> None:
    by_name = templates(ir(src.launcher_cases))
    done = launch(by_name["comp-optional-flags"], {"name": "x"}, tmp_path / "a")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a" / "out").read_text() == "--name=x --untagged optional-flags\n"
    done = launch(by_name["comp-optional-flags-2"], {"name": "y", "tag": "t1"}, tmp_path / "b")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b" / "out").read_text() == "--name=y --tag t1 optional-flags-2\n"
    assert (tmp_path / "b" / "kflow-cached-from").exists() is False


def test_packages_to_install_already_present_are_not_installed_again(
    tmp_path: Path, kflow_home: Path, ir: Callable[[Any], dict[str, Any]]
) -> None:
    template = templates(ir(src.launcher_cases))["comp-uses-yaml"]
    done = launch(template, {"text": "k: v"}, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "Output").read_text() == "v"
    assert "installing" not in done.stdout
    markers = list((kflow_home / "pipelines" / "packages").iterdir())
    assert any(m.read_text() == "pyyaml>=5\n" for m in markers)


def test_the_importer_hashes_the_file_where_it_is(
    tmp_path: Path, kflow_home: Path, ir: Callable[[Any], dict[str, Any]]
) -> None:
    source = kflow_home / "input.csv"
    source.write_text("a,b\n")
    spec = ir(src.launcher_cases)
    template = templates(spec, path=str(source))["comp-importer"]
    uri_input = next(a for a in template["container"]["args"] if a.startswith("uri="))
    assert uri_input == "uri={{inputs.parameters.uri}}"
    done = launch(template, {"uri": str(source)}, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    artifact = json.loads((tmp_path / "out" / "artifact").read_text())
    assert artifact["uri"] == str(source) and source.read_text() == "a,b\n"
    assert artifact["type"]["schemaTitle"] == "system.Dataset"
    assert artifact["digest"].startswith("sha256:")


def test_a_failing_component_exits_non_zero_and_is_recorded(
    tmp_path: Path, kflow_home: Path, ir: Callable[[Any], dict[str, Any]]
) -> None:
    template = templates(ir(src.launcher_cases))["comp-fail"]
    done = launch(template, {"message": "boom"}, tmp_path / "out")
    assert done.returncode != 0
    assert "RuntimeError: boom" in done.stderr  # the component's own traceback
    meta = SQLitePipelineMetadata(kflow_home / "kflow.db")
    try:
        (execution,) = meta.run_executions("uid-1")
        assert (execution.task, execution.state.value, execution.run_name) == (
            "fail",
            "FAILED",
            "run-1",
        )
    finally:
        meta.close()


def test_bad_inputs_are_reported_without_a_traceback(
    tmp_path: Path, kflow_home: Path, ir: Callable[[Any], dict[str, Any]]
) -> None:
    template = templates(ir(src.two_steps))["comp-add"]
    done = launch(template, {"a": "one", "b": "2"}, tmp_path / "out")
    assert done.returncode == 1
    assert (
        done.stderr.strip() == "kflow launcher: inputs.a: 'one' is not a valid NUMBER_INTEGER value"
    )


def test_a_rehearsal_changes_nothing_a_task_could_see(tmp_path: Path) -> None:
    from kflow.pipelines import launcher

    env, argv, cwd = dict(os.environ), list(sys.argv), os.getcwd()
    launcher.rehearse()
    assert (dict(os.environ), sys.argv, os.getcwd()) == (env, argv, cwd)
