"""ObjectMeta and the references every object may carry."""

from __future__ import annotations

from pydantic import Field

from kflow.api.models.base import K8sModel, StrMap


class OwnerReference(K8sModel):
    """An object this one belongs to; deleting the owner deletes this one."""

    definition = "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference"

    apiVersion: str = Field(description="API version of the referent.")
    kind: str = Field(description="Kind of the referent.")
    name: str = Field(description="Name of the referent.")
    uid: str = Field(description="UID of the referent.")
    controller: bool | None = Field(
        None, description="If true, this reference points to the managing controller."
    )
    blockOwnerDeletion: bool | None = Field(
        None,
        description="If true, the owner cannot be deleted (foreground) until this reference is removed.",
    )


class ObjectMeta(K8sModel):
    """Standard object metadata: name, namespace, labels, ownership and bookkeeping."""

    definition = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    closed = True

    name: str | None = Field(None, description="Name must be unique within a namespace.")
    generateName: str | None = Field(
        None, description="Prefix used to generate a unique name when name is not given."
    )
    namespace: str | None = Field(None, description="Namespace the object lives in.")
    uid: str | None = Field(None, description="Unique, server-set identifier (read-only).")
    resourceVersion: str | None = Field(
        None, description="Opaque version of this object, for optimistic concurrency and watches."
    )
    generation: int | None = Field(
        None, description="Sequence number of the desired state (read-only)."
    )
    creationTimestamp: str | None = Field(
        None, description="When the object was created (RFC 3339, read-only)."
    )
    deletionTimestamp: str | None = Field(
        None,
        description="When the object will be deleted, once its finalizers are done (read-only).",
    )
    deletionGracePeriodSeconds: int | None = Field(
        None, description="Seconds allowed for graceful termination before removal."
    )
    labels: StrMap | None = Field(
        None, description="Key/value pairs for selecting and organizing objects."
    )
    annotations: StrMap | None = Field(None, description="Unstructured key/value data for tools.")
    ownerReferences: list[OwnerReference] | None = Field(
        None, description="Objects this object depends on; it is garbage-collected with them."
    )
    finalizers: list[str] | None = Field(
        None, description="Must be empty before the object is removed from the store."
    )
    managedFields: list[dict[str, object]] | None = Field(
        None, description="Which manager set which fields (server-side apply bookkeeping)."
    )
    selfLink: str | None = Field(None, description="Deprecated; not set.")
