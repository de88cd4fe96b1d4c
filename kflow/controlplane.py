"""The composition root: store + runtime + controllers + server, as `kflow up` runs them.

Everything lives under one data directory (`KFLOW_HOME`, default `~/.kflow`):

    kflow.db        the SQLite store (objects, event log)
    runtime/        pods: launch records, logs, emptyDirs, claims
    workflows/      workflow steps' files while they run (scripts, stdout, /tmp)
    artifacts/      the artifact store: workflow outputs and step logs, by content
    kubeconfig      for kubectl and the Kubernetes clients
    server.json     where the running server listens, for the kflow CLI and SDK
    token           the bearer token that identifies the local admin (mode 0600)
    pki/            the private CA and the server's TLS certificate (see certs.py)
    kflow.log       the control plane's own log

Starting again on the same directory picks up where the last run stopped: objects
come back from the database and the runtime adopts pods that kept running.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import errno
import fcntl
import logging
import os
import secrets
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import orjson
import uvicorn
import yaml

from kflow import __version__
from kflow.api import (
    argo,  # noqa: F401  (registers Argo's Workflow, WorkflowTemplate and CronWorkflow)
    batch,  # noqa: F401  (registers the batch/v1 Job)
    core,  # noqa: F401  (registers the core kinds)
    katib,  # noqa: F401  (registers Katib's Experiment, Trial and Suggestion)
    kserve,  # noqa: F401  (registers KServe's InferenceService)
    training,  # noqa: F401  (registers the training-job kinds)
)
from kflow.api.errors import AlreadyExists
from kflow.api.kinds import registry
from kflow.certs import ensure_certificates
from kflow.controllers.endpoints import EndpointsController
from kflow.controllers.events import EventRecorder
from kflow.controllers.garbage_collector import GarbageCollector
from kflow.controllers.jobs import JobController
from kflow.controllers.manager import Manager
from kflow.controllers.namespaces import NamespaceController
from kflow.controllers.pods import PodController
from kflow.controllers.services import ServiceResolver
from kflow.controllers.serving import InferenceServiceController
from kflow.controllers.serving.traffic import ServingTraffic
from kflow.controllers.training import training_controllers
from kflow.controllers.workflows import (
    CronWorkflowController,
    WorkflowController,
    register_workflow_validation,
)
from kflow.pipelines import contract as pipelines
from kflow.pipelines.contract import REPOSITORY_ENV
from kflow.pipelines.memory_metadata import MemoryPipelineMetadata
from kflow.pipelines.metadata import PipelineMetadata
from kflow.pipelines.sqlite_metadata import SQLitePipelineMetadata
from kflow.runtime.interface import Runtime
from kflow.runtime.local import LocalRuntime
from kflow.runtime.warm import WarmCommand
from kflow.server.app import create_app
from kflow.server.grpc_gateway import GrpcGateway
from kflow.server.identity import Identity, TokenAuthenticator
from kflow.server.kfp.backend import KfpBackend
from kflow.server.kfp.platform import KfpPlatform
from kflow.server.local_gateway import LocalGateway
from kflow.store.interface import Store
from kflow.store.kfp_records import KfpRecordStore
from kflow.store.memory_kfp_records import MemoryKfpRecords
from kflow.store.memory_observations import MemoryObservationLog
from kflow.store.observations import ObservationLog
from kflow.store.sqlite import SQLiteStore
from kflow.store.sqlite_kfp_records import SQLiteKfpRecords
from kflow.store.sqlite_observations import SQLiteObservationLog
from kflow.tuning_service import TuningService, loopback_candidates

log = logging.getLogger("kflow")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8372
GRACEFUL_SHUTDOWN_SECONDS = 3
LOCAL_GATEWAY_PORT = 8080
"""The cluster-local serving gateway's port, on the data directory's loopback address."""
# Kubeflow installs into `kubeflow`, and tutorials (the seeds too) submit there
BOOTSTRAP_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease", "kubeflow")
ADMIN = Identity(user="kflow-admin", groups=["system:masters", "system:authenticated"])
LAUNCHER = WarmCommand(
    pipelines.PYTHON,
    pipelines.LAUNCHER_MODULE,
    pipelines.LAUNCHER_PRELOAD,
    pipelines.LAUNCHER_REHEARSAL,
)
"""Pipeline tasks' pods start forked from a process with kfp imported (`docs/runtime.md`)."""


def default_home() -> Path:
    return Path(os.environ.get("KFLOW_HOME") or Path.home() / ".kflow").expanduser()


@dataclasses.dataclass
class Paths:
    """Where each piece of state lives under the data directory."""

    home: Path

    @property
    def database(self) -> Path:
        return self.home / "kflow.db"

    @property
    def runtime(self) -> Path:
        return self.home / "runtime"

    @property
    def kubeconfig(self) -> Path:
        return self.home / "kubeconfig"

    @property
    def server_info(self) -> Path:
        return self.home / "server.json"

    @property
    def token(self) -> Path:
        return self.home / "token"

    @property
    def lock(self) -> Path:
        return self.home / "kflow.lock"

    @property
    def pki(self) -> Path:
        return self.home / "pki"

    @property
    def log(self) -> Path:
        return self.home / "kflow.log"


def pod_env(paths: Paths) -> dict[str, str]:
    """What kflow adds to every pod's environment: KFLOW_HOME, so a pipeline launcher or
    model server finds this data dir, and kflow's interpreter first on PATH, so a
    container's `python3` is the one with the packages kflow runs (a local pod's image
    is recorded, not pulled), even when kflow was started from an inactive venv."""
    interpreter = str(Path(sys.executable).parent)
    return {
        "KFLOW_HOME": str(paths.home),
        "PATH": os.pathsep.join(filter(None, [interpreter, os.environ.get("PATH")])),
    }


def load_token(paths: Paths) -> str:
    """The admin bearer token, created on first start and kept private."""
    if paths.token.exists():
        return paths.token.read_text().strip()
    token = secrets.token_urlsafe(32)
    fd = os.open(paths.token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def kubeconfig_document(
    url: str, token: str | None, ca_pem: bytes | None = None, name: str = "kflow"
) -> dict[str, Any]:
    """A kubeconfig that points kubectl and the Kubernetes clients at `url`."""
    user: dict[str, Any] = {"token": token} if token else {}
    cluster: dict[str, Any] = {"server": url}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": f"{name}-admin", "user": user}],
        "contexts": [
            {
                "name": name,
                "context": {"cluster": name, "user": f"{name}-admin", "namespace": "default"},
            }
        ],
        "current-context": name,
        "preferences": {},
    }


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def ensure_namespace(store: Store, name: str) -> None:
    """An Active namespace, labelled as the API server labels it; fine if it exists."""
    with contextlib.suppress(AlreadyExists):
        store.create(
            "namespaces",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )


def bootstrap(store: Store) -> None:
    """The namespaces every Kubernetes cluster starts with."""
    for name in BOOTSTRAP_NAMESPACES:
        ensure_namespace(store, name)


class ControlPlane:
    """Store, runtime, controllers and the HTTP app, started and stopped together."""

    def __init__(
        self,
        home: Path,
        *,
        store: Store | None = None,
        runtime: Runtime | None = None,
        observations: ObservationLog | None = None,
        token: str | None = None,
        url: str | None = None,
        artifact_repository: str | None = None,
        warm_launchers: bool = True,
    ) -> None:
        """`url` is where clients reach the server (InferenceServices' `status.url` use it);
        `artifact_repository` is a URL every stored artifact is also uploaded to;
        `warm_launchers` starts pipeline tasks forked from a process with kfp imported."""
        self.paths = Paths(home)
        home.mkdir(parents=True, exist_ok=True)
        if observations is None:  # next to the objects: the same database, or memory
            observations = (
                MemoryObservationLog() if store else SQLiteObservationLog(self.paths.database)
            )
        self.observations = observations
        # KFP's pipelines, experiments and runs: the same database, or memory
        self.kfp_records: KfpRecordStore = (
            MemoryKfpRecords() if store else SQLiteKfpRecords(self.paths.database)
        )
        self.store = store or SQLiteStore(self.paths.database)
        environment = pod_env(self.paths)
        if artifact_repository:  # pipeline tasks upload there too (their default root)
            environment[REPOSITORY_ENV] = artifact_repository
        self.runtime = runtime or LocalRuntime(
            self.paths.runtime,
            pod_env=environment,
            warm=[LAUNCHER] if warm_launchers else [],
        )
        self.token = token
        self.recorder = EventRecorder(self.store)
        self.manager = Manager(self.store)
        self.manager.add(PodController(self.store, self.runtime, self.recorder))
        self.manager.add(NamespaceController(self.store, registry))
        self.manager.add(GarbageCollector(self.store, registry))
        self.services = ServiceResolver(self.store, self.runtime)
        self.manager.add(EndpointsController(self.store, self.services))
        self.manager.add(JobController(self.store))
        for controller in training_controllers(self.store, self.runtime, self.recorder):
            self.manager.add(controller)
        register_workflow_validation()
        self.workflows = WorkflowController(
            self.store,
            self.runtime,
            self.paths.home,
            self.recorder,
            artifact_repository=artifact_repository,
        )
        self.manager.add(self.workflows)
        self.manager.add(CronWorkflowController(self.store, self.recorder))
        # what the gateway counts is what the InferenceService autoscaler reads
        self.serving_traffic = ServingTraffic()
        self.inference_services = InferenceServiceController(
            self.store,
            gateway_url=url or f"https://{DEFAULT_HOST}:{DEFAULT_PORT}",
            recorder=self.recorder,
            traffic=self.serving_traffic,
        )
        self.manager.add(self.inference_services)
        self.tuning = TuningService(
            home, self.store, self.runtime, observations, self.manager, self.recorder
        )
        self.kfp = KfpPlatform(KfpBackend(self.store, self.kfp_records))
        # executions and lineage the pipeline launchers record: the same database, or memory
        self.pipeline_metadata: PipelineMetadata = (
            MemoryPipelineMetadata() if store else SQLitePipelineMetadata(self.paths.database)
        )
        authenticator = TokenAuthenticator({token: ADMIN}) if token else None
        self.app = create_app(
            store=self.store,
            runtime=self.runtime,
            authenticator=authenticator,
            observations=observations,
            serving_traffic=self.serving_traffic,
            kfp=self.kfp,
            artifacts=self.workflows.artifacts,
            pipeline_metadata=self.pipeline_metadata,
        )
        self.serving_grpc = GrpcGateway(self.app.state.gateway)

        self.local_gateway = LocalGateway(self.app.state.gateway)

    async def start(self) -> None:
        bootstrap(self.store)
        await self.tuning.start()
        await self._start_local_gateway()
        await self.manager.start()
        await self.kfp.start()

    async def _start_local_gateway(self) -> None:
        """The cluster-local gateway transformers reach their predictor through, on a
        loopback address kept for this data directory (so transformer pods adopted by
        the next `kflow up` still reach it), else on any free port."""
        for host in loopback_candidates(self.paths.home):
            with contextlib.suppress(OSError):
                address = await self.local_gateway.start(host, LOCAL_GATEWAY_PORT)
                break
        else:
            address = await self.local_gateway.start("127.0.0.1", 0)
        self.inference_services.local_gateway = address
        log.info("cluster-local serving gateway on %s", address)

    async def start_serving_grpc(self, host: str, port: int) -> str:
        """The gateway's V2 gRPC port: `port` if free, else any; returns `host:port`."""
        try:
            bound = await self.serving_grpc.start(host, port)
        except (OSError, RuntimeError):
            bound = await self.serving_grpc.start(host, 0)
        return f"{host}:{bound}"

    async def stop(self) -> None:
        await self.serving_grpc.stop()
        await self.kfp.stop()
        await self.manager.stop()
        await self.local_gateway.stop()
        await self.tuning.stop()
        self.kfp_records.close()
        self.pipeline_metadata.close()
        self.observations.close()
        self.store.close()


class _Server(uvicorn.Server):
    """uvicorn that also ends open watch streams when asked to stop.

    Without it a `kubectl get -w` would hold Ctrl-C hostage: uvicorn waits for open
    connections to finish, and a watch never finishes on its own.
    """

    def __init__(self, config: uvicorn.Config, *, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # uvicorn re-raises the signal once it has stopped, which for SIGTERM would end
        # the process before kflow stops its controllers and removes server.json
        self._captured_signals.clear()
        self._on_exit()


class _Lock:
    """One `kflow up` per data directory."""

    def __init__(self, path: Path) -> None:
        self.fh: TextIO = open(path, "a+")  # noqa: SIM115  (held for the process lifetime)
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.fh.close()
            raise SystemExit(
                f"kflow is already running on {path.parent} (see {path.parent / 'server.json'}); "
                "stop it first, or use another --home"
            ) from None


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SystemExit(
                    f"port {port} on {host} is already in use: choose another with --port"
                ) from None
            raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _configure_logging(paths: Paths) -> None:
    handler = logging.FileHandler(paths.log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    root.addHandler(console)


def run(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    home: Path | None = None,
    *,
    warm_launchers: bool = True,
    echo: Callable[[str], None] = print,
    artifact_repository: str | None = None,
) -> None:
    """Run the control plane in the foreground until Ctrl-C or SIGTERM."""
    paths = Paths((home or default_home()).expanduser().resolve())
    paths.home.mkdir(parents=True, exist_ok=True)
    lock = _Lock(paths.lock)
    _check_port(host, port)
    _configure_logging(paths)
    token = load_token(paths)
    ca, cert, key = ensure_certificates(paths.pki, host)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"https://{shown_host}:{port}"
    document = kubeconfig_document(url, token, ca.read_bytes())
    _write_private(paths.kubeconfig, yaml.safe_dump(document, sort_keys=False))
    plane = ControlPlane(
        paths.home,
        token=token,
        url=url,
        artifact_repository=artifact_repository,
        warm_launchers=warm_launchers,
    )

    async def main() -> None:
        await plane.start()
        # V2 gRPC to InferenceServices: next to the HTTPS port unless it is taken
        serving_grpc = await plane.start_serving_grpc(shown_host, port + 1)
        config = uvicorn.Config(
            plane.app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
            # streams that outlive the watch close (logs -f) are cut after this long
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        server = _Server(config, on_exit=plane.store.close_watches)
        info = {
            "url": url,
            "pid": os.getpid(),
            "token": token,
            "ca": str(ca),
            "version": __version__,
            "katibDBManager": plane.tuning.address,
            "servingGrpc": serving_grpc,
        }

        async def announce() -> None:
            # server.json tells clients the server is reachable: write it once it is
            while not server.started:
                if serving.done():
                    return
                await asyncio.sleep(0.01)
            _write_private(
                paths.server_info, orjson.dumps(info, option=orjson.OPT_INDENT_2).decode()
            )
            echo(f"kflow {__version__} is up at {url}")
            echo(f"  data:       {paths.home}")
            echo(
                f"  kubeconfig: {paths.kubeconfig}   (kubectl --kubeconfig {paths.kubeconfig} get pods)"
            )
            echo(f"  katib db:   {plane.tuning.address}   (Katib's DB manager API)")
            echo(f"  model gRPC: {serving_grpc}   (InferenceServices over V2 gRPC)")
            echo(
                f"  pipelines:  {url}/apis/v2beta1   (kfp.Client(host=..., existing_token=..., "
                "ssl_ca_cert=...) from server.json)"
            )
            echo(
                "Press Ctrl-C to stop; running pods keep running and are adopted on the next start."
            )

        serving = asyncio.ensure_future(server.serve())
        announcing = asyncio.ensure_future(announce())
        try:
            await serving
            await announcing
        finally:
            await plane.stop()
            with contextlib.suppress(FileNotFoundError):
                paths.server_info.unlink()
            running = [uid for uid in plane.runtime.known_pods() if _running(plane.runtime, uid)]
            echo(
                f"kflow stopped; {len(running)} pod(s) still running will be adopted by the next `kflow up`."
                if running
                else "kflow stopped."
            )

    try:
        asyncio.run(main())
    finally:
        lock.fh.close()


def _running(runtime: Runtime, uid: str) -> bool:
    status = runtime.pod_status(uid)
    return bool(status and status.get("phase") in ("Pending", "Running"))
