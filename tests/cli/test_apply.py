"""`kflow apply`: created / configured / unchanged, and errors that point at the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kflow.sdk import Client


def pod(name: str, namespace: str, *, labels: str = "{app: web}", extra: str = "") -> str:
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
  labels: {labels}
spec:
  containers:
  - name: main
    image: python:3.11
    command: [python, -c, "print('hi')"]
{extra}"""


def test_created_unchanged_configured(
    kflow: Any, api: Client, namespace: str, tmp_path: Path
) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(pod("web", namespace, labels="{app: web, tier: front}"))
    first = kflow("apply", "-f", str(manifest))
    assert (first.exit_code, first.stdout) == (0, "pod/web created\n")
    again = kflow("apply", "-f", str(manifest))
    assert (again.exit_code, again.stdout) == (0, "pod/web unchanged\n")

    # dropping a label the last apply set removes it from the live object
    manifest.write_text(pod("web", namespace, labels="{app: web}"))
    changed = kflow("apply", "-f", str(manifest))
    assert (changed.exit_code, changed.stdout) == (0, "pod/web configured\n")
    live = api.get("pods", "web")
    assert live["metadata"]["labels"] == {"app": "web"}
    assert kflow("apply", "-f", str(manifest)).stdout == "pod/web unchanged\n"


def test_multi_document_file_directory_and_stdin(
    kflow: Any, namespace: str, tmp_path: Path
) -> None:
    multi = tmp_path / "many.yaml"
    config = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: {namespace}\ndata:\n  lr: '0.1'\n"
    multi.write_text(pod("a", namespace) + "---\n" + config + "---\n")
    result = kflow("apply", "-f", str(multi))
    assert (result.exit_code, result.stdout) == (0, "pod/a created\nconfigmap/settings created\n")

    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "2-b.yml").write_text(pod("b", namespace))
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "c", "namespace": namespace},
        "spec": {"ports": [{"port": 80}]},
    }
    (folder / "1-c.json").write_text(json.dumps(service))
    (folder / "notes.txt").write_text("not a manifest")
    result = kflow("apply", "-f", str(folder))
    assert (result.exit_code, result.stdout) == (0, "service/c created\npod/b created\n")

    result = kflow("apply", "-f", "-", "-n", namespace, input=pod("d", namespace))
    assert (result.exit_code, result.stdout) == (0, "pod/d created\n")


def test_namespace_flag_fills_in_and_must_agree(
    kflow: Any, api: Client, namespace: str, tmp_path: Path
) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata: {a: b}\n")
    assert (
        kflow("apply", "-f", str(manifest), "-n", namespace).stdout == "configmap/plain created\n"
    )
    assert api.get("configmaps", "plain")["data"] == {"a": "b"}

    manifest.write_text(pod("x", namespace))
    result = kflow("apply", "-f", str(manifest), "-n", "default")
    assert result.exit_code == 1
    assert result.stderr == (
        f'error: {manifest} document 1: the namespace from the provided object "{namespace}" '
        'does not match the namespace "default": drop -n, or change metadata.namespace\n'
    )


def test_yaml_syntax_error_names_file_document_line_and_column(
    kflow: Any, namespace: str, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("pod.yaml").write_text(
        pod("ok", namespace) + "---\nkind: Pod\nmetadata:\n  name: [broken\n"
    )
    result = kflow("apply", "-f", "pod.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""  # nothing is applied while a manifest is unreadable
    assert result.stderr == (
        "error: pod.yaml document 2: YAML syntax error at line 16, column 1: "
        "expected ',' or ']', but got '<stream end>'\n"
    )
    assert "Traceback" not in result.stderr


def test_missing_fields_are_reported_per_document(
    kflow: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n"
        "---\napiVersion: v1\nmetadata: {name: nokind}\n"
        "---\nkind: Pod\napiVersion: v1\nmetadata: {generateName: web-}\n"
        "---\n- just\n- a list\n"
    )
    result = kflow("apply", "-f", "bad.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: bad.yaml document 2: kind: Required value: set the object's kind, such as Pod or TFJob",
        "error: bad.yaml document 3: metadata.name: Required value: apply needs a fixed name; "
        "metadata.generateName is not supported here",
        "error: bad.yaml document 4: expected an object with apiVersion, kind and metadata, got a list",
    ]


def test_missing_file_and_json_error(kflow: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    Path("x.json").write_text('{"apiVersion": "v1",\n "kind": }')
    result = kflow("apply", "-f", "nope.yaml", "-f", "x.json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'error: the path "nope.yaml" does not exist',
        "error: x.json document 1: JSON syntax error at line 2, column 10: Expecting value",
    ]


def test_server_rejections_name_file_document_and_field(
    kflow: Any, namespace: str, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = (
        pod("ok", namespace)
        + f"""---
apiVersion: v1
kind: Pod
metadata:
  name: bad
  namespace: {namespace}
spec:
  restartPolicy: Sometimes
  containers:
  - name: main
---
apiVersion: kubeflow.org/v1
kind: NoSuchJob
metadata:
  name: what
"""
    )
    Path("pods.yaml").write_text(bad)
    result = kflow("apply", "-f", "pods.yaml")
    assert result.exit_code == 1
    assert result.stdout == "pod/ok created\n"  # the good object still goes in
    lines = result.stderr.splitlines()
    assert lines[:2] == [
        "error: pods.yaml document 2 (pod/bad): spec.containers[0].image: Required value",
        'error: pods.yaml document 2 (pod/bad): spec.restartPolicy: Unsupported value: "Sometimes": '
        'supported values: "Always", "Never", "OnFailure"',
    ] or lines[:2] == [
        'error: pods.yaml document 2 (pod/bad): spec.restartPolicy: Unsupported value: "Sometimes": '
        'supported values: "Always", "Never", "OnFailure"',
        "error: pods.yaml document 2 (pod/bad): spec.containers[0].image: Required value",
    ]
    assert lines[2] == (
        "Error from server (NotFound): pods.yaml document 3 (nosuchjob/what): "
        'no matches for kind "NoSuchJob" in version "kubeflow.org/v1": '
        "check apiVersion and kind (`kflow get` lists what the server serves)"
    )
    assert len(lines) == 3


def test_no_filename(kflow: Any) -> None:
    result = kflow("apply")
    assert result.exit_code == 2  # a usage error, reported by the argument parser
    assert "--filename" in result.stderr
