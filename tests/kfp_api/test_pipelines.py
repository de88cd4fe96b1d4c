"""Pipelines and versions through the real `kfp.Client`: uploads of Argo YAML and of
KFP v2 IR compiled by kfp's own compiler, versions, lists with filters and page
tokens, deletes (with KFP's cascade rule) and KFP's error bodies."""

# no `from __future__ import annotations`: kfp reads the components' annotations as types

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kfp_server_api
import pytest
from kfp import compiler, dsl

from tests.kfp_api.conftest import argo_workflow, python_step, unique

pytestmark = pytest.mark.slow


def hello(name: str) -> dict[str, Any]:
    return argo_workflow(
        name,
        [
            {
                "name": "main",
                "inputs": {"parameters": [{"name": "message"}]},
                "container": python_step("print('{{inputs.parameters.message}}')"),
            }
        ],
        arguments={"parameters": [{"name": "message", "value": "hi"}]},
    )


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline(name="adder")
def adder(x: int = 1) -> None:
    add(a=x, b=2)


def by_name(name: str) -> str:
    return json.dumps(
        {"predicates": [{"operation": "EQUALS", "key": "name", "string_value": name}]}
    )


def test_upload_argo_and_ir_pipelines_and_their_versions(
    kfp: Any, package: Callable[..., str], tmp_path: Path
) -> None:
    name = unique("hello")
    argo = kfp.upload_pipeline(package(hello(name)), pipeline_name=name, description="v1 YAML")
    assert (argo.name, argo.display_name, argo.description) == (name, name, "v1 YAML")
    assert kfp.get_pipeline(argo.pipeline_id).name == name
    assert kfp.get_pipeline_id(name) == argo.pipeline_id  # a filter with operation 1

    ir_path = str(tmp_path / "adder.yaml")
    compiler.Compiler().compile(adder, ir_path)
    ir = kfp.upload_pipeline(ir_path)  # the name comes from the pipeline spec
    assert ir.display_name == "adder"
    [version] = kfp.list_pipeline_versions(ir.pipeline_id).pipeline_versions
    assert version.pipeline_spec["pipelineInfo"]["name"] == "adder"
    assert "comp-add" in version.pipeline_spec["components"]

    v2 = kfp.upload_pipeline_version(package(hello(name)), "v2", pipeline_id=argo.pipeline_id)
    v3 = kfp.upload_pipeline_version(
        package(hello(name)), "v3", pipeline_name=name, description="third"
    )
    assert (v3.pipeline_id, v3.description) == (argo.pipeline_id, "third")
    versions = kfp.list_pipeline_versions(argo.pipeline_id, sort_by="name desc")
    assert [v.name for v in versions.pipeline_versions] == ["v3", "v2", name]
    assert versions.total_size == 3
    got = kfp.get_pipeline_version(argo.pipeline_id, v2.pipeline_version_id)
    assert got.pipeline_spec["kind"] == "Workflow" and got.display_name == "v2"

    with pytest.raises(kfp_server_api.ApiException) as conflict:
        kfp.upload_pipeline_version(package(hello(name)), "v2", pipeline_id=argo.pipeline_id)
    assert conflict.value.status == 409
    assert "already has a version named 'v2'" in json.loads(conflict.value.body)["error_message"]

    kfp.delete_pipeline_version(argo.pipeline_id, v2.pipeline_version_id)
    with pytest.raises(kfp_server_api.ApiException) as gone:
        kfp.get_pipeline_version(argo.pipeline_id, v2.pipeline_version_id)
    assert gone.value.status == 404 and json.loads(gone.value.body)["code"] == 5

    with pytest.raises(kfp_server_api.ApiException) as refused:
        kfp.delete_pipeline(argo.pipeline_id)
    assert refused.value.status == 400
    assert "Set cascade=true" in json.loads(refused.value.body)["message"]
    kfp.pipelines.pipeline_service_delete_pipeline(argo.pipeline_id, cascade=True)
    assert kfp.get_pipeline_id(name) is None


def test_list_pipelines_pages_sorts_and_filters(kfp: Any, package: Callable[..., str]) -> None:
    prefix = unique("page")
    ids = [
        kfp.upload_pipeline(package(hello(prefix)), pipeline_name=f"{prefix}-{i}").pipeline_id
        for i in range(5)
    ]
    substring = json.dumps(
        {"predicates": [{"operation": "IS_SUBSTRING", "key": "name", "string_value": prefix}]}
    )
    seen: list[str] = []
    page = kfp.list_pipelines(page_size=2, sort_by="created_at desc", filter=substring)
    while True:
        assert page.total_size == 5
        seen += [p.pipeline_id for p in page.pipelines]
        if not page.next_page_token:
            break
        page = kfp.list_pipelines(page_token=page.next_page_token, page_size=2)
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    one = kfp.list_pipelines(filter=by_name(f"{prefix}-3"))
    assert [p.pipeline_id for p in one.pipelines] == [ids[3]]
    with pytest.raises(kfp_server_api.ApiException) as bad:
        kfp.list_pipelines(sort_by="colour")
    assert bad.value.status == 400 and json.loads(bad.value.body)["code"] == 3


def test_bad_uploads_are_refused_with_kfps_upload_error_body(
    kfp: Any, package: Callable[..., str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Pod\nmetadata: {name: x}\n")
    with pytest.raises(kfp_server_api.ApiException) as refused:
        kfp.upload_pipeline(str(bad), pipeline_name=unique("bad"))
    body = json.loads(refused.value.body)
    assert refused.value.status == 400
    assert "neither a KFP pipeline spec" in body["error_message"] and "error_details" in body
