"""The real kubectl against a live kflow server on loopback."""

from __future__ import annotations

import glob
import os
import subprocess
from pathlib import Path

import orjson
import pytest
import yaml

from tests.server.conftest import KUBECTL, Live
from tests.support import OutputLines

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(not os.path.exists(KUBECTL), reason="kubectl is not installed"),
]

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels:
    app: {app}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo hello"]
"""


def manifest(tmp_path: Path, name: str = "web", app: str = "web", text: str = POD) -> str:
    path = tmp_path / f"{name}-{app}.yaml"
    path.write_text(text.format(name=name, app=app))
    return str(path)


class Lines(OutputLines):
    """A running kubectl whose output lines are read with a deadline."""

    timeout = 20.0

    def __init__(self, live: Live, *args: str) -> None:
        super().__init__(
            subprocess.Popen(
                [KUBECTL, *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=live.env(),
            )
        )

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def test_apply_is_created_then_unchanged_then_configured(live: Live, tmp_path: Path) -> None:
    ns = live.namespace()
    path = manifest(tmp_path)
    assert live.ok("apply", "-n", ns, "-f", path).strip() == "pod/web created"
    assert live.ok("apply", "-n", ns, "-f", path).strip() == "pod/web unchanged"
    edited = manifest(tmp_path, app="web-v2")
    assert live.ok("apply", "-n", ns, "-f", edited).strip() == "pod/web configured"
    assert live.store.get("pods", ns, "web")["metadata"]["labels"] == {"app": "web-v2"}


def test_get_table_yaml_json_and_label_selector(live: Live, tmp_path: Path) -> None:
    ns = live.namespace()
    live.ok("apply", "-n", ns, "-f", manifest(tmp_path, "a", "one"))
    live.ok("apply", "-n", ns, "-f", manifest(tmp_path, "b", "two"))
    table = live.ok("get", "pods", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [line.split()[0] for line in table[1:]] == ["a", "b"]
    assert table[1].split()[1:3] == ["0/1", "Pending"]
    wide = live.ok("get", "pods", "-n", ns, "-o", "wide", "--show-labels").splitlines()
    assert "NODE" in wide[0] and "LABELS" in wide[0]
    assert "app=one" in wide[1]
    as_yaml = yaml.safe_load(live.ok("get", "pod", "a", "-n", ns, "-o", "yaml"))
    assert as_yaml["metadata"]["name"] == "a"
    assert as_yaml["spec"]["containers"][0]["image"] == "busybox"
    as_json = orjson.loads(live.ok("get", "pods", "-n", ns, "-o", "json"))
    assert as_json["kind"] == "List"
    assert len(as_json["items"]) == 2
    selected = live.ok("get", "pods", "-n", ns, "-l", "app=two", "-o", "name")
    assert selected.split() == ["pod/b"]
    names = live.ok("get", "po", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}")
    assert names.split() == ["a", "b"]


def test_get_watch_streams_changes(live: Live, tmp_path: Path) -> None:
    ns = live.namespace()
    live.ok("apply", "-n", ns, "-f", manifest(tmp_path, "first"))
    watch = Lines(live, "get", "pods", "-n", ns, "-w")
    try:
        watch.wait_for("first")
        live.ok("apply", "-n", ns, "-f", manifest(tmp_path, "second"))
        line = watch.wait_for("second")
        assert "Pending" in line
    finally:
        watch.stop()


def test_describe(live: Live, tmp_path: Path) -> None:
    ns = live.namespace()
    live.ok("apply", "-n", ns, "-f", manifest(tmp_path, "d"))
    text = live.ok("describe", "pod", "d", "-n", ns)
    assert "Name:" in text and "d" in text
    assert f"Namespace:    {ns}" in text
    assert "Image:" in text and "busybox" in text


def test_delete(live: Live, tmp_path: Path) -> None:
    ns = live.namespace()
    live.ok("apply", "-n", ns, "-f", manifest(tmp_path, "gone"))
    assert live.ok("delete", "pod", "gone", "-n", ns).strip() == 'pod "gone" deleted'
    result = live.kubectl("get", "pod", "gone", "-n", ns)
    assert result.returncode == 1
    assert 'pods "gone" not found' in result.stderr


def test_get_several_kinds(live: Live) -> None:
    ns = live.namespace()
    live.ok("create", "configmap", "cfg", "-n", ns, "--from-literal=a=b")
    live.ok("create", "secret", "generic", "sec", "-n", ns, "--from-literal=k=v")
    live.ok("create", "service", "clusterip", "svc", "-n", ns, "--tcp=80:8080")
    out = live.ok("get", "cm,secret,svc,ns", "-n", ns)
    for expected in ("configmap/cfg", "secret/sec", "service/svc", f"namespace/{ns}"):
        assert expected in out
    assert live.store.get("configmaps", ns, "cfg")["data"] == {"a": "b"}
    assert live.store.get("secrets", ns, "sec")["data"] == {"k": "dg=="}
    ports = live.store.get("services", ns, "svc")["spec"]["ports"]
    assert ports[0]["port"] == 80 and ports[0]["targetPort"] == 8080


def test_create_namespace(live: Live) -> None:
    assert live.ok("create", "namespace", "made-by-kubectl").strip() == (
        "namespace/made-by-kubectl created"
    )
    assert "made-by-kubectl" in live.ok("get", "ns")


def test_explain(live: Live) -> None:
    text = live.ok("explain", "pods.spec.containers")
    assert "KIND:" in text and "Pod" in text
    assert "FIELD: containers" in text


def test_label_and_patch(live: Live, tmp_path: Path) -> None:
    ns = live.namespace()
    live.ok("apply", "-n", ns, "-f", manifest(tmp_path, "p"))
    assert live.ok("label", "pod", "p", "-n", ns, "tier=db").strip() == "pod/p labeled"
    live.ok(
        "patch", "pod", "p", "-n", ns, "--type", "merge", "-p", '{"metadata":{"labels":{"m":"1"}}}'
    )
    live.ok(
        "patch",
        "pod",
        "p",
        "-n",
        ns,
        "--type",
        "json",
        "-p",
        '[{"op":"add","path":"/metadata/labels/j","value":"2"}]',
    )
    live.ok(
        "patch",
        "pod",
        "p",
        "-n",
        ns,
        "--type",
        "strategic",
        "-p",
        '{"spec":{"containers":[{"name":"main","image":"nginx"}]}}',
    )
    pod = live.store.get("pods", ns, "p")
    assert pod["metadata"]["labels"] == {"app": "web", "tier": "db", "m": "1", "j": "2"}
    assert [(c["name"], c["image"]) for c in pod["spec"]["containers"]] == [("main", "nginx")]


def test_invalid_manifest(live: Live, tmp_path: Path) -> None:
    ns = live.namespace()
    text = POD.replace("spec:\n", "spec:\n  restartPolicy: Sometimes\n")
    result = live.kubectl("apply", "-n", ns, "-f", manifest(tmp_path, "bad", text=text))
    assert result.returncode == 1
    assert 'The Pod "bad" is invalid: spec.restartPolicy: Unsupported value: "Sometimes"' in (
        result.stderr
    )


def test_logs(live: Live, tmp_path: Path) -> None:
    ns = live.namespace()
    live.ok("apply", "-n", ns, "-f", manifest(tmp_path, "talker"))
    uid = live.store.get("pods", ns, "talker")["metadata"]["uid"]
    live.runtime.write(uid, "main", "hello")
    live.runtime.write(uid, "main", "world")
    assert live.ok("logs", "talker", "-n", ns) == "hello\nworld\n"
    assert live.ok("logs", "talker", "-n", ns, "--tail", "1") == "world\n"
    follow = Lines(live, "logs", "-f", "talker", "-n", ns)
    try:
        follow.wait_for("world")
        live.runtime.write(uid, "main", "more")
        follow.wait_for("more")
        live.runtime.finish(uid, "main")
        assert follow.proc.wait(timeout=20) == 0
    finally:
        follow.stop()


def test_logs_of_a_multi_container_pod_needs_a_name(live: Live) -> None:
    ns = live.namespace()
    live.store.create(
        "pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "duo", "namespace": ns},
            "spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "x"}]},
        },
    )
    result = live.kubectl("logs", "duo", "-n", ns, "--all-containers=false", "-c", "")
    # kubectl itself picks the first container when none is named (with a notice);
    # asking the server directly shows the Kubernetes error
    raw = live.kubectl("get", "--raw", f"/api/v1/namespaces/{ns}/pods/duo/log")
    assert raw.returncode == 1
    assert "a container name must be specified for pod duo, choose one of: [a b]" in raw.stderr
    assert result.returncode in (0, 1)


def _kubectl_versions() -> list[str]:
    if not os.path.exists(KUBECTL):
        return []
    found: set[str] = set()
    for folder in {os.path.dirname(KUBECTL), os.path.dirname(os.path.realpath(KUBECTL))}:
        found.update(glob.glob(os.path.join(folder, "kubectl.1.*")))
    by_name = {os.path.basename(p): p for p in sorted(found)}
    wanted = ("kubectl.1.27", "kubectl.1.29", "kubectl.1.31", "kubectl.1.33")
    return [by_name[n] for n in wanted if n in by_name]


@pytest.mark.parametrize("binary", _kubectl_versions(), ids=os.path.basename)
def test_other_kubectl_versions(live: Live, tmp_path: Path, binary: str) -> None:
    ns = live.namespace()
    path = manifest(tmp_path, "v")
    # kubectl before 1.29 learns that the server validates fields only from the
    # protobuf OpenAPI v2 document, which kflow does not serve
    old = binary.endswith(("1.27", "1.28"))
    flags = ("--validate=false",) if old else ()
    applied = live.ok("apply", "-n", ns, "-f", path, *flags, binary=binary)
    assert applied.strip() == "pod/v created"
    again = live.ok("apply", "-n", ns, "-f", path, *flags, binary=binary)
    assert again.strip() == "pod/v unchanged"
    table = live.ok("get", "pods", "-n", ns, binary=binary).splitlines()
    assert table[0].split()[:3] == ["NAME", "READY", "STATUS"]
    assert live.ok("delete", "pod", "v", "-n", ns, binary=binary).strip() == 'pod "v" deleted'
