"""Pipeline packages: what `upload_pipeline` sends and what a run's `pipeline_spec` holds.

A package is a YAML (or JSON) file, alone or as the one file of a `.tar.gz`/`.tgz`
or `.zip`, holding one of two templates, as KFP's API server tells them apart:

- a KFP v2 pipeline spec (the IR `kfp.compiler` writes: `pipelineInfo`, `root`,
  `components`, ...), optionally followed by a second YAML document, the platform
  spec;
- an Argo `Workflow` (`argoproj.io/v1alpha1`), what the KFP v1 compiler wrote.

`read_package` opens an uploaded file; `from_struct` reads the `pipeline_spec`
struct of a run or recurring run (`kfp.Client` sends the IR, or
`{"pipeline_spec": ..., "platform_spec": ...}` when there is a platform spec).
"""

from __future__ import annotations

import dataclasses
import io
import re
import tarfile
import zipfile
from typing import Any

import yaml

from kflow.api.kfp.errors import InvalidArgument

MAX_PACKAGE_BYTES = 32 << 20  # "Maximum size of 32MB is supported", as the upload API says
V2 = "v2"
ARGO = "argo"
_PIPELINE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
_ARCHIVE_MEMBER = re.compile(r".*\.(ya?ml|json)$")


@dataclasses.dataclass(frozen=True)
class Package:
    """A pipeline template: its kind, its documents and the name it declares."""

    kind: str  # V2 or ARGO
    spec: dict[str, Any]  # the pipeline spec (V2) or the Workflow (ARGO)
    platform_spec: dict[str, Any] | None = None  # V2 only

    @property
    def name(self) -> str:
        """The name the template declares: `pipelineInfo.name`, or the workflow's name."""
        if self.kind == V2:
            return str((self.spec.get("pipelineInfo") or {}).get("name") or "")
        meta = self.spec.get("metadata") or {}
        return str(meta.get("name") or str(meta.get("generateName") or "").rstrip("-"))

    def struct(self) -> dict[str, Any]:
        """The `pipeline_spec` field of a version or run, as KFP's API renders it."""
        if self.platform_spec:
            return {"pipeline_spec": self.spec, "platform_spec": self.platform_spec}
        return self.spec


def read_package(filename: str, data: bytes) -> Package:
    """The template in an uploaded file; InvalidArgument saying what is wrong with it."""
    if len(data) > MAX_PACKAGE_BYTES:
        raise InvalidArgument(
            f"The pipeline package is {len(data)} bytes; the maximum is {MAX_PACKAGE_BYTES}"
        )
    lower = filename.lower()
    if lower.endswith((".tar.gz", ".tgz")):
        data = _from_tarball(data)
    elif lower.endswith(".zip"):
        data = _from_zip(data)
    elif not lower.endswith((".yaml", ".yml", ".json")):
        raise InvalidArgument(
            f'Unexpected pipeline file format "{filename}": support .zip, .tar.gz, .tgz, '
            ".yaml, .yml or .json"
        )
    try:
        documents = [d for d in yaml.safe_load_all(data.decode("utf-8")) if d is not None]
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"The pipeline file is not valid YAML: {exc}") from None
    if not documents:
        raise InvalidArgument("The pipeline file is empty")
    return _template(documents)


def from_struct(struct: Any, field: str = "pipeline_spec") -> Package:
    """The template in a run's `pipeline_spec` struct."""
    if not isinstance(struct, dict) or not struct:
        raise InvalidArgument(f"{field} must be a non-empty JSON object (a compiled pipeline)")
    if "pipeline_spec" in struct and isinstance(struct["pipeline_spec"], dict):
        return _template([struct["pipeline_spec"], struct.get("platform_spec") or {}])
    return _template([struct])


def _template(documents: list[Any]) -> Package:
    first = documents[0]
    if not isinstance(first, dict):
        raise InvalidArgument("The pipeline file must hold a YAML mapping")
    if str(first.get("apiVersion", "")).startswith("argoproj.io/"):
        if first.get("kind") != "Workflow":
            raise InvalidArgument(
                f"Unsupported Argo kind {first.get('kind')!r}: a v1 pipeline package is an Argo Workflow"
            )
        if len(documents) > 1:
            raise InvalidArgument("An Argo Workflow package must hold a single YAML document")
        return Package(ARGO, first)
    if "root" not in first or "pipelineInfo" not in first:
        raise InvalidArgument(
            "Failed to parse the pipeline: it is neither a KFP pipeline spec "
            "(no pipelineInfo and root) nor an Argo Workflow"
        )
    platform: dict[str, Any] = {}
    for extra in documents[1:]:
        if not isinstance(extra, dict):
            raise InvalidArgument("The platform spec document must be a YAML mapping")
        platform.update(extra)
    package = Package(V2, first, platform or None)
    if not _PIPELINE_NAME.match(package.name):
        raise InvalidArgument(
            f'pipelineInfo.name "{package.name}" is invalid: a pipeline name must be 1-128 '
            "lowercase letters, digits or '-', starting with a letter or digit"
        )
    return package


def _from_tarball(data: bytes) -> bytes:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            return _one_member(
                [m.name for m in members],
                lambda name: tar.extractfile(name).read(),  # type: ignore[union-attr]
            )
    except (tarfile.TarError, OSError, EOFError):
        raise InvalidArgument("Not a valid tarball file: the package could not be read") from None


def _from_zip(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [i.filename for i in archive.infolist() if not i.is_dir()]
            return _one_member(names, archive.read)
    except zipfile.BadZipFile:
        raise InvalidArgument("Not a valid zip file: the package could not be read") from None


def _one_member(names: list[str], read: Any) -> bytes:
    candidates = [n for n in names if _ARCHIVE_MEMBER.match(n.lower())]
    if "pipeline.yaml" in candidates:
        candidates = ["pipeline.yaml"]
    if len(candidates) != 1:
        raise InvalidArgument(
            "Invalid package: it must hold exactly one pipeline YAML file "
            f"(found {len(candidates)}: {', '.join(candidates) or 'none'})"
        )
    data: bytes = read(candidates[0])
    return data
