"""A live loopback API server that the real kubectl applies seed YAMLs to (module scope)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kflow.controlplane import bootstrap
from kflow.server.app import create_app
from kflow.store.memory import MemoryStore
from tests.server.conftest import Live
from tests.server.support import write_kubeconfig
from tests.support import FakeRuntime, LiveServer


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    store = MemoryStore()
    bootstrap(store)
    app = create_app(store=store, runtime=FakeRuntime())
    home = tmp_path_factory.mktemp("kubectl-seeds")
    try:
        with LiveServer(app) as server:
            kubeconfig = write_kubeconfig(home / "kubeconfig", server.url, None)
            yield Live(server, store, FakeRuntime(), kubeconfig, home)
    finally:
        store.close()
