"""`/openapi/v2` as gnostic's protobuf `Document`, read back by a tiny decoder and by kubectl."""

from __future__ import annotations

import os
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import yaml
from starlette.requests import Request

import kflow.api.core  # noqa: F401  (registers the core kinds)
from kflow.api import openapi
from kflow.api.kinds import Registry, registry
from kflow.controlplane import bootstrap, ensure_namespace
from kflow.server.app import create_app
from kflow.server.openapi_protobuf import MEDIA_TYPE, encode_document
from kflow.server.openapi_routes import OpenAPIDocuments, serve_v2_legacy
from kflow.store.memory import MemoryStore
from tests.server.support import write_kubeconfig
from tests.support import FakeRuntime, LiveServer

ASKED_BY_KUBECTL = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

# --- a decoder just big enough to read the message back --------------------------------

Value = int | bytes


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def fields(data: bytes) -> list[tuple[int, Value]]:
    """(field number, varint | 8 fixed bytes | length-delimited bytes), in wire order."""
    out: list[tuple[int, Value]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: Value
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        else:
            raise AssertionError(f"unexpected wire type {wire} for field {number}")
        out.append((number, value))
    assert pos == len(data), "a field ran past the end of its message"
    return out


def many(data: bytes, number: int) -> list[Value]:
    return [value for n, value in fields(data) if n == number]


def one(data: bytes, number: int) -> bytes:
    values = many(data, number)
    assert len(values) == 1, f"field {number}: {values!r}"
    assert isinstance(values[0], bytes)
    return values[0]


def text(data: bytes, number: int) -> str:
    return one(data, number).decode()


def texts(data: bytes, number: int) -> list[str]:
    return [bytes(v).decode() for v in many(data, number) if isinstance(v, bytes)]


def named(data: bytes, number: int = 1) -> dict[str, bytes]:
    """Repeated `Named*` entries (name = 1, value = 2) as a dict, in order."""
    return {text(bytes(entry), 1): one(bytes(entry), 2) for entry in many(data, number)}


def any_value(data: bytes) -> object:
    """An `Any`: its YAML text (field 2), parsed."""
    return yaml.safe_load(text(data, 2))


def extensions(data: bytes, number: int) -> dict[str, object]:
    return {name: any_value(value) for name, value in named(data, number).items()}


# --- the encoding ----------------------------------------------------------------------


def test_scalars_oneofs_and_vendor_extensions() -> None:
    schema = {
        "type": "object",
        "maxLength": 300,
        "minLength": -1,
        "minimum": -1.5,
        "uniqueItems": False,
        "additionalProperties": False,
        "enum": ["a", 1],
        "x-kubernetes-list-type": "map",
        "x-unknown-elsewhere": {"nested": [True]},
        "notInTheProto": "dropped",
    }
    doc = encode_document({"swagger": "2.0", "definitions": {"X": schema}})
    assert [n for n, _ in fields(doc)] == [1, 9]
    encoded = named(one(doc, 9))["X"]
    assert [n for n, _ in fields(encoded)] == [22, 11, 12, 9, 21, 20, 20, 31, 31]
    assert texts(one(encoded, 22), 1) == ["object"]
    assert many(encoded, 11) == [300]
    assert many(encoded, 12) == [(1 << 64) - 1]  # int64 -1: ten bytes of two's complement
    assert struct.unpack("<d", one(encoded, 9)) == (-1.5,)
    # `false` in a oneof is still sent: its presence says "no additional properties"
    assert fields(one(encoded, 21)) == [(2, 0)]
    assert [any_value(bytes(v)) for v in many(encoded, 20)] == ["a", 1]
    assert extensions(encoded, 31) == {
        "x-kubernetes-list-type": "map",
        "x-unknown-elsewhere": {"nested": [True]},
    }


def test_document_mirrors_the_json_document() -> None:
    document = openapi.openapi_v2(registry)
    doc = encode_document(document)
    assert text(doc, 1) == "2.0"
    assert text(one(doc, 2), 1) == "kflow"

    paths = one(doc, 8)
    path_items = named(paths, 2)
    assert list(path_items) == list(document["paths"])
    pods = path_items["/api/v1/namespaces/{namespace}/pods"]
    namespace = one(one(one(bytes(many(pods, 9)[0]), 1), 2), 4)  # a path parameter
    assert text(namespace, 4) == "namespace" and many(namespace, 1) == [1]
    create = one(pods, 4)
    assert text(create, 5) == "createCoreV1NamespacedPod"
    queries = {}
    for item in many(create, 8):
        parameter = one(bytes(item), 1)
        if many(parameter, 2):
            query = one(one(parameter, 2), 3)
            queries[text(query, 4)] = query
        else:
            body = one(parameter, 1)
            assert text(body, 3) == "body" and many(body, 4) == [1]
            assert text(one(body, 5), 1) == "#/definitions/io.k8s.api.core.v1.Pod"
    assert {"dryRun", "fieldManager", "fieldValidation"} <= set(queries)
    assert text(queries["fieldValidation"], 2) == "query"
    assert text(queries["fieldValidation"], 6) == "string"
    assert extensions(create, 13)["x-kubernetes-group-version-kind"] == {
        "group": "",
        "version": "v1",
        "kind": "Pod",
    }
    created = one(named(one(create, 9))["201"], 1)
    assert text(created, 1) == "Created"
    assert text(one(one(created, 2), 1), 1) == "#/definitions/io.k8s.api.core.v1.Pod"

    definitions = named(one(doc, 9))
    assert list(definitions) == list(document["definitions"])
    pod = definitions["io.k8s.api.core.v1.Pod"]
    assert extensions(pod, 31)["x-kubernetes-group-version-kind"] == [
        {"group": "", "version": "v1", "kind": "Pod"}
    ]
    spec = named(one(pod, 25))["spec"]
    assert text(spec, 1) == "#/definitions/io.k8s.api.core.v1.PodSpec"
    containers = named(one(definitions["io.k8s.api.core.v1.PodSpec"], 25))["containers"]
    assert texts(one(containers, 22), 1) == ["array"]
    assert text(one(one(containers, 23), 1), 1) == "#/definitions/io.k8s.api.core.v1.Container"
    assert extensions(containers, 31)["x-kubernetes-patch-merge-key"] == "name"
    assert "name" in texts(definitions["io.k8s.api.core.v1.Container"], 19)


# --- the route -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_protobuf_when_asked_for(client: httpx.AsyncClient) -> None:
    as_json = await client.get("/openapi/v2")
    assert as_json.headers["content-type"] == "application/json"
    response = await client.get("/openapi/v2", headers={"accept": ASKED_BY_KUBECTL})
    assert response.status_code == 200
    # the `@` spelling is what kubectl asks for, but Go's mime parser rejects it as an answer
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.content == encode_document(orjson.loads(as_json.content))
    preferred = await client.get(
        "/openapi/v2", headers={"accept": f"application/json;q=0.5, {MEDIA_TYPE};q=0.9"}
    )
    assert preferred.headers["content-type"] == MEDIA_TYPE
    wildcard = await client.get("/openapi/v2", headers={"accept": "*/*"})
    assert wildcard.headers["content-type"] == "application/json"
    refused = await client.get("/openapi/v2", headers={"accept": "text/html"})
    assert refused.status_code == 406
    assert refused.json()["reason"] == "NotAcceptable"


def test_encoded_once_per_registry_state() -> None:
    kinds = Registry()
    kinds.register(registry.by_resource("pods"))
    documents = OpenAPIDocuments(kinds)
    first = documents.v2_protobuf()
    assert documents.v2_protobuf() is first
    kinds.register(registry.by_resource("configmaps"))
    second = documents.v2_protobuf()
    assert second != first
    assert "io.k8s.api.core.v1.ConfigMap" in named(one(second, 9))


def test_legacy_path_is_always_protobuf() -> None:
    documents = OpenAPIDocuments(registry)
    request = Request({"type": "http", "method": "GET", "headers": [], "query_string": b""})
    response = serve_v2_legacy(documents, request)
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.body == documents.v2_protobuf()


# --- kubectl 1.27 and 1.28, which read /openapi/v2 only as protobuf --------------------

KUBECTLS = {
    version: f"/usr/lib/google-cloud-sdk/bin/kubectl.{version}" for version in ("1.27", "1.28")
}
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: main
    image: busybox
"""


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[LiveServer, MemoryStore]]:
    store = MemoryStore()
    bootstrap(store)
    try:
        with LiveServer(create_app(store=store, runtime=FakeRuntime())) as server:
            yield server, store
    finally:
        store.close()


@pytest.mark.kubectl
@pytest.mark.parametrize("version", sorted(KUBECTLS))
def test_old_kubectl_applies_explains_and_deletes(
    version: str, served: tuple[LiveServer, MemoryStore], tmp_path: Path
) -> None:
    binary = KUBECTLS[version]
    if not os.path.exists(binary):
        pytest.skip(f"kubectl {version} is not installed at {binary}")
    server, store = served
    namespace = f"kubectl-{version.replace('.', '-')}"
    ensure_namespace(store, namespace)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url, None, namespace)
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD)
    # a private HOME: each version keeps its own discovery cache
    env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig)}

    def kubectl(*args: str) -> str:
        result = subprocess.run(
            [binary, *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert result.returncode == 0, f"kubectl {version} {' '.join(args)}:\n{result.stderr}"
        return result.stdout

    assert kubectl("apply", "-f", str(manifest)).strip() == "pod/web created"
    assert kubectl("apply", "-f", str(manifest)).strip() == "pod/web unchanged"
    assert kubectl("get", "pods", "-o", "name").split() == ["pod/web"]
    explained = kubectl("explain", "pods.spec.containers")
    assert "KIND:" in explained and "image" in explained
    from_v2 = kubectl("explain", "pods.spec.containers", "--output=plaintext-openapiv2")
    assert "RESOURCE: containers <[]Object>" in from_v2 and "image" in from_v2
    assert kubectl("delete", "-f", str(manifest)).strip() == 'pod "web" deleted'
    assert store.list("pods", namespace).items == []
