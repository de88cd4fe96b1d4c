"""The content-addressed artifact store and the cache key's rules."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kflow.artifacts import ArtifactStore, digest
from kflow.pipelines import caching
from kflow.pipelines.errors import PipelineError
from kflow.pipelines.metadata import Execution, ExecutionState


def test_identical_outputs_are_stored_once_by_a_rename(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    first = store.staging() / "model"
    first.write_text("weights")
    inode = first.stat().st_ino
    stored, found = store.put(first)
    assert stored.stat().st_ino == inode  # moved, not copied
    assert found == digest(stored) and stored == store.path_of(found)
    second = store.staging() / "other-name"
    second.write_text("weights")
    again, same = store.put(second)
    assert (again, same) == (stored, found) and not second.exists()
    assert not stored.stat().st_mode & 0o222  # read-only
    assert store.has(found)


def test_directories_hash_by_their_tree_and_missing_outputs_are_empty(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    for name in ("a", "b"):
        tree = store.staging() / name
        (tree / "sub").mkdir(parents=True)
        (tree / "sub" / "x.txt").write_text("x")
        (tree / "y.txt").write_text("y")
    trees = sorted((tmp_path / "artifacts" / "staging").glob("*/*"))
    assert digest(trees[0]) == digest(trees[1])
    stored, _ = store.put(trees[0])
    assert (stored / "sub" / "x.txt").read_text() == "x"
    nothing, found = store.put(store.staging() / "metrics")
    assert nothing.read_bytes() == b"" and found.endswith(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


SPEC: dict[str, Any] = {
    "component": {"inputDefinitions": {"parameters": {"n": {"parameterType": "NUMBER_INTEGER"}}}},
    "executor": {
        "container": {"image": "python:3.11", "command": ["python3"], "args": ["-c", "x"]}
    },
    "cache": {"enabled": True, "key": ""},
}


def test_the_cache_key_reads_contents_not_names() -> None:
    data = {"data": [{"name": "a", "uri": "/s/1", "digest": "sha256:1"}]}
    renamed = {"data": [{"name": "b", "uri": "/elsewhere", "digest": "sha256:1"}]}
    changed = {"data": [{"name": "a", "uri": "/s/1", "digest": "sha256:2"}]}
    key = caching.cache_key(SPEC, {"n": 1}, data)
    assert caching.cache_key(SPEC, {"n": 1}, renamed) == key
    assert caching.cache_key(SPEC, {"n": 1}, changed) != key
    assert caching.cache_key(SPEC, {"n": 2}, data) != key
    other_image = {
        **SPEC,
        "executor": {"container": {**SPEC["executor"]["container"], "image": "py:3"}},
    }
    assert caching.cache_key(other_image, {"n": 1}, data) != key
    custom = {**SPEC, "cache": {"enabled": True, "key": "v1"}}
    assert caching.cache_key(custom, {"n": 1}, data) == caching.cache_key(custom, {"n": 9}, {})


def test_switches_and_staleness() -> None:
    assert caching.enabled(SPEC)
    assert not caching.enabled({**SPEC, "enableCaching": False})
    assert caching.enabled({**SPEC, "cache": {"enabled": False}, "enableCaching": True})
    assert caching.staleness(SPEC, {}) is None
    assert caching.staleness(SPEC, {"KFLOW_MAX_CACHE_STALENESS": "PT1H"}) == 3600
    assert (
        caching.staleness(
            {**SPEC, "maxCacheStaleness": "P1D"}, {"KFLOW_MAX_CACHE_STALENESS": "PT1H"}
        )
        == 86400
    )
    on_task = {
        **SPEC,
        "executor": {"container": {"env": [{"name": "KFLOW_MAX_CACHE_STALENESS", "value": "P0D"}]}},
    }
    assert caching.staleness(on_task, {}) == 0
    assert (
        caching.staleness_seconds("P1W2DT3H4M5.5S")
        == 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5.5
    )
    with pytest.raises(PipelineError, match="expected an ISO 8601 duration"):
        caching.staleness_seconds("30 days")


def test_a_hit_needs_its_artifacts_still_there(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.write_text("x")
    hit = Execution(
        "e",
        "r",
        "run",
        "p",
        "t",
        ExecutionState.SUCCEEDED,
        time.time(),
        outputs={"artifacts": {"a": {"uri": str(kept)}, "remote": {"uri": "gs://b/o"}}},
    )
    assert caching.still_there(hit)
    kept.unlink()
    assert not caching.still_there(hit)
