"""`kflow get`: server-side tables, the other output formats, selectors and `-w`."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from kflow.sdk import Client
from tests.cli.conftest import Server, spawn
from tests.support import OutputLines


def make_pod(api: Client, name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return api.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": api.namespace, "labels": labels or {}},
            "spec": {"containers": [{"name": "main", "image": "python:3.11"}]},
        }
    )


def test_table_like_kubectl(kflow: Any, api: Client, namespace: str) -> None:
    make_pod(api, "web-1", {"app": "web"})
    make_pod(api, "db", {"app": "db"})
    result = kflow("get", "pods", "-n", namespace)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "NAME    READY   STATUS    RESTARTS   AGE",
        f"db      0/1     Pending   0          {age_of(result.stdout, 1)}",
        f"web-1   0/1     Pending   0          {age_of(result.stdout, 2)}",
    ]
    # every spelling kubectl accepts means the same kind
    for kind in ("po", "pod", "Pod", "pods"):
        again = kflow("get", kind, "-n", namespace).stdout
        assert without_age(again) == without_age(result.stdout)


def without_age(table: str) -> list[list[str]]:
    return [line.split()[:-1] for line in table.splitlines()]


def age_of(table: str, row: int) -> str:
    return table.splitlines()[row].split()[-1]


def test_names_selectors_and_all_namespaces(kflow: Any, api: Client, namespace: str) -> None:
    make_pod(api, "web-1", {"app": "web"})
    make_pod(api, "web-2", {"app": "web"})
    make_pod(api, "db", {"app": "db", "suite": namespace})
    named = kflow("get", "pods", "web-2", "db", "-n", namespace, "--no-headers")
    assert [line.split()[0] for line in named.stdout.splitlines()] == ["web-2", "db"]
    slashed = kflow("get", "pod/web-1", "pod/db", "-n", namespace, "-o", "name")
    assert slashed.stdout == "pod/web-1\npod/db\n"

    labelled = kflow("get", "pods", "-n", namespace, "-l", "app=web", "-o", "name")
    assert labelled.stdout == "pod/web-1\npod/web-2\n"
    fielded = kflow(
        "get", "pods", "-n", namespace, "--field-selector", "metadata.name=db", "-o", "name"
    )
    assert fielded.stdout == "pod/db\n"

    everywhere = kflow("get", "pods", "-A", "-l", f"suite={namespace}")
    header, *rows = everywhere.stdout.splitlines()
    assert header.split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r.split()[:2] for r in rows] == [[namespace, "db"]]


def test_yaml_json_jsonpath(kflow: Any, api: Client, namespace: str) -> None:
    make_pod(api, "a", {"app": "x"})
    make_pod(api, "b")
    one = yaml.safe_load(kflow("get", "pod", "a", "-n", namespace, "-o", "yaml").stdout)
    assert (one["kind"], one["metadata"]["name"], one["metadata"]["labels"]) == (
        "Pod",
        "a",
        {"app": "x"},
    )
    listed = json.loads(kflow("get", "pods", "-n", namespace, "-o", "json").stdout)
    assert listed["kind"] == "List"
    assert [p["metadata"]["name"] for p in listed["items"]] == ["a", "b"]
    path = kflow("get", "pods", "-n", namespace, "-o", "jsonpath={.items[*].metadata.name}")
    assert path.stdout == "a b\n"


def test_wide_and_several_kinds(kflow: Any, api: Client, namespace: str) -> None:
    make_pod(api, "a")
    api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {}})
    wide = kflow("get", "pods", "-n", namespace, "-o", "wide").stdout.splitlines()[0].split()
    narrow = kflow("get", "pods", "-n", namespace).stdout.splitlines()[0].split()
    assert len(wide) >= len(narrow)
    both = kflow("get", "pods,configmaps", "-n", namespace)
    blocks = both.stdout.split("\n\n")
    assert blocks[0].splitlines()[1].startswith("pod/a ")
    assert blocks[1].splitlines()[1].startswith("configmap/cfg ")


def test_nothing_found_and_errors(kflow: Any, namespace: str) -> None:
    empty = kflow("get", "pods", "-n", namespace)
    assert (empty.exit_code, empty.stdout) == (0, "")
    assert empty.stderr == f"No resources found in {namespace} namespace.\n"
    no_names = kflow("get", "pods", "-n", namespace, "-o", "name")
    assert (no_names.stdout, no_names.stderr) == (
        "",
        f"No resources found in {namespace} namespace.\n",
    )
    missing = kflow("get", "pods", "ghost", "-n", namespace)
    assert missing.exit_code == 1
    assert missing.stderr == 'Error from server (NotFound): pods "ghost" not found\n'
    unknown = kflow("get", "gizmos")
    assert unknown.exit_code == 1
    assert (
        unknown.stderr
        == 'Error from server (NotFound): the server doesn\'t have a resource type "gizmos"\n'
    )
    bad_format = kflow("get", "pods", "-o", "xml")
    assert bad_format.exit_code == 1
    assert bad_format.stderr == (
        'error: unable to match a printer suitable for the output format "xml", '
        "allowed formats are: wide, yaml, json, name, jsonpath=TEMPLATE\n"
    )
    bad_selector = kflow("get", "pods", "-l", "a in b")
    assert bad_selector.exit_code == 1
    assert bad_selector.stderr.startswith("Error from server (BadRequest): ")


def test_unreachable_server(kflow: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KFLOW_URL", "http://127.0.0.1:9")
    result = kflow("get", "pods")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach the kflow server at http://127.0.0.1:9 (")
    assert result.stderr.endswith("): is it running? Start it with `kflow up`\n")
    monkeypatch.delenv("KFLOW_URL")
    nothing = kflow("get", "pods")
    assert nothing.exit_code == 1
    assert nothing.stderr.startswith(
        "error: no kflow server found: start one with `kflow up`, or set KFLOW_URL"
    )


def test_watch_prints_changes_as_they_happen(server: Server, api: Client, namespace: str) -> None:
    make_pod(api, "first")
    proc = spawn(server, "get", "pods", "-n", namespace, "-w")
    try:
        lines = OutputLines(proc)
        lines.wait_for(lambda line: line.startswith("NAME "))
        lines.wait_for(lambda line: line.startswith("first "))
        make_pod(api, "second")
        row = lines.wait_for(lambda line: line.startswith("second "))
        assert row.split()[1:3] == ["0/1", "Pending"]
        api.delete("pods", "second")
        lines.wait_for(lambda line: line.startswith("second "))
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_watch_names_only(server: Server, api: Client, namespace: str) -> None:
    proc = spawn(server, "get", "pods", "-n", namespace, "-w", "-o", "name")
    try:
        lines = OutputLines(proc)
        make_pod(api, "late")
        assert lines.wait_for(lambda line: bool(line)) == "pod/late"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
