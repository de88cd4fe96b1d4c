"""Owner references: background, foreground and orphan deletion, and namespace teardown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from kflow.api import meta as m
from kflow.api.errors import NotFound
from kflow.api.kinds import KindInfo, Registry
from kflow.controllers.garbage_collector import GarbageCollector
from kflow.controllers.manager import Manager
from kflow.controllers.namespaces import NamespaceController
from kflow.store.interface import DeletePropagation, Store
from kflow.store.memory import MemoryStore
from tests.conftest import async_wait_until


def kinds() -> Registry:
    reg = Registry()
    reg.register(KindInfo("", "v1", "Namespace", "namespaces", namespaced=False))
    reg.register(KindInfo("", "v1", "ConfigMap", "configmaps", has_status=False))
    reg.register(KindInfo("example.org", "v1", "Widget", "widgets"))
    return reg


def exists(store: Store, resource: str, name: str, ns: str = "default") -> bool:
    try:
        store.get(resource, ns, name)
    except NotFound:
        return False
    return True


def run_with_controllers(body: Callable[[Store], Awaitable[None]]) -> None:
    async def main() -> None:
        store = MemoryStore()
        store.create(
            "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
        )
        reg = kinds()
        manager = Manager(store)
        manager.add(GarbageCollector(store, reg))
        manager.add(NamespaceController(store, reg))
        await manager.start()
        try:
            await body(store)
        finally:
            await manager.stop()

    asyncio.run(main())


def create_configmap(
    store: Store, name: str, *owners: dict[str, object], namespace: str = "default"
) -> None:
    """A ConfigMap, a dependent of `owners` (owner references) if any are given."""
    metadata: dict[str, object] = {"name": name, "namespace": namespace}
    if owners:
        metadata["ownerReferences"] = list(owners)
    store.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata})


def make_owner_with_children(store: Store, children: int = 2) -> dict[str, object]:
    owner = store.create(
        "widgets.example.org",
        {
            "apiVersion": "example.org/v1",
            "kind": "Widget",
            "metadata": {"name": "w", "namespace": "default"},
        },
    )
    for i in range(children):
        create_configmap(store, f"child-{i}", m.owner_reference(owner))
    return owner


def test_background_deletion_removes_dependents() -> None:
    async def body(store: Store) -> None:
        make_owner_with_children(store)
        store.delete("widgets.example.org", "default", "w")
        await async_wait_until(lambda: not store.list("configmaps", "default").items)

    run_with_controllers(body)


def test_foreground_deletion_waits_for_dependents_then_releases_the_owner() -> None:
    async def body(store: Store) -> None:
        make_owner_with_children(store)
        marked = store.delete(
            "widgets.example.org", "default", "w", propagation=DeletePropagation.FOREGROUND
        )
        assert "foregroundDeletion" in m.meta(marked)["finalizers"]
        await async_wait_until(lambda: not exists(store, "widgets.example.org", "w"))
        assert not store.list("configmaps", "default").items

    run_with_controllers(body)


def test_orphan_deletion_keeps_dependents_without_the_reference() -> None:
    async def body(store: Store) -> None:
        make_owner_with_children(store)
        store.delete("widgets.example.org", "default", "w", propagation=DeletePropagation.ORPHAN)
        await async_wait_until(lambda: not exists(store, "widgets.example.org", "w"))
        children = store.list("configmaps", "default").items
        assert len(children) == 2
        await async_wait_until(
            lambda: all(
                not m.meta(store.get("configmaps", "default", m.name_of(c))).get("ownerReferences")
                for c in children
            )
        )

    run_with_controllers(body)


def test_dependent_created_after_its_owner_is_gone_is_collected() -> None:
    async def body(store: Store) -> None:
        ghost = {
            "apiVersion": "example.org/v1",
            "kind": "Widget",
            "name": "ghost",
            "uid": "no-such-uid",
        }
        create_configmap(store, "stray", ghost)
        await async_wait_until(lambda: not exists(store, "configmaps", "stray"))

    run_with_controllers(body)


def test_owner_of_unknown_kind_is_never_judged() -> None:
    async def body(store: Store) -> None:
        unknown = {"apiVersion": "other.io/v1", "kind": "Thing", "name": "x", "uid": "u"}
        create_configmap(store, "kept", unknown)
        make_owner_with_children(store, 1)
        store.delete("widgets.example.org", "default", "w")
        await async_wait_until(lambda: not exists(store, "configmaps", "child-0"))
        assert exists(store, "configmaps", "kept")

    run_with_controllers(body)


def test_deleting_a_namespace_deletes_its_contents_then_itself() -> None:
    async def body(store: Store) -> None:
        store.create(
            "namespaces",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "team"},
                "spec": {"finalizers": ["kubernetes"]},
            },
        )
        for i in range(3):
            create_configmap(store, f"c{i}", namespace="team")
        marked = store.delete("namespaces", "", "team")
        assert m.meta(marked).get("deletionTimestamp")
        await async_wait_until(lambda: not exists(store, "namespaces", "team", ""))
        assert not store.list("configmaps", "team").items

    run_with_controllers(body)


@pytest.mark.parametrize("propagation", list(DeletePropagation))
def test_every_propagation_policy_finishes_the_owner(propagation: DeletePropagation) -> None:
    async def body(store: Store) -> None:
        make_owner_with_children(store, 3)
        store.delete("widgets.example.org", "default", "w", propagation=propagation)
        await async_wait_until(lambda: not exists(store, "widgets.example.org", "w"))

    run_with_controllers(body)
