"""A small typed client for kflow's Kubernetes-compatible REST API.

It speaks the same protocol as kubectl: discovery to resolve kind names, JSON bodies,
merge patches, `?watch=1` streams of newline-delimited events, `pods/<name>/log`, and
server-side Tables. Errors come back as the `kflow.api.errors` tree, decided by the
server's `Status` reason, so callers handle `NotFound` or `Invalid` rather than HTTP
codes. The CLI is built on it; scripts and notebooks can use it directly::

    with Client() as kf:
        kf.apply(yaml.safe_load(open("tfjob.yaml")))
        kf.wait_for("tfjobs", "mnist", "condition=Succeeded", timeout=600)
"""

from __future__ import annotations

import builtins
import dataclasses
import math
import os
import ssl
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Literal

import httpx

from kflow.api.errors import ApiError, BadRequest, Gone, NotFound
from kflow.sdk import applying
from kflow.sdk.applying import ApplyResult
from kflow.sdk.config import ServerUnavailable, resolve_server
from kflow.sdk.discovery import Discovery, Resource
from kflow.sdk.status import error_from_status
from kflow.sdk.waiting import WaitTimeout, parse_condition

Obj = dict[str, Any]
KindRef = str | Resource
"""A kind as a user names it (`po`, `tfjobs.kubeflow.org`) or an already resolved one."""
Propagation = Literal["Background", "Foreground", "Orphan"]
PatchType = Literal["merge", "json", "strategic"]

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
_PATCH_CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}
_WATCH_WINDOW = 300  # seconds one watch request stays open before it is renewed


@dataclasses.dataclass(frozen=True)
class ObjectList:
    """The items of a list and the resourceVersion to watch from after it."""

    items: list[Obj]
    resource_version: str


@dataclasses.dataclass(frozen=True)
class WatchEvent:
    """One change: ADDED, MODIFIED or DELETED, with the object after it."""

    type: str
    object: Obj


@dataclasses.dataclass(frozen=True)
class Applied:
    """What `apply` did, to which object (as the server returned it)."""

    result: ApplyResult
    object: Obj
    resource: Resource

    @property
    def ref(self) -> str:
        """`pod/web`, as kubectl names an object in its output."""
        return f"{self.resource.display}/{(self.object.get('metadata') or {}).get('name', '')}"


def _meta(obj: Obj) -> Obj:
    """An object's metadata; for a one-row Table (a table watch), its row's."""
    if obj.get("kind") == "Table":
        rows = obj.get("rows") or [{}]
        return ((rows[0].get("object") or {}).get("metadata")) or {}
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _key(obj: Obj) -> tuple[str, str]:
    meta = _meta(obj)
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _rv(obj: Obj) -> str:
    return str(_meta(obj).get("resourceVersion") or "")


def split_table(table: Obj) -> list[Obj]:
    """A Table as one single-row Table per object, the shape a table watch streams."""
    return [{**table, "rows": [row]} for row in table.get("rows") or []]


class Client:
    """A connection to one kflow server (or any Kubernetes API server)."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        namespace: str = "default",
        home: str | os.PathLike[str] | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        ca: str | None = None,
    ) -> None:
        """Connect to `url`, else `$KFLOW_URL`, else the server `kflow up` recorded.

        `namespace` is used whenever a call on a namespaced kind names none; `ca` is
        the certificate authority to trust for an https `url` (`$KFLOW_CA`).
        """
        info = resolve_server(url, token, home, ca)
        self.url = info.url
        self.namespace = namespace
        self.timeout = timeout
        headers = {"Accept": "application/json", "User-Agent": "kflow-sdk"}
        if info.token:
            headers["Authorization"] = f"Bearer {info.token}"
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            verify=ssl.create_default_context(cafile=info.ca) if info.ca else True,
        )
        self.discovery = Discovery(self._get_json)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------

    def _unreachable(self, exc: httpx.HTTPError) -> ServerUnavailable:
        if isinstance(exc, httpx.TimeoutException):
            return ServerUnavailable(f"the kflow server at {self.url} did not answer in time")
        return ServerUnavailable(
            f"cannot reach the kflow server at {self.url} ({exc}): is it running? "
            "Start it with `kflow up`"
        )

    @staticmethod
    def _error(response: httpx.Response) -> ApiError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        return error_from_status(body, response.status_code, response.text.strip()[:300])

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = self._http.request(method, path, params=params, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        if response.status_code >= 400:
            raise self._error(response)
        return response

    def _get_json(self, path: str) -> Any:
        return self._send("GET", path).json()

    def _json(self, response: httpx.Response) -> Obj:
        body = response.json()
        if not isinstance(body, dict):
            raise BadRequest(f"the server answered {response.request.url.path} with a non-object")
        return body

    # -- kinds ------------------------------------------------------------------------

    def resource(self, kind: KindRef) -> Resource:
        """The served resource a kind name means (`po`, `Pod`, `tfjobs.kubeflow.org`)."""
        return kind if isinstance(kind, Resource) else self.discovery.resolve(kind)

    def resource_for(self, obj: Obj) -> Resource:
        """The resource that serves an object body, from its apiVersion and kind."""
        return self.discovery.for_object(
            str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
        )

    def _namespace(self, res: Resource, namespace: str | None) -> str | None:
        return (namespace or self.namespace) if res.namespaced else None

    # -- objects ----------------------------------------------------------------------

    def get(self, kind: KindRef, name: str, *, namespace: str | None = None) -> Obj:
        """One object, or NotFound."""
        res = self.resource(kind)
        return self._json(self._send("GET", res.path(self._namespace(res, namespace), name)))

    def list(
        self,
        kind: KindRef,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        labels: str | None = None,
        fields: str | None = None,
    ) -> ObjectList:
        """Every matching object (following `continue` pages), in the server's order."""
        res = self.resource(kind)
        ns = None if all_namespaces else self._namespace(res, namespace)
        params: dict[str, Any] = {}
        if labels:
            params["labelSelector"] = labels
        if fields:
            params["fieldSelector"] = fields
        items: list[Obj] = []
        while True:
            body = self._json(self._send("GET", res.path(ns), params=params))
            items.extend(body.get("items") or [])
            meta = body.get("metadata") or {}
            if not meta.get("continue"):
                return ObjectList(items, str(meta.get("resourceVersion") or ""))
            params["continue"] = meta["continue"]

    def create(self, obj: Obj, *, namespace: str | None = None) -> Obj:
        """Create an object from its body; AlreadyExists if it is there."""
        res = self.resource_for(obj)
        ns = (obj.get("metadata") or {}).get("namespace") or namespace
        return self._json(self._send("POST", res.path(self._namespace(res, ns)), json=obj))

    def replace(self, obj: Obj, *, namespace: str | None = None) -> Obj:
        """Replace an object whole (PUT); Conflict if its resourceVersion is stale."""
        res = self.resource_for(obj)
        meta = obj.get("metadata") or {}
        path = res.path(self._namespace(res, meta.get("namespace") or namespace), meta.get("name"))
        return self._json(self._send("PUT", path, json=obj))

    def patch(
        self,
        kind: KindRef,
        name: str,
        patch: Any,
        *,
        namespace: str | None = None,
        type: PatchType = "merge",
        subresource: str = "",
    ) -> Obj:
        """Patch an object (JSON merge patch by default; "json" for an RFC 6902 list)."""
        res = self.resource(kind)
        path = res.path(self._namespace(res, namespace), name, subresource)
        headers = {"Content-Type": _PATCH_CONTENT_TYPES[type]}
        return self._json(self._send("PATCH", path, json=patch, headers=headers))

    def delete(
        self,
        kind: KindRef,
        name: str,
        *,
        namespace: str | None = None,
        propagation: Propagation | None = None,
        grace_period_seconds: int | None = None,
    ) -> Obj:
        """Delete an object; returns what the server answered (the object or a Status)."""
        res = self.resource(kind)
        options: Obj = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation:
            options["propagationPolicy"] = propagation
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        path = res.path(self._namespace(res, namespace), name)
        return self._json(self._send("DELETE", path, json=options))

    def apply(self, obj: Obj, *, namespace: str | None = None) -> Applied:
        """Create `obj`, or patch the live object to match it (client-side apply).

        Like `kubectl apply`, the configuration is recorded in the
        `kubectl.kubernetes.io/last-applied-configuration` annotation, so a field
        removed from the configuration is removed from the object on the next apply.
        """
        res = self.resource_for(obj)
        body = applying.with_last_applied(obj)
        meta = body["metadata"]
        name = str(meta.get("name") or "")
        if not name:
            raise BadRequest("metadata.name: Required value: apply needs a name")
        ns = self._namespace(res, meta.get("namespace") or namespace)
        if ns:
            meta["namespace"] = ns
        try:
            current = self.get(res, name, namespace=ns)
        except NotFound:
            created = self._json(self._send("POST", res.path(ns), json=body))
            return Applied(ApplyResult.CREATED, created, res)
        patch = applying.three_way_patch(applying.last_applied(current), body, current)
        if not patch:
            return Applied(ApplyResult.UNCHANGED, current, res)
        patched = self.patch(res, name, patch, namespace=ns)
        return Applied(ApplyResult.CONFIGURED, patched, res)

    def events_for(self, obj: Obj) -> builtins.list[Obj]:
        """The Events about an object (by its uid), oldest first."""
        meta = obj.get("metadata") or {}
        uid = meta.get("uid")
        if not uid:
            return []
        listed = self.list(
            "events",
            namespace=meta.get("namespace") or self.namespace,
            fields=f"involvedObject.uid={uid}",
        )

        def when(event: Obj) -> tuple[str, str, int]:
            # second-resolution timestamps first; eventTime (microseconds) and the
            # resourceVersion order events that share a second
            meta = event.get("metadata") or {}
            second = str(
                event.get("lastTimestamp")
                or event.get("firstTimestamp")
                or meta.get("creationTimestamp")
                or ""
            )
            rv = str(meta.get("resourceVersion") or "0")
            return second, str(event.get("eventTime") or ""), int(rv) if rv.isdigit() else 0

        return sorted(listed.items, key=when)

    def observation_log(
        self, trial: str, *, namespace: str | None = None, metric: str | None = None
    ) -> builtins.list[Obj]:
        """A Katib trial's observation log: `{"timeStamp", "metric": {"name", "value"}, ...}`
        rows in the order they were observed."""
        ns = namespace or self.namespace
        path = f"/apis/kubeflow.org/v1beta1/namespaces/{ns}/trials/{trial}/observationlog"
        params = {"metricName": metric} if metric else None
        body = self._json(self._send("GET", path, params=params))
        return list(body.get("metricLogs") or [])

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """The JSON answer of any route of the server (a page's JSON twin such as
        `/ui/mnist.json`, the KFP API), authenticated like every other call; an error
        status raises the matching `ApiError`."""
        return self._send(method, path, params=params, json=json).json()

    def server_version(self) -> Obj:
        """The server's `/version` document (`gitVersion`, `platform`, ...)."""
        return self._json(self._send("GET", "/version"))

    # -- models behind the serving gateway --------------------------------------------

    def predict(
        self,
        name: str,
        body: Any,
        *,
        namespace: str | None = None,
        protocol: Literal["v1", "v2"] = "v1",
        model: str | None = None,
    ) -> Any:
        """Send `body` to InferenceService `name` through the server's gateway.

        `v1` posts to `/v1/models/<model>:predict` (KServe V1 / TF Serving:
        `{"instances": [...]}`), `v2` to `/v2/models/<model>/infer` (Open Inference
        Protocol); `model` defaults to the InferenceService's name, which is the name
        its model server gives the model. Returns the JSON answer. A model server's
        `{"error": ...}` becomes an `ApiError` of its status code with that message.
        """
        ns = namespace or self.namespace
        model = model or name
        tail = f"v1/models/{model}:predict" if protocol == "v1" else f"v2/models/{model}/infer"
        try:
            response = self._http.post(
                f"/serving/{ns}/{name}/{tail}", json=body, timeout=max(self.timeout, 60.0)
            )
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        if response.status_code >= 400:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if isinstance(answer, dict) and isinstance(answer.get("error"), str):
                raise error_from_status(
                    {"message": f'inferenceservice "{name}": {answer["error"]}'},
                    response.status_code,
                )
            raise self._error(response)
        return response.json()

    # -- tables, logs -----------------------------------------------------------------

    def table(
        self,
        kind: KindRef,
        name: str | None = None,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        labels: str | None = None,
        fields: str | None = None,
    ) -> Obj:
        """The server-side `Table` (what `kubectl get` prints) of a list or one object."""
        res = self.resource(kind)
        ns = None if all_namespaces and not name else self._namespace(res, namespace)
        params: dict[str, Any] = {"includeObject": "Metadata"}
        if labels:
            params["labelSelector"] = labels
        if fields:
            params["fieldSelector"] = fields
        response = self._send(
            "GET", res.path(ns, name), params=params, headers={"Accept": TABLE_ACCEPT}
        )
        return self._json(response)

    def logs(
        self,
        name: str,
        container: str | None = None,
        *,
        namespace: str | None = None,
        follow: bool = False,
        previous: bool = False,
        tail: int | None = None,
    ) -> Iterator[str]:
        """Lines of a pod container's log (without newlines); `follow` keeps streaming."""
        res = self.resource("pods")
        params: dict[str, Any] = {}
        if container:
            params["container"] = container
        if follow:
            params["follow"] = "true"
        if previous:
            params["previous"] = "true"
        if tail is not None:
            params["tailLines"] = tail
        path = res.path(self._namespace(res, namespace), name, "log")
        timeout = httpx.Timeout(self.timeout, read=None if follow else self.timeout)
        try:
            with self._http.stream("GET", path, params=params, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._error(response)
                yield from response.iter_lines()
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None

    # -- watching ---------------------------------------------------------------------

    def _watch_once(
        self, res: Resource, ns: str | None, params: dict[str, Any], window: int, as_table: bool
    ) -> Iterator[WatchEvent]:
        params = {**params, "watch": "1", "allowWatchBookmarks": "true", "timeoutSeconds": window}
        headers = {"Accept": TABLE_ACCEPT} if as_table else None
        if as_table:
            params["includeObject"] = "Metadata"
        timeout = httpx.Timeout(self.timeout, read=window + 15)
        path = res.path(ns)
        with self._http.stream(
            "GET", path, params=params, headers=headers, timeout=timeout
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise self._error(response)
            for line in response.iter_lines():
                if not line.strip():
                    continue
                event = httpx.Response(200, content=line).json()
                yield WatchEvent(str(event.get("type") or ""), event.get("object") or {})

    def watch(
        self,
        kind: KindRef,
        name: str | None = None,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        labels: str | None = None,
        fields: str | None = None,
        resource_version: str | None = None,
        timeout: float | None = None,
        as_table: bool = False,
    ) -> Iterator[WatchEvent]:
        """Changes to matching objects as they happen, until `timeout` seconds pass.

        Without `resource_version` the current objects come first, as ADDED events.
        A watch that the server ends is renewed from the last version seen; one that
        fell too far behind (410 Gone) relists and reports the difference as events.
        With `as_table` each event carries a one-row server-side Table instead of the
        object (what `kubectl get -w` prints).
        """
        res = self.resource(kind)
        ns = None if all_namespaces else self._namespace(res, namespace)
        deadline = None if timeout is None else time.monotonic() + timeout
        selectors = [s for s in (fields, f"metadata.name={name}" if name else None) if s]
        params: dict[str, Any] = {}
        if labels:
            params["labelSelector"] = labels
        if selectors:
            params["fieldSelector"] = ",".join(selectors)
        list_args: dict[str, Any] = {
            "namespace": ns,
            "all_namespaces": ns is None,
            "labels": labels,
            "fields": params.get("fieldSelector"),
        }
        known: dict[tuple[str, str], Obj] = {}

        def relist() -> tuple[str, list[WatchEvent]]:
            if as_table:
                table = self.table(res, **list_args)
                listed = ObjectList(
                    split_table(table),
                    str((table.get("metadata") or {}).get("resourceVersion") or ""),
                )
            else:
                listed = self.list(res, **list_args)
            events: list[WatchEvent] = []
            fresh = {_key(o): o for o in listed.items}
            for key, obj in fresh.items():
                old = known.get(key)
                if old is None:
                    events.append(WatchEvent("ADDED", obj))
                elif _rv(old) != _rv(obj):
                    events.append(WatchEvent("MODIFIED", obj))
            events.extend(WatchEvent("DELETED", o) for k, o in known.items() if k not in fresh)
            known.clear()
            known.update(fresh)
            return listed.resource_version, events

        rv = resource_version
        if rv is None:
            rv, initial = relist()
            yield from initial
        while True:
            window = _WATCH_WINDOW
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                window = max(1, min(_WATCH_WINDOW, math.ceil(remaining)))
            try:
                stream = self._watch_once(
                    res, ns, {**params, "resourceVersion": rv}, window, as_table
                )
                for event in stream:
                    if event.type == "ERROR":
                        raise error_from_status(event.object, int(event.object.get("code") or 500))
                    if event.type == "BOOKMARK":
                        rv = _rv(event.object) or rv
                        continue
                    rv = _rv(event.object) or rv
                    if event.type == "DELETED":
                        known.pop(_key(event.object), None)
                    else:
                        known[_key(event.object)] = event.object
                    yield event
                    if deadline is not None and time.monotonic() >= deadline:
                        return
            except Gone:
                rv, missed = relist()
                yield from missed
            except (httpx.ReadTimeout, httpx.RemoteProtocolError):
                continue  # the stream went quiet or was cut: renew it from `rv`
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from None

    def wait_for(
        self,
        kind: KindRef,
        name: str,
        condition: str = "condition=Ready",
        *,
        namespace: str | None = None,
        timeout: float = 60.0,
    ) -> Obj | None:
        """Block until the object meets `condition`; returns it (None for "delete").

        `condition` is kubectl's `--for`: `condition=Ready` (or just `Ready`),
        `condition=Ready=False`, `delete`, or `jsonpath={.status.phase}=Succeeded`.
        Raises WaitTimeout when `timeout` seconds pass first.
        """
        res = self.resource(kind)
        wanted = parse_condition(condition)
        deadline = time.monotonic() + timeout
        try:
            obj = self.get(res, name, namespace=namespace)
        except NotFound:
            if wanted.is_delete:
                return None
            raise
        uid = (obj.get("metadata") or {}).get("uid")
        if wanted.matches is not None and wanted.matches(obj):
            return obj
        events = self.watch(
            res,
            name,
            namespace=namespace,
            resource_version=_rv(obj),
            timeout=max(0.0, deadline - time.monotonic()),
        )
        for event in events:
            same = (event.object.get("metadata") or {}).get("uid") == uid
            if event.type == "DELETED":
                if wanted.is_delete and same:
                    return None
            elif wanted.matches is not None and wanted.matches(event.object):
                return event.object
        raise WaitTimeout(
            f"timed out waiting for the condition on {res.qualified}/{name} ({wanted.text})"
        )
