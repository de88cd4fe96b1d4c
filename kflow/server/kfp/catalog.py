"""Pipelines and pipeline versions: KFP's catalog of templates.

A pipeline is a name (unique in its namespace; "" is the shared one) holding
versions; a version is one uploaded template (`kflow.api.kfp.packages`), its name
unique in its pipeline. Uploading a pipeline creates both, named as KFP names them:
the `name` query, else `display_name`, else the file's name (`kfp.Client` sends the
pipeline spec's own name). A pipeline with versions is only deleted with `cascade`.
"""

from __future__ import annotations

from typing import Any

from kflow.api.kfp import listing
from kflow.api.kfp.errors import AlreadyExists, InvalidArgument, NotFound
from kflow.api.kfp.packages import Package
from kflow.server.kfp.backend import KfpBackend, render
from kflow.store.kfp_records import Record, RecordExists, RecordKind

PIPELINE = RecordKind.PIPELINE
VERSION = RecordKind.PIPELINE_VERSION

PIPELINES = listing.Listing(
    "Pipeline",
    "pipeline_id",
    {
        "pipeline_id": listing.field("pipeline_id"),
        "id": listing.field("pipeline_id"),
        "name": listing.field("name"),
        "display_name": listing.field("display_name"),
        "description": listing.field("description"),
        "created_at": listing.field("created_at", 0),
        "namespace": listing.field("namespace"),
    },
)
VERSIONS = listing.Listing(
    "PipelineVersion",
    "pipeline_version_id",
    {
        "pipeline_version_id": listing.field("pipeline_version_id"),
        "id": listing.field("pipeline_version_id"),
        "name": listing.field("name"),
        "display_name": listing.field("display_name"),
        "description": listing.field("description"),
        "created_at": listing.field("created_at", 0),
        "pipeline_id": listing.field("pipeline_id"),
    },
)


def pipeline_json(record: Record) -> Record:
    return render(record, ("created_at",))


def version_json(record: Record) -> Record:
    out = render(record, ("created_at",), hidden=("_package",))
    out["pipeline_spec"] = stored_package(record).struct()
    return out


def stored_package(version: Record) -> Package:
    raw = version["_package"]
    return Package(raw["kind"], raw["spec"], raw.get("platform_spec"))


def _package_record(package: Package) -> dict[str, Any]:
    return {"kind": package.kind, "spec": package.spec, "platform_spec": package.platform_spec}


def _tags(raw: Any) -> dict[str, str]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise InvalidArgument("tags must be a JSON object with string keys and values")
    return dict(raw)


class Catalog:
    """Pipelines and their versions."""

    def __init__(self, backend: KfpBackend) -> None:
        self.backend = backend
        self.records = backend.records

    # -- pipelines ------------------------------------------------------------------

    def create_pipeline(
        self,
        *,
        name: str,
        display_name: str = "",
        description: str = "",
        namespace: str = "",
        tags: Any = None,
    ) -> Record:
        name = name or display_name
        if not name:
            raise InvalidArgument("pipeline's name cannot be empty")
        record: Record = {
            "pipeline_id": self.backend.new_id(),
            "name": name,
            "display_name": display_name or name,
            "description": description,
            "created_at": self.backend.now(),
            "namespace": namespace,
            "tags": _tags(tags),
        }
        try:
            self.records.insert(
                PIPELINE, record["pipeline_id"], record, unique=f"{namespace}/{name}"
            )
        except RecordExists:
            raise AlreadyExists(
                f"Failed to create a pipeline: a pipeline named {name!r} already exists "
                f"in namespace {namespace!r}; choose another name or upload a version of it"
            ) from None
        return record

    def create_pipeline_and_version(
        self,
        package: Package,
        *,
        name: str = "",
        display_name: str = "",
        description: str = "",
        namespace: str = "",
        tags: Any = None,
        code_source_url: str = "",
    ) -> tuple[Record, Record]:
        name = name or package.name
        pipeline = self.create_pipeline(
            name=name,
            display_name=display_name,
            description=description,
            namespace=namespace,
            tags=tags,
        )
        try:
            version = self.create_version(
                pipeline["pipeline_id"],
                package,
                name=name,
                display_name=display_name,
                description=description,
                code_source_url=code_source_url,
            )
        except BaseException:
            self.records.delete(PIPELINE, pipeline["pipeline_id"])
            raise
        return pipeline, version

    def get_pipeline(self, pipeline_id: str) -> Record:
        record = self.records.get(PIPELINE, pipeline_id)
        if record is None:
            raise NotFound(f"Pipeline {pipeline_id} not found")
        return record

    def get_pipeline_by_name(self, name: str, namespace: str = "") -> Record:
        record = self.records.find(PIPELINE, f"{namespace}/{name}")
        if record is None:
            raise NotFound(f"Pipeline named {name!r} not found in namespace {namespace!r}")
        return record

    def list_pipelines(self, namespace: str = "") -> list[Record]:
        return [r for r in self.records.list(PIPELINE) if r.get("namespace", "") == namespace]

    def delete_pipeline(self, pipeline_id: str, *, cascade: bool = False) -> None:
        self.get_pipeline(pipeline_id)
        versions = self.records.list(VERSION, parent=pipeline_id)
        if versions and not cascade:
            raise InvalidArgument(
                f"Failed to delete pipeline with id {pipeline_id} as it has existing pipeline "
                f"versions (e.g. {versions[-1]['pipeline_version_id']}). "
                "Set cascade=true to delete all versions"
            )
        for version in versions:
            self.records.delete(VERSION, version["pipeline_version_id"])
        self.records.delete(PIPELINE, pipeline_id)

    # -- versions -------------------------------------------------------------------

    def create_version(
        self,
        pipeline_id: str,
        package: Package,
        *,
        name: str = "",
        display_name: str = "",
        description: str = "",
        code_source_url: str = "",
        package_url: str = "",
        tags: Any = None,
    ) -> Record:
        self.get_pipeline(pipeline_id)
        name = name or display_name or package.name
        if not name:
            raise InvalidArgument("pipeline version's name cannot be empty")
        record: Record = {
            "pipeline_id": pipeline_id,
            "pipeline_version_id": self.backend.new_id(),
            "name": name,
            "display_name": display_name or name,
            "description": description,
            "created_at": self.backend.now(),
            "code_source_url": code_source_url,
            "package_url": {"pipeline_url": package_url} if package_url else {},
            "tags": _tags(tags),
            "_package": _package_record(package),
        }
        try:
            self.records.insert(
                VERSION,
                record["pipeline_version_id"],
                record,
                parent=pipeline_id,
                unique=f"{pipeline_id}/{name}",
            )
        except RecordExists:
            raise AlreadyExists(
                f"Failed to create a pipeline version: pipeline {pipeline_id} already has a "
                f"version named {name!r}"
            ) from None
        return record

    def get_version(self, pipeline_id: str, version_id: str) -> Record:
        record = self.records.get(VERSION, version_id)
        if record is None or (pipeline_id and record["pipeline_id"] != pipeline_id):
            raise NotFound(f"Pipeline version {version_id} not found in pipeline {pipeline_id}")
        return record

    def latest_version(self, pipeline_id: str) -> Record:
        versions = self.records.list(VERSION, parent=pipeline_id)
        if not versions:
            raise NotFound(f"Pipeline {pipeline_id} has no versions")
        return max(versions, key=lambda v: (v["created_at"], versions.index(v)))

    def list_versions(self, pipeline_id: str) -> list[Record]:
        self.get_pipeline(pipeline_id)
        return self.records.list(VERSION, parent=pipeline_id)

    def delete_version(self, pipeline_id: str, version_id: str) -> None:
        self.get_version(pipeline_id, version_id)
        self.records.delete(VERSION, version_id)
