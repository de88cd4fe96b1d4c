"""The one suite every store adapter passes: Kubernetes' object contract.

An adapter's test module subclasses `StoreConformance` and implements `make_store`;
the `store` fixture calls it and closes the store afterwards. Watch tests drive the
async API inside `asyncio.run` and wait with deadlines, never with sleeps.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from kflow.api.errors import AlreadyExists, BadRequest, Conflict, Forbidden, Gone, NotFound
from kflow.api.selectors import parse_field_selector, parse_label_selector
from kflow.store.interface import (
    FOREGROUND_FINALIZER,
    ORPHAN_FINALIZER,
    DeletePropagation,
    EventType,
    Obj,
    Store,
    Watch,
    WatchEvent,
)

CM = "configmaps"
PODS = "pods"
DEADLINE = 5.0  # seconds a watch may take to deliver an event before the test fails


def cm(name: str, namespace: str = "default", **extra: Any) -> Obj:
    labels = extra.pop("labels", None)
    md: Obj = {"name": name, "namespace": namespace}
    if labels is not None:
        md["labels"] = labels
    md.update(extra.pop("metadata", {}))
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, **extra}


def pod(name: str, namespace: str = "default", phase: str | None = None, **extra: Any) -> Obj:
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, **extra.pop("metadata", {})},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
        **extra,
    }
    if phase is not None:
        obj["status"] = {"phase": phase}
    return obj


def rv(obj: Obj) -> int:
    return int(obj["metadata"]["resourceVersion"])


async def take(it: AsyncIterator[WatchEvent], n: int) -> list[WatchEvent]:
    """The next `n` events, failing if they don't arrive within the deadline."""

    async def collect() -> list[WatchEvent]:
        return [await it.__anext__() for _ in range(n)]

    return await asyncio.wait_for(collect(), DEADLINE)


async def nothing_more(store: Store, it: AsyncIterator[WatchEvent], marker_ns: str) -> None:
    """Assert the watch has nothing queued, by writing a marker object and seeing it next.

    The marker goes in its own namespace as a ConfigMap; pass a watch that sees it.
    """
    store.create(CM, cm("zz-marker", marker_ns))
    (event,) = await take(it, 1)
    assert (event.type, event.object["metadata"]["name"]) == (EventType.ADDED, "zz-marker")


def names(objs: list[Obj]) -> list[str]:
    return [o["metadata"]["name"] for o in objs]


class StoreConformance:
    """Mixin: subclass in a test module and implement `make_store`."""

    def make_store(self, tmp_path: Path) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = self.make_store(tmp_path)
        for ns in ("default", "other"):
            store.create(
                "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            )
        try:
            yield store
        finally:
            store.close()

    # -- create / get ------------------------------------------------------

    def test_create_fills_server_fields(self, store: Store) -> None:
        before = store.resource_version()
        made = store.create(CM, cm("a", data={"k": "v"}))
        md = made["metadata"]
        assert md["uid"] and md["creationTimestamp"].endswith("Z")
        assert rv(made) == before + 1 == store.resource_version()
        assert md["generation"] == 1
        assert store.get(CM, "default", "a") == made

    def test_create_drops_client_set_server_fields(self, store: Store) -> None:
        made = store.create(
            CM,
            cm("a", metadata={"uid": "mine", "resourceVersion": "999", "deletionTimestamp": "x"}),
        )
        assert made["metadata"]["uid"] != "mine"
        assert rv(made) != 999
        assert "deletionTimestamp" not in made["metadata"]

    def test_returned_objects_are_copies(self, store: Store) -> None:
        made = store.create(CM, cm("a", data={"k": "v"}))
        made["data"]["k"] = "changed"
        got = store.get(CM, "default", "a")
        got["data"]["k"] = "changed too"
        assert store.get(CM, "default", "a")["data"] == {"k": "v"}

    def test_generate_name(self, store: Store) -> None:
        obj = cm("")
        del obj["metadata"]["name"]
        obj["metadata"]["generateName"] = "job-"
        first, second = store.create(CM, obj), store.create(CM, obj)
        for made in (first, second):
            assert made["metadata"]["name"].startswith("job-")
            assert len(made["metadata"]["name"]) > len("job-")
        assert first["metadata"]["name"] != second["metadata"]["name"]

    def test_name_required(self, store: Store) -> None:
        with pytest.raises(BadRequest):
            store.create(CM, {"metadata": {"namespace": "default"}})

    def test_already_exists(self, store: Store) -> None:
        store.create(CM, cm("a"))
        with pytest.raises(AlreadyExists) as err:
            store.create(CM, cm("a"))
        assert err.value.code == 409
        store.create(CM, cm("a", "other"))  # same name, other namespace: fine
        store.create("secrets", cm("a"))  # same key, other resource: fine

    def test_not_found(self, store: Store) -> None:
        with pytest.raises(NotFound) as err:
            store.get(CM, "default", "missing")
        assert err.value.code == 404
        with pytest.raises(NotFound):
            store.update(CM, cm("missing"))
        with pytest.raises(NotFound):
            store.update_status(CM, cm("missing"))
        with pytest.raises(NotFound):
            store.delete(CM, "default", "missing")

    def test_create_in_missing_namespace(self, store: Store) -> None:
        with pytest.raises(NotFound) as err:
            store.create(CM, cm("a", "nowhere"))
        assert "nowhere" in err.value.message

    def test_create_in_terminating_namespace(self, store: Store) -> None:
        store.create(
            "namespaces",
            {"metadata": {"name": "dying"}, "spec": {"finalizers": ["kubernetes"]}},
        )
        store.delete("namespaces", "", "dying")
        assert store.get("namespaces", "", "dying")["metadata"]["deletionTimestamp"]
        with pytest.raises(Forbidden) as err:
            store.create(CM, cm("a", "dying"))
        assert err.value.code == 403

    def test_cluster_scoped_objects(self, store: Store) -> None:
        made = store.create("clusterroles", {"metadata": {"name": "viewer"}})
        assert "namespace" not in made["metadata"]
        assert store.get("clusterroles", "", "viewer") == made

    def test_resource_version_is_global_and_increasing(self, store: Store) -> None:
        seen = [
            rv(store.create(CM, cm("a"))),
            rv(store.create(PODS, pod("p"))),
            rv(store.create("secrets", cm("s", "other"))),
            rv(store.update(CM, {**store.get(CM, "default", "a"), "data": {"x": "1"}})),
            rv(store.delete(PODS, "default", "p")),
            rv(store.create(CM, cm("b"))),
        ]
        assert seen == sorted(set(seen))
        assert store.resource_version() == seen[-1]

    # -- update / status / generation --------------------------------------

    def test_update_with_stale_resource_version_conflicts(self, store: Store) -> None:
        made = store.create(CM, cm("a", data={"v": "1"}))
        store.update(CM, {**made, "data": {"v": "2"}})
        with pytest.raises(Conflict) as err:
            store.update(CM, {**made, "data": {"v": "3"}})
        assert err.value.code == 409
        with pytest.raises(Conflict):
            store.update_status(CM, {**made, "status": {"x": 1}})
        assert store.get(CM, "default", "a")["data"] == {"v": "2"}

    def test_update_without_resource_version_is_unconditional(self, store: Store) -> None:
        store.create(CM, cm("a", data={"v": "1"}))
        store.update(CM, cm("a", data={"v": "2"}))
        saved = store.update(CM, cm("a", data={"v": "3"}))
        assert saved["data"] == {"v": "3"}
        assert rv(saved) == store.resource_version()

    def test_uid_precondition(self, store: Store) -> None:
        made = store.create(CM, cm("a"))
        with pytest.raises(Conflict):
            store.update(CM, cm("a", metadata={"uid": "someone-else"}, data={"v": "1"}))
        with pytest.raises(Conflict):
            store.delete(CM, "default", "a", uid="someone-else")
        with pytest.raises(Conflict):
            store.delete(CM, "default", "a", resource_version=str(rv(made) - 1))
        store.update(CM, cm("a", metadata={"uid": made["metadata"]["uid"]}, data={"v": "1"}))
        store.delete(CM, "default", "a", uid=made["metadata"]["uid"])

    def test_update_keeps_server_fields(self, store: Store) -> None:
        made = store.create(CM, cm("a"))
        saved = store.update(
            CM, cm("a", metadata={"creationTimestamp": "1999-01-01T00:00:00Z"}, data={"v": "1"})
        )
        assert saved["metadata"]["uid"] == made["metadata"]["uid"]
        assert saved["metadata"]["creationTimestamp"] == made["metadata"]["creationTimestamp"]

    def test_noop_update_keeps_resource_version(self, store: Store) -> None:
        made = store.create(PODS, pod("p", metadata={"labels": {"a": "b"}}))
        before = store.resource_version()
        assert store.update(PODS, made) == made
        assert store.update_status(PODS, made) == made
        assert store.resource_version() == before

    def test_update_ignores_status(self, store: Store) -> None:
        made = store.create(PODS, pod("p", phase="Pending"))
        saved = store.update(PODS, {**made, "status": {"phase": "Running"}})
        assert saved["status"] == {"phase": "Pending"}
        assert rv(saved) == rv(made)  # nothing else changed: a no-op

    def test_status_update_ignores_spec_and_metadata(self, store: Store) -> None:
        made = store.create(PODS, pod("p"))
        changed = {
            **made,
            "metadata": {**made["metadata"], "labels": {"sneaky": "yes"}},
            "spec": {"containers": []},
            "status": {"phase": "Running"},
        }
        saved = store.update_status(PODS, changed)
        assert saved["status"] == {"phase": "Running"}
        assert saved["spec"] == made["spec"]
        assert "labels" not in saved["metadata"]
        assert saved["metadata"]["generation"] == 1
        assert rv(saved) > rv(made)
        assert store.get(PODS, "default", "p") == saved

    def test_generation_bumps_only_on_spec_change(self, store: Store) -> None:
        made = store.create(PODS, pod("p"))
        labelled = store.update(
            PODS, {**made, "metadata": {**made["metadata"], "labels": {"a": "b"}}}
        )
        assert labelled["metadata"]["generation"] == 1
        assert rv(labelled) > rv(made)
        with_status = store.update_status(PODS, {**labelled, "status": {"phase": "Running"}})
        assert with_status["metadata"]["generation"] == 1
        respec = store.update(PODS, {**with_status, "spec": {"containers": [], "x": 1}})
        assert respec["metadata"]["generation"] == 2
        again = store.update(PODS, {**respec, "spec": {"containers": [], "x": 2}})
        assert again["metadata"]["generation"] == 3

    # -- list ----------------------------------------------------------------

    def test_list_order_and_namespace_filter(self, store: Store) -> None:
        for ns, name in [("other", "b"), ("default", "c"), ("default", "a"), ("other", "a")]:
            store.create(CM, cm(name, ns))
        store.create("secrets", cm("zzz"))
        listed = store.list(CM)
        assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in listed.items] == [
            ("default", "a"),
            ("default", "c"),
            ("other", "a"),
            ("other", "b"),
        ]
        assert listed.resource_version == store.resource_version()
        assert listed.continue_token == ""
        assert names(store.list(CM, "other").items) == ["a", "b"]
        assert store.list(CM, "empty").items == []
        assert store.list("nothing").items == []

    def test_label_selectors(self, store: Store) -> None:
        store.create(CM, cm("web1", labels={"app": "web", "tier": "front"}))
        store.create(CM, cm("web2", labels={"app": "web", "tier": "back"}))
        store.create(CM, cm("db", labels={"app": "db"}))
        store.create(CM, cm("bare"))

        def select(text: str) -> list[str]:
            return names(store.list(CM, labels=parse_label_selector(text)).items)

        assert select("app=web") == ["web1", "web2"]
        assert select("app==db") == ["db"]
        assert select("app!=web") == ["bare", "db"]
        assert select("tier in (front,side)") == ["web1"]
        assert select("tier notin (front)") == ["bare", "db", "web2"]
        assert select("tier") == ["web1", "web2"]
        assert select("!tier") == ["bare", "db"]
        assert select("app=web,tier=back") == ["web2"]
        assert select("") == ["bare", "db", "web1", "web2"]

    def test_field_selectors(self, store: Store) -> None:
        store.create(PODS, pod("a", phase="Running"))
        store.create(PODS, pod("b", phase="Pending"))
        store.create(PODS, pod("c", "other", phase="Running"))

        def select(text: str, namespace: str | None = None) -> list[str]:
            found = store.list(PODS, namespace, fields=parse_field_selector(text))
            return names(found.items)

        assert select("metadata.name=b") == ["b"]
        assert select("metadata.name=b", "default") == ["b"]
        assert select("metadata.name=b", "other") == []
        assert select("metadata.name=missing", "default") == []
        assert select("status.phase=Running") == ["a", "c"]
        assert select("status.phase!=Running") == ["b"]
        assert select("status.phase=Running,metadata.namespace=other") == ["c"]
        assert select("metadata.name=a,status.phase=Pending", "default") == []

    def test_paging_with_limit_and_continue(self, store: Store) -> None:
        want = sorted(f"cm-{i:03d}" for i in range(23))
        for name in reversed(want):
            store.create(CM, cm(name, labels={"keep": "yes" if name != "cm-005" else "no"}))
        store.create(CM, cm("cm-x", "other"))
        got: list[str] = []
        token: str | None = None
        pages = 0
        while True:
            page = store.list(CM, "default", limit=5, continue_token=token)
            assert len(page.items) <= 5
            got += names(page.items)
            pages += 1
            if not page.continue_token:
                break
            assert len(page.items) == 5
            token = page.continue_token
            if pages == 2:  # writes between pages don't disturb the order
                store.create(CM, cm("cm-000a"))  # sorts before the cursor: not seen
                store.create(CM, cm("cm-999"))  # after the cursor: seen
        assert got == [*want, "cm-999"]
        assert pages == 5

        selected = []
        token = None
        while True:
            page = store.list(
                CM,
                "default",
                labels=parse_label_selector("keep=yes"),
                limit=4,
                continue_token=token,
            )
            selected += names(page.items)
            if not page.continue_token:
                break
            token = page.continue_token
        assert selected == [n for n in want if n != "cm-005"]

    def test_list_exact_limit_has_no_continue(self, store: Store) -> None:
        for i in range(3):
            store.create(CM, cm(f"c{i}"))
        page = store.list(CM, limit=3)
        assert len(page.items) == 3 and page.continue_token == ""

    def test_bad_continue_token(self, store: Store) -> None:
        with pytest.raises(BadRequest):
            store.list(CM, continue_token="not a token")

    # -- delete, finalizers, owners -----------------------------------------

    def test_delete_without_finalizers(self, store: Store) -> None:
        made = store.create(CM, cm("a"))
        gone = store.delete(CM, "default", "a")
        assert gone["metadata"]["uid"] == made["metadata"]["uid"]
        assert rv(gone) == store.resource_version() > rv(made)
        with pytest.raises(NotFound):
            store.get(CM, "default", "a")

        async def replay() -> list[WatchEvent]:
            w = store.watch(CM, resource_version=str(rv(made)))
            try:
                return await take(aiter(w), 1)
            finally:
                w.close()

        (event,) = asyncio.run(replay())
        assert event.type is EventType.DELETED
        assert event.resource_version == rv(gone)
        assert event.object["metadata"]["name"] == "a"

    def test_delete_with_finalizers_waits_for_them(self, store: Store) -> None:
        store.create(CM, cm("a", metadata={"finalizers": ["x.io/one", "x.io/two"]}))
        marked = store.delete(CM, "default", "a", grace_period_seconds=7)
        md = marked["metadata"]
        assert md["deletionTimestamp"] and md["deletionGracePeriodSeconds"] == 7
        assert store.get(CM, "default", "a") == marked
        # a second delete changes nothing
        assert store.delete(CM, "default", "a") == marked
        # updates can't clear deletionTimestamp
        cleared = {
            **marked,
            "metadata": {**md, "finalizers": ["x.io/two"], "deletionTimestamp": None},
        }
        one_left = store.update(CM, cleared)
        assert one_left["metadata"]["deletionTimestamp"] == md["deletionTimestamp"]
        assert store.get(CM, "default", "a")["metadata"]["finalizers"] == ["x.io/two"]
        last = store.update(
            CM, {**one_left, "metadata": {**one_left["metadata"], "finalizers": []}}
        )
        assert rv(last) == store.resource_version()
        with pytest.raises(NotFound):
            store.get(CM, "default", "a")

        async def replay() -> list[WatchEvent]:
            w = store.watch(CM, resource_version=str(rv(marked)))
            try:
                return await take(aiter(w), 2)
            finally:
                w.close()

        events = asyncio.run(replay())
        assert [e.type for e in events] == [EventType.MODIFIED, EventType.DELETED]

    def test_delete_grace_from_spec(self, store: Store) -> None:
        store.create(PODS, pod("p", metadata={"finalizers": ["f"]}))
        store.update(
            PODS, {**store.get(PODS, "default", "p"), "spec": {"terminationGracePeriodSeconds": 30}}
        )
        assert store.delete(PODS, "default", "p")["metadata"]["deletionGracePeriodSeconds"] == 30

    def _family(self, store: Store) -> tuple[Obj, Obj, Obj]:
        owner = store.create(
            "jobs",
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "j", "namespace": "default"},
            },
        )
        ref = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": "j",
            "uid": owner["metadata"]["uid"],
            "controller": True,
        }
        child = store.create(PODS, pod("j-1", metadata={"ownerReferences": [ref]}))
        other = store.create(CM, cm("j-cfg", metadata={"ownerReferences": [ref]}))
        return owner, child, other

    def test_dependents(self, store: Store) -> None:
        owner, child, _ = self._family(store)
        found = store.dependents(owner["metadata"]["uid"])
        assert sorted((r, o["metadata"]["name"]) for r, o in found) == [
            (CM, "j-cfg"),
            (PODS, "j-1"),
        ]
        assert store.dependents("no-such-uid") == []
        # dropping the reference and deleting a dependent both update the index
        store.update(PODS, {**child, "metadata": {**child["metadata"], "ownerReferences": []}})
        store.delete(CM, "default", "j-cfg")
        assert store.dependents(owner["metadata"]["uid"]) == []

    def test_foreground_and_orphan_add_finalizers_with_dependents(self, store: Store) -> None:
        owner, _, _ = self._family(store)
        marked = store.delete("jobs", "default", "j", propagation=DeletePropagation.FOREGROUND)
        assert marked["metadata"]["finalizers"] == [FOREGROUND_FINALIZER]
        assert marked["metadata"]["deletionTimestamp"]
        assert store.get("jobs", "default", "j")["metadata"]["uid"] == owner["metadata"]["uid"]

        lone = store.create("jobs", {"metadata": {"name": "lone", "namespace": "default"}})
        gone = store.delete("jobs", "default", "lone", propagation=DeletePropagation.FOREGROUND)
        assert gone["metadata"]["uid"] == lone["metadata"]["uid"]
        with pytest.raises(NotFound):  # no dependents: deleted at once
            store.get("jobs", "default", "lone")

    def test_orphan_finalizer(self, store: Store) -> None:
        self._family(store)
        marked = store.delete("jobs", "default", "j", propagation=DeletePropagation.ORPHAN)
        assert marked["metadata"]["finalizers"] == [ORPHAN_FINALIZER]
        assert store.get("jobs", "default", "j")["metadata"]["deletionTimestamp"]

    def test_background_deletes_owner_at_once(self, store: Store) -> None:
        owner, _, _ = self._family(store)
        store.delete("jobs", "default", "j")
        with pytest.raises(NotFound):
            store.get("jobs", "default", "j")
        # the dependents remain for the garbage collector to find
        assert len(store.dependents(owner["metadata"]["uid"])) == 2

    # -- watch ----------------------------------------------------------------

    def test_watch_from_zero_lists_then_follows(self, store: Store) -> None:
        store.create(CM, cm("b"))
        store.create(CM, cm("a"))
        store.create(CM, cm("c", "other"))
        store.create(PODS, pod("p"))

        async def run() -> list[WatchEvent]:
            w = store.watch(CM, "default", resource_version="0")
            it = aiter(w)
            try:
                first = await take(it, 2)
                store.create(CM, cm("d"))
                store.create(CM, cm("e", "other"))  # another namespace: not seen
                store.update(CM, cm("a", data={"x": "1"}))
                store.delete(CM, "default", "b")
                return first + await take(it, 3)
            finally:
                w.close()

        events = asyncio.run(run())
        assert [(e.type, e.object["metadata"]["name"]) for e in events] == [
            (EventType.ADDED, "a"),
            (EventType.ADDED, "b"),
            (EventType.ADDED, "d"),
            (EventType.MODIFIED, "a"),
            (EventType.DELETED, "b"),
        ]
        assert events[3].previous is not None and "data" not in events[3].previous
        versions = [e.resource_version for e in events[2:]]
        assert versions == sorted(versions)

    def test_watch_without_version_lists_too(self, store: Store) -> None:
        store.create(CM, cm("a"))

        async def run() -> list[WatchEvent]:
            w = store.watch(CM)
            try:
                return await take(aiter(w), 1)
            finally:
                w.close()

        assert [e.type for e in asyncio.run(run())] == [EventType.ADDED]

    def test_watch_from_version_replays_exactly_later_events(self, store: Store) -> None:
        a = store.create(CM, cm("a"))
        start = rv(a)
        store.create(CM, cm("b"))
        store.create(PODS, pod("p"))  # other resource: not replayed
        store.update(CM, {**a, "data": {"x": "1"}})
        store.delete(CM, "default", "b")

        async def run() -> list[WatchEvent]:
            w = store.watch(CM, resource_version=str(start))
            it = aiter(w)
            try:
                replayed = await take(it, 3)
                store.create(CM, cm("c"))
                live = await take(it, 1)
                await nothing_more(store, it, "other")
                return replayed + live
            finally:
                w.close()

        events = asyncio.run(run())
        assert [(e.type, e.object["metadata"]["name"]) for e in events] == [
            (EventType.ADDED, "b"),
            (EventType.MODIFIED, "a"),
            (EventType.DELETED, "b"),
            (EventType.ADDED, "c"),
        ]
        assert all(e.resource_version > start for e in events)

    def test_watch_from_current_version_sees_only_new(self, store: Store) -> None:
        store.create(CM, cm("old"))

        async def run() -> list[WatchEvent]:
            w = store.watch(CM, resource_version=str(store.resource_version()))
            it = aiter(w)
            try:
                store.create(CM, cm("new"))
                return await take(it, 1)
            finally:
                w.close()

        assert names([e.object for e in asyncio.run(run())]) == ["new"]

    def test_label_watch_sees_objects_leave_and_enter(self, store: Store) -> None:
        a = store.create(CM, cm("a", labels={"app": "web"}))
        b = store.create(CM, cm("b", labels={"app": "db"}))

        async def run() -> list[WatchEvent]:
            w = store.watch(
                CM,
                labels=parse_label_selector("app=web"),
                resource_version=str(store.resource_version()),
            )
            it = aiter(w)
            try:
                store.update(CM, {**a, "metadata": {**a["metadata"], "labels": {"app": "db"}}})
                store.update(CM, {**b, "metadata": {**b["metadata"], "labels": {"app": "web"}}})
                store.update(CM, cm("b", labels={"app": "web"}, data={"x": "1"}))
                store.create(CM, cm("c", labels={"app": "db"}))  # never in the selection
                store.create(CM, cm("d", labels={"app": "web"}))
                return await take(it, 4)
            finally:
                w.close()

        events = asyncio.run(run())
        assert [(e.type, e.object["metadata"]["name"]) for e in events] == [
            (EventType.DELETED, "a"),
            (EventType.ADDED, "b"),
            (EventType.MODIFIED, "b"),
            (EventType.ADDED, "d"),
        ]

    def test_label_watch_sees_delete_that_also_changes_labels(self, store: Store) -> None:
        """Removing the last finalizer and the matching label in one update is a DELETED."""
        store.create(CM, cm("a", labels={"app": "web"}, metadata={"finalizers": ["f"]}))
        marked = store.delete(CM, "default", "a")

        async def run() -> list[WatchEvent]:
            w = store.watch(
                CM, labels=parse_label_selector("app=web"), resource_version=str(rv(marked))
            )
            it = aiter(w)
            try:
                md = {**marked["metadata"], "finalizers": [], "labels": {"app": "db"}}
                store.update(CM, {**marked, "metadata": md})
                return await take(it, 1)
            finally:
                w.close()

        (event,) = asyncio.run(run())
        assert (event.type, event.object["metadata"]["name"]) == (EventType.DELETED, "a")

    def test_field_watch_sees_phase_changes(self, store: Store) -> None:
        p = store.create(PODS, pod("p", phase="Pending"))

        async def run() -> list[WatchEvent]:
            w = store.watch(
                PODS,
                fields=parse_field_selector("status.phase=Running"),
                resource_version=str(rv(p)),
            )
            it = aiter(w)
            try:
                running = store.update_status(PODS, {**p, "status": {"phase": "Running"}})
                store.update_status(PODS, {**running, "status": {"phase": "Succeeded"}})
                return await take(it, 2)
            finally:
                w.close()

        assert [e.type for e in asyncio.run(run())] == [EventType.ADDED, EventType.DELETED]

    def test_watch_all_resources(self, store: Store) -> None:
        start = store.resource_version()
        store.create(CM, cm("a"))

        async def run() -> tuple[list[WatchEvent], list[WatchEvent]]:
            replay = store.watch(None, resource_version=str(start))
            live = store.watch(None)  # no version: from now, nothing listed
            try:
                store.create(PODS, pod("p"))
                store.create("secrets", cm("s", "other"))
                return await take(aiter(replay), 3), await take(aiter(live), 2)
            finally:
                replay.close()
                live.close()

        replayed, live = asyncio.run(run())
        assert [(e.resource, e.object["metadata"]["name"]) for e in replayed] == [
            (CM, "a"),
            (PODS, "p"),
            ("secrets", "s"),
        ]
        assert [e.resource for e in live] == [PODS, "secrets"]

    def test_watch_namespace_filter(self, store: Store) -> None:
        start = store.resource_version()
        store.create(CM, cm("a", "other"))
        store.create(CM, cm("b"))

        async def run() -> list[WatchEvent]:
            w = store.watch(CM, "default", resource_version=str(start))
            try:
                return await take(aiter(w), 1)
            finally:
                w.close()

        assert names([e.object for e in asyncio.run(run())]) == ["b"]

    def test_closed_watch_ends(self, store: Store) -> None:
        async def run() -> list[WatchEvent]:
            w: Watch = store.watch(CM)
            w.close()
            store.create(CM, cm("a"))
            return [e async for e in w]

        assert asyncio.run(run()) == []

    def test_bad_watch_version(self, store: Store) -> None:
        async def run() -> None:
            store.watch(CM, resource_version="yesterday")

        with pytest.raises(BadRequest):
            asyncio.run(run())

    def test_compaction_makes_old_versions_gone(self, store: Store) -> None:
        first = rv(store.create(CM, cm("a")))
        for i in range(10):
            store.update(CM, cm("a", data={"i": str(i)}))
        floor = store.compact(3)
        newest = store.resource_version()
        assert first <= floor < newest

        async def watch_from(version: int) -> list[WatchEvent]:
            w = store.watch(CM, resource_version=str(version))
            try:
                return await take(aiter(w), newest - version)
            finally:
                w.close()

        with pytest.raises(Gone) as err:
            asyncio.run(watch_from(first))
        assert err.value.code == 410
        recent = asyncio.run(watch_from(newest - 3))
        assert [e.resource_version for e in recent] == [newest - 2, newest - 1, newest]
        assert store.compact(100) == floor  # keeping more than there is changes nothing

    def test_writes_keep_working_after_compaction(self, store: Store) -> None:
        store.create(CM, cm("a"))
        store.compact(0)
        made = store.create(CM, cm("b"))
        assert rv(made) == store.resource_version()

    # -- concurrency ------------------------------------------------------------

    def test_concurrent_increments_lose_nothing(self, store: Store) -> None:
        store.create(CM, cm("counter", data={"n": "0"}))
        threads, rounds = 4, 50
        versions: list[int] = []
        conflicts = 0
        guard = threading.Lock()

        def work() -> None:
            nonlocal conflicts
            for _ in range(rounds):
                while True:
                    current = store.get(CM, "default", "counter")
                    current["data"]["n"] = str(int(current["data"]["n"]) + 1)
                    try:
                        saved = store.update(CM, current)
                    except Conflict:
                        with guard:
                            conflicts += 1
                        continue
                    with guard:
                        versions.append(rv(saved))
                    break

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert store.get(CM, "default", "counter")["data"]["n"] == str(threads * rounds)
        assert len(versions) == len(set(versions)) == threads * rounds

    def test_concurrent_writers_stream_in_order(self, store: Store) -> None:
        """A watch gets every change, in version order, while threads write at once."""
        threads, rounds = 4, 200

        def work(t: int) -> None:
            for i in range(rounds):
                store.create(CM, cm(f"t{t}-{i}"))

        async def run() -> list[WatchEvent]:
            w = store.watch(CM, resource_version=str(store.resource_version()))
            it = aiter(w)
            try:
                pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
                for t in pool:
                    t.start()
                events = await take(it, threads * rounds)
                for t in pool:
                    t.join()
                return events
            finally:
                w.close()

        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # switch threads often, so publication races show up
        try:
            events = asyncio.run(run())
        finally:
            sys.setswitchinterval(switch)
        versions = [e.resource_version for e in events]
        assert versions == sorted(set(versions))
        assert len({e.object["metadata"]["name"] for e in events}) == threads * rounds
