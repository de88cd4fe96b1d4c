"""Storage URIs resolve to local files: paths, file://, pvc:// against the claims root."""

from __future__ import annotations

from pathlib import Path

import pytest

from kflow.serving import ModelConfig, storage
from kflow.serving.errors import ModelLoadError
from kflow.serving.repository import ServedModel

from .conftest import save_sklearn


def test_local_path_and_file_uri(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    assert storage.resolve(str(tmp_path / "m")) == (tmp_path / "m").resolve()
    assert storage.resolve(f"file://{tmp_path}/m") == (tmp_path / "m").resolve()
    assert not storage.is_remote(f"file://{tmp_path}") and storage.is_remote("s3://bucket/m")


def test_pvc_uri_is_a_directory_under_the_claims_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "models" / "mnist").mkdir(parents=True)
    assert (
        storage.resolve("pvc://models/mnist", claims_root=tmp_path)
        == (tmp_path / "models" / "mnist").resolve()
    )
    monkeypatch.setenv("KFLOW_HOME", str(tmp_path / "home"))
    assert storage.default_claims_root() == tmp_path / "home" / "runtime" / "volumes" / "default"


def test_missing_things_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"pvc://models/nope: no such file or directory"):
        storage.resolve("pvc://models/nope", claims_root=tmp_path)
    with pytest.raises(ModelLoadError, match="pvc://<claim>/<path>"):
        storage.resolve("pvc:///x", claims_root=tmp_path)


def test_a_model_served_from_a_claim(tmp_path: Path, sklearn_model: object) -> None:
    import asyncio

    save_sklearn(sklearn_model, tmp_path / "claims" / "models" / "digits", 1)

    async def go() -> int:
        model = ServedModel(
            ModelConfig("digits", "pvc://models/digits", claims_root=tmp_path / "claims")
        )
        await model.poll()
        return model.resolve().version

    assert asyncio.run(go()) == 1
