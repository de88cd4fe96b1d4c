"""Resource and suspend templates, claims from volumeClaimTemplates, WorkflowTemplate refs."""

from __future__ import annotations

from pathlib import Path

from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.argo.resume import resumed
from kflow.api.kinds import registry
from tests.conftest import async_wait_until
from tests.workflows.harness import WORKFLOWS, control_plane, runs_async, sh, show, workflow

MANIFEST = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: made-by-{{workflow.name}}
data:
  color: "{{inputs.parameters.color}}"
"""


@runs_async
async def test_a_resource_template_creates_an_object_and_reads_it_back(tmp_path: Path) -> None:
    create = {
        "name": "create",
        "inputs": {"parameters": [{"name": "color", "value": "blue"}]},
        "resource": {"action": "create", "manifest": MANIFEST, "setOwnerReference": True},
        "outputs": {"parameters": [{"name": "color", "valueFrom": {"jsonPath": "{.data.color}"}}]},
    }
    patch = {
        "name": "patch",
        "resource": {
            "action": "patch",
            "mergeStrategy": "merge",
            "manifest": "{apiVersion: v1, kind: ConfigMap, metadata: {name: made-by-res}, data: {size: big}}",
        },
    }
    main = {
        "name": "main",
        "steps": [
            [{"name": "create", "template": "create"}],
            [{"name": "patch", "template": "patch"}],
        ],
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("res", [main, create, patch]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        assert plane.nodes("res")["create"]["outputs"]["parameters"][0]["value"] == "blue"
        made = plane.store.get("configmaps", "default", "made-by-res")
        assert made["data"] == {"color": "blue", "size": "big"}
        assert m.meta(made)["ownerReferences"][0]["uid"] == m.meta(wf)["uid"]


@runs_async
async def test_a_resource_template_waits_for_its_success_condition(tmp_path: Path) -> None:
    wait = {
        "name": "wait",
        "resource": {
            "action": "get",
            "manifest": "{apiVersion: v1, kind: ConfigMap, metadata: {name: flag}}",
            "successCondition": "data.ready == yes",
            "failureCondition": "data.ready == never",
        },
    }
    async with control_plane(tmp_path) as plane:
        plane.store.create(
            "configmaps",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "flag", "namespace": "default"},
                "data": {"ready": "no"},
            },
        )
        plane.submit(workflow("waiter", [wait]))
        await async_wait_until(
            lambda: (
                (plane.nodes("waiter").get("waiter") or {}).get("message")
                == "waiting for data.ready == yes"
            )
        )
        flag = plane.store.get("configmaps", "default", "flag")
        flag["data"]["ready"] = "yes"
        plane.store.update("configmaps", flag)
        await async_wait_until(lambda: plane.phase("waiter") == "Succeeded", timeout=20)


@runs_async
async def test_suspend_waits_for_its_duration_or_a_resume(tmp_path: Path) -> None:
    main = {
        "name": "main",
        "steps": [
            [{"name": "pause", "template": "pause"}, {"name": "approve", "template": "approve"}],
            [
                {
                    "name": "after",
                    "template": "after",
                    "arguments": {
                        "parameters": [
                            {
                                "name": "answer",
                                "value": "{{steps.approve.outputs.parameters.answer}}",
                            }
                        ]
                    },
                }
            ],
        ],
    }
    pause = {"name": "pause", "suspend": {"duration": "1s"}}
    approve = {
        "name": "approve",
        "suspend": {},
        "outputs": {
            "parameters": [{"name": "answer", "valueFrom": {"supplied": {}, "default": "yes"}}]
        },
    }
    after = sh(
        "after", "echo {{inputs.parameters.answer}}", inputs={"parameters": [{"name": "answer"}]}
    )
    async with control_plane(tmp_path) as plane:
        plane.submit(workflow("pausing", [main, pause, approve, after]))
        await async_wait_until(
            lambda: plane.nodes("pausing").get("pause", {}).get("phase") == "Succeeded", timeout=20
        )
        assert plane.nodes("pausing")["approve"]["phase"] == "Running"
        assert plane.phase("pausing") == "Running"
        body, names = resumed(plane.get("pausing"), m.now())
        assert names == ["pausing[0].approve"]
        plane.store.update_status(WORKFLOWS, body)
        await async_wait_until(lambda: plane.phase("pausing") == "Succeeded", timeout=20)
        assert plane.nodes("pausing")["after"]["outputs"]["result"] == "yes"


@runs_async
async def test_volume_claim_templates_are_shared_by_steps(tmp_path: Path) -> None:
    claim = {
        "metadata": {"name": "work"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}}},
    }
    mount = [{"name": "work", "mountPath": "/mnt/work"}]
    write = {
        "name": "write",
        "container": {
            "image": "alpine",
            "command": ["sh", "-c", "echo shared > /mnt/work/f"],
            "volumeMounts": mount,
        },
    }
    read = {
        "name": "read",
        "container": {"image": "alpine", "command": ["cat", "/mnt/work/f"], "volumeMounts": mount},
    }
    main = {
        "name": "main",
        "steps": [[{"name": "write", "template": "write"}], [{"name": "read", "template": "read"}]],
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("claims", [main, write, read], volumeClaimTemplates=[claim]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        assert plane.nodes("claims")["read"]["outputs"]["result"] == "shared"
        # Argo's default volumeClaimGC: deleted once the workflow succeeded
        assert not plane.store.list("persistentvolumeclaims", "default").items


@runs_async
async def test_workflow_template_ref_and_template_ref(tmp_path: Path) -> None:
    library = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "library", "namespace": "default"},
        "spec": {
            "entrypoint": "hello",
            "arguments": {"parameters": [{"name": "who", "value": "world"}]},
            "templates": [
                {"name": "hello", "steps": [[{"name": "say", "template": "say"}]]},
                sh("say", "echo hello {{workflow.parameters.who}}"),
            ],
        },
    }
    info = registry.by_resource("workflowtemplates.argoproj.io")
    by_ref = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "by-ref", "namespace": "default"},
        "spec": {
            "workflowTemplateRef": {"name": "library"},
            "arguments": {"parameters": [{"name": "who", "value": "kflow"}]},
        },
    }
    uses = {
        "name": "main",
        "steps": [[{"name": "call", "templateRef": {"name": "library", "template": "hello"}}]],
    }
    async with control_plane(tmp_path) as plane:
        plane.store.create(
            info.resource, admit(info, library, None, operation="CREATE", version="v1alpha1")
        )
        wf = await plane.run(by_ref)
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        assert plane.nodes("by-ref")["say"]["outputs"]["result"] == "hello kflow"
        assert wf["status"]["storedWorkflowTemplateSpec"]["entrypoint"] == "hello"
        wf = await plane.run(
            workflow(
                "lib-user", [uses], arguments={"parameters": [{"name": "who", "value": "ref"}]}
            )
        )
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        assert plane.nodes("lib-user")["say"]["outputs"]["result"] == "hello ref"
        assert "namespaced/library/hello" in wf["status"]["storedTemplates"]
