"""One content-addressed artifact store for every workflow step and pipeline task.

Argo steps' output artifacts and logs (the workflow controller) and KFP tasks'
artifacts (the pipeline launcher, inside each task's pod) are kept here, under
`$KFLOW_HOME/artifacts`, each named by the SHA-256 of its content: the same bytes
are stored once, whoever made them. A pure layer (standard library; fsspec only for
an artifact repository URL) that `kflow.pipelines` and `kflow.controllers` both use.

- `digests`: what an artifact's content digest is (a file's bytes, a directory's tree);
- `store`: the local store — content moved or linked in, linked out, read-only;
- `stored`: the record a workflow node keeps of a stored artifact;
- `packing`: Argo's `archive` choices and deterministic tar/tgz (downloads, old blobs);
- `remote`: an artifact repository or pipeline root (`s3://`, `gs://`, `file://`, ...)
  that every stored artifact is also uploaded to, through fsspec.
"""

from kflow.artifacts.digests import EMPTY_DIGEST, digest
from kflow.artifacts.packing import archive_of
from kflow.artifacts.remote import ArtifactRepositoryError, RemoteRoot
from kflow.artifacts.store import ArtifactStore
from kflow.artifacts.stored import StoredArtifact

__all__ = [
    "EMPTY_DIGEST",
    "ArtifactRepositoryError",
    "ArtifactStore",
    "RemoteRoot",
    "StoredArtifact",
    "archive_of",
    "digest",
]
