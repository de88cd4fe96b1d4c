"""The record a workflow node keeps of an artifact it stored (`outputs.artifacts[].kflow`).

    kflow: {key: "sha256:3ad1…", size: 152, archive: tgz, directory: true, packed: false,
            uri: "s3://bucket/kflow/blobs/sha256/3a/3ad1…"}

`key` is the content digest (`kflow.artifacts.digests`), `size` the bytes of its
file(s), `archive` what the template asked for (`tgz`, `tar`, `none`: how a download
of it is packed), `uri` where the artifact repository has it, when one is set.
Records written before the store was shared have no `packed` field: their blob is
the archive itself (`packed` true unless it was a plain file kept with `none`), and
their key is the archive's digest, so they still load.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class StoredArtifact:
    """Where a saved artifact's content is, and what it is."""

    key: str  # "sha256:<hex>" of the content (or, for a packed record, of the archive)
    size: int  # bytes of the content
    archive: str  # "tgz", "tar" or "none": Argo's `archive` choice for this artifact
    directory: bool  # the artifact is a directory
    packed: bool = False  # the blob is a tar/tgz archive (records of the old layout)
    uri: str = ""  # the artifact repository's copy, when there is one

    def to_json(self) -> dict[str, Any]:
        body = dataclasses.asdict(self)
        if not self.uri:
            body.pop("uri")
        return body

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredArtifact:
        archive = str(data.get("archive") or "tgz")
        directory = bool(data.get("directory"))
        packed = data.get("packed")
        return cls(
            key=str(data["key"]),
            size=int(data.get("size") or 0),
            archive=archive,
            directory=directory,
            packed=bool(packed) if packed is not None else (archive != "none" or directory),
            uri=str(data.get("uri") or ""),
        )
