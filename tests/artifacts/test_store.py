"""kflow's one artifact store: content stored once, linked in and out, read-only, and
uploaded to a repository URL through fsspec (its `memory://` filesystem here)."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import uuid
from pathlib import Path

import fsspec
import pytest

from kflow.artifacts import ArtifactStore, RemoteRoot, StoredArtifact, digest
from kflow.artifacts.packing import pack


def test_a_step_s_output_and_a_task_s_output_with_one_content_are_one_blob(
    tmp_path: Path,
) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    scratch = tmp_path / "node" / "tmp"
    scratch.mkdir(parents=True)
    (scratch / "model.bin").write_text("weights")
    saved = store.save(scratch / "model.bin", "tgz", link=True)
    blob = store.path_of(saved.key)
    assert blob.stat().st_ino == (scratch / "model.bin").stat().st_ino  # linked in, not copied
    assert not blob.stat().st_mode & 0o222  # read-only
    assert saved == StoredArtifact(saved.key, 7, "tgz", False)
    staged = store.staging() / "model"
    staged.write_text("weights")
    stored, found = store.put(staged)
    assert (stored, found) == (blob, saved.key) and not staged.exists()
    assert [p for p in (tmp_path / "artifacts" / "blobs").rglob("*") if p.is_file()] == [blob]
    kept = tmp_path / "volume.txt"  # a user's file is copied: their later edits stay theirs
    kept.write_text("mine")
    copy = store.save(kept, "none")
    assert store.path_of(copy.key).stat().st_ino != kept.stat().st_ino


def test_an_input_is_hard_links_to_the_store_unless_it_sets_a_mode(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    tree = tmp_path / "out"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "a.txt").write_text("a")
    (tree / "b.txt").write_text("b")
    saved = store.save(tree, "tgz")
    assert saved.key == digest(tree) and saved.directory and saved.size == 2
    blob = store.path_of(saved.key)
    dest = tmp_path / "pod" / "in"
    store.load(saved, dest)
    assert (dest / "sub" / "a.txt").stat().st_ino == (blob / "sub" / "a.txt").stat().st_ino
    mount = tmp_path / "mount"  # into an existing directory: its contents
    mount.mkdir()
    store.load(saved, mount)
    assert sorted(p.name for p in mount.iterdir()) == ["b.txt", "sub"]
    own = tmp_path / "own"
    store.load(saved, own, mode=0o755)
    assert (own / "b.txt").stat().st_ino != (blob / "b.txt").stat().st_ino
    assert (own / "b.txt").stat().st_mode & 0o777 == 0o755
    assert (blob / "b.txt").stat().st_mode & 0o222 == 0
    with tarfile.open(fileobj=io.BytesIO(store.pack(saved)), mode="r:gz") as packed:
        names = packed.getnames()
    assert sorted(names) == [
        "artifact",
        "artifact/b.txt",
        "artifact/sub",
        "artifact/sub/a.txt",
    ]


def test_blobs_of_the_earlier_layouts_are_still_read(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    store = ArtifactStore(root)
    # a pipeline artifact of the old layout: <root>/sha256/<ab>/<hex>
    hex_ = hashlib.sha256(b"old").hexdigest()
    (root / "sha256" / hex_[:2]).mkdir(parents=True)
    (root / "sha256" / hex_[:2] / hex_).write_bytes(b"old")
    assert store.has(f"sha256:{hex_}") and store.read_bytes(f"sha256:{hex_}") == b"old"
    # a workflow output of the old layout: the tgz itself, keyed by the archive's digest
    source = tmp_path / "dir"
    source.mkdir()
    (source / "f.txt").write_text("f")
    archive = pack(source, "tgz")
    key = "sha256:" + hashlib.sha256(archive).hexdigest()
    old = root / "blobs" / "sha256" / key[7:9] / key[7:]
    old.parent.mkdir(parents=True)
    old.write_bytes(archive)
    record = {"key": key, "size": len(archive), "archive": "tgz", "directory": True}
    stored = StoredArtifact.from_json(record)
    assert stored.packed
    store.load(stored, tmp_path / "loaded")
    assert (tmp_path / "loaded" / "f.txt").read_text() == "f"
    assert gzip.decompress(store.pack(stored))  # served as it was stored


def test_a_repository_url_gets_each_artifact_once_and_gives_it_back(tmp_path: Path) -> None:
    url = f"memory://kflow-test-{uuid.uuid4().hex}"
    remote = RemoteRoot(url)
    store = ArtifactStore(tmp_path / "a", remote)
    tree = tmp_path / "out"
    tree.mkdir()
    (tree / "x.txt").write_text("x")
    saved = store.save(tree, "tgz")
    hex_ = saved.key.removeprefix("sha256:")
    assert saved.uri == f"{url}/blobs/sha256/{hex_[:2]}/{hex_}"
    fs = fsspec.filesystem("memory")
    assert fs.cat_file(f"{saved.uri}/x.txt") == b"x"
    log = store.save_bytes(b"a log\n")
    assert fs.cat_file(log.uri) == b"a log\n"
    uploads: list[tuple[object, ...]] = []
    put_file = remote.fs.put_file
    remote.fs.put_file = lambda *args, **kw: uploads.append(args) or put_file(*args, **kw)
    assert store.save_bytes(b"a log\n").uri == log.uri and not uploads  # there: not again
    fs.rm(log.uri)
    store.save_bytes(b"a log\n")  # the repository lost it: uploaded again
    assert len(uploads) == 1 and fs.cat_file(log.uri) == b"a log\n"
    # another machine's store (empty) fetches what it lacks from the repository
    other = ArtifactStore(tmp_path / "b", RemoteRoot(url))
    other.load(saved, tmp_path / "fetched")
    assert (tmp_path / "fetched" / "x.txt").read_text() == "x"
    assert other.has(saved.key)
    with pytest.raises(FileNotFoundError, match="is not in the store"):
        other.read_bytes("sha256:" + "0" * 64)
    with pytest.raises(ValueError, match="not an artifact digest"):
        other.path_of("md5:abc")


def test_a_symlink_in_scratch_space_is_copied_never_linked(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "kept.txt").write_text("the user's")
    scratch = tmp_path / "scratch"
    (scratch / "tree").mkdir(parents=True)
    (scratch / "tree" / "link.txt").symlink_to(volume / "kept.txt")
    (scratch / "out").symlink_to(volume)
    for saved in (store.save(scratch / "tree", link=True), store.save(scratch / "out", link=True)):
        blob = store.path_of(saved.key)
        stored = next(p for p in blob.rglob("*") if p.is_file())
        assert stored.read_text() == "the user's"
        assert stored.stat().st_ino != (volume / "kept.txt").stat().st_ino
    assert (volume / "kept.txt").stat().st_mode & 0o200  # still the user's, still writable
