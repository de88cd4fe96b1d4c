"""The conformance suite against the in-memory adapter."""

from __future__ import annotations

from pathlib import Path

from kflow.store.interface import Store
from kflow.store.memory import MemoryStore

from .conformance import StoreConformance


class TestMemoryStore(StoreConformance):
    def make_store(self, tmp_path: Path) -> Store:
        return MemoryStore()
