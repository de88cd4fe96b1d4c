"""Authentication and authorization on every route type."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kflow.server.app import create_app
from kflow.server.identity import (
    AllowAll,
    Identity,
    LocalAuthenticator,
    MastersAuthorizer,
    TokenAuthenticator,
)
from kflow.store.memory import MemoryStore
from tests.support import FakeRuntime, create_namespace

pytestmark = pytest.mark.anyio

BOB = Identity("bob", ("team-a-viewers",))
ADMIN = Identity("root", ("system:masters",))


class Recorder:
    """Denies what is in `deny`; remembers every question."""

    def __init__(self, *deny: str) -> None:
        self.deny = set(deny)
        self.asked: list[tuple[str, str, str, str, str]] = []

    def authorize(
        self, identity: Identity, verb: str, resource: str, namespace: str, name: str
    ) -> bool:
        self.asked.append((identity.user, verb, resource, namespace, name))
        return verb not in self.deny and f"{verb} {resource}" not in self.deny


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kflow")  # type: ignore[arg-type]


def _client_as_bob(store: MemoryStore, authorizer: Recorder) -> httpx.AsyncClient:
    """A client of an app that takes every caller for BOB and asks `authorizer`."""
    app = create_app(
        store=store,
        runtime=FakeRuntime(),
        authenticator=LocalAuthenticator(BOB),
        authorizer=authorizer,
    )
    return _client(app)


@pytest.fixture
def team_store() -> MemoryStore:
    store = MemoryStore()
    for name in ("default", "team-a"):
        create_namespace(store, name)
    store.create(
        "pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": "team-a"},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]},
        },
    )
    return store


@pytest.fixture
async def tokens(team_store: MemoryStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        store=team_store,
        authenticator=TokenAuthenticator({"bob-token": BOB, "admin-token": ADMIN}),
    )
    async with _client(app) as c:
        yield c


async def test_missing_or_wrong_token_is_401_everywhere(tokens: httpx.AsyncClient) -> None:
    paths = [
        "/api",
        "/apis",
        "/api/v1",
        "/openapi/v3",
        "/api/v1/namespaces/team-a/pods",
        "/api/v1/namespaces/team-a/pods?watch=1",
        "/api/v1/namespaces/team-a/pods/web",
        "/api/v1/namespaces/team-a/pods/web/log",
    ]
    for path in paths:
        for headers in ({}, {"authorization": "Bearer nope"}, {"authorization": "Basic eDp5"}):
            response = await tokens.get(path, headers=headers)
            assert response.status_code == 401, (path, headers, response.text)
            assert response.json()["reason"] == "Unauthorized"


async def test_health_and_version_need_no_token(tokens: httpx.AsyncClient) -> None:
    assert (await tokens.get("/healthz")).status_code == 200
    assert (await tokens.get("/version")).status_code == 200


async def test_default_authorizer_allows_masters_only(tokens: httpx.AsyncClient) -> None:
    admin = {"authorization": "Bearer admin-token"}
    assert (await tokens.get("/api/v1/namespaces/team-a/pods", headers=admin)).status_code == 200
    bob = {"authorization": "Bearer bob-token"}
    response = await tokens.get("/api/v1/namespaces/team-a/pods", headers=bob)
    assert response.status_code == 403
    assert response.json()["message"] == (
        'pods is forbidden: User "bob" cannot list resource "pods" in API group "" '
        'in the namespace "team-a"'
    )
    # discovery only needs a valid identity
    assert (await tokens.get("/api/v1", headers=bob)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "verb", "message"),
    [
        (
            "GET",
            "/api/v1/namespaces/team-a/pods",
            "list",
            'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "team-a"',
        ),
        (
            "GET",
            "/api/v1/namespaces/team-a/pods?watch=true",
            "watch",
            'pods is forbidden: User "bob" cannot watch resource "pods" in API group "" in the namespace "team-a"',
        ),
        (
            "GET",
            "/api/v1/namespaces/team-a/pods/web",
            "get",
            'pods "web" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "team-a"',
        ),
        (
            "POST",
            "/api/v1/namespaces/team-a/pods",
            "create",
            'pods is forbidden: User "bob" cannot create resource "pods" in API group "" in the namespace "team-a"',
        ),
        (
            "GET",
            "/api/v1/namespaces/team-a/pods/web/log",
            "get pods/log",
            'pods "web" is forbidden: User "bob" cannot get resource "pods/log" in API group "" in the namespace "team-a"',
        ),
        (
            "PATCH",
            "/api/v1/namespaces/team-a/pods/web",
            "patch",
            'pods "web" is forbidden: User "bob" cannot patch resource "pods" in API group "" in the namespace "team-a"',
        ),
        (
            "DELETE",
            "/api/v1/namespaces/team-a/pods/web",
            "delete",
            'pods "web" is forbidden: User "bob" cannot delete resource "pods" in API group "" in the namespace "team-a"',
        ),
        (
            "GET",
            "/api/v1/pods",
            "list",
            'pods is forbidden: User "bob" cannot list resource "pods" in API group "" at the cluster scope',
        ),
        (
            "GET",
            "/api/v1/namespaces/team-a",
            "get",
            'namespaces "team-a" is forbidden: User "bob" cannot get resource "namespaces" in API group "" at the cluster scope',
        ),
    ],
)
async def test_custom_authorizer_denies_each_route_type(
    team_store: MemoryStore, method: str, path: str, verb: str, message: str
) -> None:
    authorizer = Recorder(verb)
    async with _client_as_bob(team_store, authorizer) as c:
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "new"}}
        response = await c.request(
            method,
            path,
            json=body if method == "POST" else None,
            headers={"content-type": "application/merge-patch+json"} if method == "PATCH" else {},
            content=b"{}" if method == "PATCH" else None,
        )
    assert response.status_code == 403, response.text
    status = response.json()
    assert status["reason"] == "Forbidden"
    assert status["message"] == message
    assert team_store.get("pods", "team-a", "web")  # nothing happened


async def test_authorizer_sees_the_request_attributes(team_store: MemoryStore) -> None:
    authorizer = Recorder()
    async with _client_as_bob(team_store, authorizer) as c:
        await c.get("/api/v1/namespaces/team-a/pods/web/status")
        await c.get("/api/v1/namespaces/team-a/pods?watch=1&timeoutSeconds=1")
        await c.delete("/api/v1/namespaces/team-a/configmaps")
    assert authorizer.asked == [
        ("bob", "get", "pods/status", "team-a", "web"),
        ("bob", "watch", "pods", "team-a", ""),
        ("bob", "deletecollection", "configmaps", "team-a", ""),
    ]


def test_allow_all_and_masters() -> None:
    assert AllowAll().authorize(BOB, "delete", "pods", "x", "y")
    assert not MastersAuthorizer().authorize(BOB, "get", "pods", "x", "y")
    assert MastersAuthorizer().authorize(ADMIN, "get", "pods", "x", "y")
