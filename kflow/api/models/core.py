"""Typed models of the core `v1` kinds, for the parts kflow reads.

Only the fields the runtime and controllers use are declared (with descriptions, for
`kubectl explain`); everything else a user writes is kept because every model allows
extra fields. Enum-valued fields use `enum.Enum` so the schema lists the allowed
values and admission can quote them back.
"""

from __future__ import annotations

import enum

from pydantic import Field

from kflow.api.models.base import IntOrString, K8sModel, Quantity, StrMap
from kflow.api.models.meta import ObjectMeta


class RestartPolicy(str, enum.Enum):
    """What happens to a pod's containers when they exit."""

    ALWAYS = "Always"  # restart whatever the exit code
    ON_FAILURE = "OnFailure"  # restart on a non-zero exit code only
    NEVER = "Never"  # never restart; the pod ends Succeeded or Failed


class Protocol(str, enum.Enum):
    """Transport protocol of a port."""

    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


class PullPolicy(str, enum.Enum):
    """When the image is pulled (kflow records the image and never pulls it)."""

    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"


class ServiceType(str, enum.Enum):
    """How a Service is exposed."""

    CLUSTER_IP = "ClusterIP"  # a virtual address inside the cluster (locally: loopback)
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"
    EXTERNAL_NAME = "ExternalName"


# --- env --------------------------------------------------------------------------


class ObjectFieldSelector(K8sModel):
    """Selects a field of the pod (downward API)."""

    definition = "io.k8s.api.core.v1.ObjectFieldSelector"

    fieldPath: str = Field(description="Path of the field, e.g. metadata.name or status.podIP.")
    apiVersion: str | None = Field(
        None, description='Version of the schema fieldPath is written in ("v1").'
    )


class ResourceFieldSelector(K8sModel):
    """Selects a container resource (limits.cpu, requests.memory, ...)."""

    definition = "io.k8s.api.core.v1.ResourceFieldSelector"

    resource: str = Field(description="Resource to select, e.g. limits.cpu.")
    containerName: str | None = Field(
        None, description="Container name; defaults to this container."
    )
    divisor: Quantity | None = Field(
        None, description="Output format of the exposed value; defaults to 1."
    )


class ConfigMapKeySelector(K8sModel):
    """Selects one key of a ConfigMap."""

    definition = "io.k8s.api.core.v1.ConfigMapKeySelector"

    name: str | None = Field(None, description="Name of the ConfigMap in the pod's namespace.")
    key: str = Field(description="The key to select.")
    optional: bool | None = Field(
        None, description="If true, a missing ConfigMap or key is not an error."
    )


class SecretKeySelector(K8sModel):
    """Selects one key of a Secret."""

    definition = "io.k8s.api.core.v1.SecretKeySelector"

    name: str | None = Field(None, description="Name of the Secret in the pod's namespace.")
    key: str = Field(description="The key to select.")
    optional: bool | None = Field(
        None, description="If true, a missing Secret or key is not an error."
    )


class EnvVarSource(K8sModel):
    """Where an environment variable's value comes from; exactly one field is set."""

    definition = "io.k8s.api.core.v1.EnvVarSource"

    fieldRef: ObjectFieldSelector | None = Field(None, description="A field of the pod.")
    resourceFieldRef: ResourceFieldSelector | None = Field(
        None, description="A resource of the container (limits or requests)."
    )
    configMapKeyRef: ConfigMapKeySelector | None = Field(None, description="A key of a ConfigMap.")
    secretKeyRef: SecretKeySelector | None = Field(None, description="A key of a Secret.")


class EnvVar(K8sModel):
    """An environment variable of a container."""

    definition = "io.k8s.api.core.v1.EnvVar"

    name: str = Field(description="Name of the variable.")
    value: str | None = Field(None, description="Literal value; $(VAR) references are expanded.")
    valueFrom: EnvVarSource | None = Field(None, description="Source of the value; not with value.")


class EnvFromSource(K8sModel):
    """All keys of a ConfigMap or Secret as environment variables."""

    definition = "io.k8s.api.core.v1.EnvFromSource"

    prefix: str | None = Field(None, description="Prepended to every key.")
    configMapRef: dict[str, object] | None = Field(
        None, description="The ConfigMap to take keys from."
    )
    secretRef: dict[str, object] | None = Field(None, description="The Secret to take keys from.")


# --- containers ---------------------------------------------------------------------


class ContainerPort(K8sModel):
    """A port a container listens on."""

    definition = "io.k8s.api.core.v1.ContainerPort"

    containerPort: int = Field(description="Port number (1-65535); locally mapped to a free port.")
    name: str | None = Field(None, description="IANA service name, referred to by Services.")
    protocol: Protocol | None = Field(None, description='Protocol; defaults to "TCP".')
    hostPort: int | None = Field(None, description="Port on the host to expose (rarely needed).")
    hostIP: str | None = Field(None, description="Host IP to bind the host port to.")


class ResourceRequirements(K8sModel):
    """Compute resources: requests reserve capacity, limits cap it."""

    definition = "io.k8s.api.core.v1.ResourceRequirements"

    requests: dict[str, Quantity] | None = Field(
        None, description="Minimum resources required (cpu, memory, nvidia.com/gpu, ...)."
    )
    limits: dict[str, Quantity] | None = Field(None, description="Maximum resources allowed.")


class VolumeMount(K8sModel):
    """Where a pod volume appears inside a container."""

    definition = "io.k8s.api.core.v1.VolumeMount"

    name: str = Field(description="Name of a volume of the pod.")
    mountPath: str = Field(description="Path inside the container; must not contain ':'.")
    readOnly: bool | None = Field(None, description="Mount read-only.")
    subPath: str | None = Field(
        None, description="Path inside the volume to mount instead of its root."
    )


class Container(K8sModel):
    """One process of a pod (locally: a process group running command + args)."""

    definition = "io.k8s.api.core.v1.Container"

    name: str = Field(description="Name of the container, a DNS label unique within the pod.")
    image: str | None = Field(
        None, description="Container image (recorded; kflow runs processes locally)."
    )
    command: list[str] | None = Field(None, description="Entrypoint array; not run in a shell.")
    args: list[str] | None = Field(None, description="Arguments to the entrypoint.")
    workingDir: str | None = Field(None, description="Working directory of the process.")
    env: list[EnvVar] | None = Field(None, description="Environment variables to set.")
    envFrom: list[EnvFromSource] | None = Field(
        None, description="Sources of whole sets of variables."
    )
    ports: list[ContainerPort] | None = Field(None, description="Ports the container listens on.")
    resources: ResourceRequirements | None = Field(None, description="Compute resources required.")
    volumeMounts: list[VolumeMount] | None = Field(None, description="Pod volumes to mount.")
    imagePullPolicy: PullPolicy | None = Field(None, description="Image pull policy.")


# --- volumes -----------------------------------------------------------------------------


class EmptyDirVolumeSource(K8sModel):
    """A fresh directory that lives as long as the pod."""

    definition = "io.k8s.api.core.v1.EmptyDirVolumeSource"

    medium: str | None = Field(None, description='Storage medium: "" (disk) or "Memory".')
    sizeLimit: Quantity | None = Field(None, description="Maximum size of the directory.")


class HostPathVolumeSource(K8sModel):
    """An existing directory or file of the host."""

    definition = "io.k8s.api.core.v1.HostPathVolumeSource"

    path: str = Field(description="Path on the host.")
    type: str | None = Field(
        None, description="Kind of path (Directory, DirectoryOrCreate, File, ...)."
    )


class KeyToPath(K8sModel):
    """Maps one key of a ConfigMap or Secret to a file path."""

    definition = "io.k8s.api.core.v1.KeyToPath"

    key: str = Field(description="The key to project.")
    path: str = Field(description="Relative path of the file.")
    mode: int | None = Field(None, description="File mode bits.")


class ConfigMapVolumeSource(K8sModel):
    """The keys of a ConfigMap as files."""

    definition = "io.k8s.api.core.v1.ConfigMapVolumeSource"

    name: str | None = Field(None, description="Name of the ConfigMap.")
    items: list[KeyToPath] | None = Field(None, description="Keys to project; all keys if empty.")
    optional: bool | None = Field(None, description="If true, a missing ConfigMap is not an error.")
    defaultMode: int | None = Field(None, description="Mode bits of the files.")


class SecretVolumeSource(K8sModel):
    """The keys of a Secret as files."""

    definition = "io.k8s.api.core.v1.SecretVolumeSource"

    secretName: str | None = Field(None, description="Name of the Secret.")
    items: list[KeyToPath] | None = Field(None, description="Keys to project; all keys if empty.")
    optional: bool | None = Field(None, description="If true, a missing Secret is not an error.")
    defaultMode: int | None = Field(None, description="Mode bits of the files.")


class PersistentVolumeClaimVolumeSource(K8sModel):
    """A PersistentVolumeClaim of the pod's namespace (locally: a kept directory)."""

    definition = "io.k8s.api.core.v1.PersistentVolumeClaimVolumeSource"

    claimName: str = Field(description="Name of the claim.")
    readOnly: bool | None = Field(None, description="Mount read-only.")


class Volume(K8sModel):
    """A named volume of a pod; set exactly one source."""

    definition = "io.k8s.api.core.v1.Volume"

    name: str = Field(description="Name of the volume, a DNS label unique within the pod.")
    emptyDir: EmptyDirVolumeSource | None = Field(
        None, description="A directory that lives with the pod."
    )
    hostPath: HostPathVolumeSource | None = Field(None, description="A directory of the host.")
    configMap: ConfigMapVolumeSource | None = Field(
        None, description="A ConfigMap's keys as files."
    )
    secret: SecretVolumeSource | None = Field(None, description="A Secret's keys as files.")
    persistentVolumeClaim: PersistentVolumeClaimVolumeSource | None = Field(
        None, description="A claim's storage."
    )


# --- pods ------------------------------------------------------------------------------


class PodSpec(K8sModel):
    """The desired state of a pod: its containers, volumes and restart policy."""

    definition = "io.k8s.api.core.v1.PodSpec"

    containers: list[Container] = Field(description="Containers of the pod; at least one.")
    initContainers: list[Container] | None = Field(
        None, description="Containers run to completion, in order, before the others start."
    )
    volumes: list[Volume] | None = Field(None, description="Volumes the containers may mount.")
    restartPolicy: RestartPolicy | None = Field(
        None, description='Restart policy of all containers; defaults to "Always".'
    )
    terminationGracePeriodSeconds: int | None = Field(
        None, description="Seconds between SIGTERM and SIGKILL on deletion; defaults to 30."
    )
    activeDeadlineSeconds: int | None = Field(
        None, description="Seconds the pod may be active before it is failed."
    )
    nodeName: str | None = Field(None, description="The node the pod is bound to.")
    hostname: str | None = Field(None, description="Hostname of the pod; defaults to its name.")
    subdomain: str | None = Field(None, description="Subdomain (a headless Service) of the pod.")
    schedulerName: str | None = Field(None, description="Scheduler that places the pod.")
    serviceAccountName: str | None = Field(None, description="Service account the pod runs as.")


class PodStatus(K8sModel):
    """The observed state of a pod, written by the runtime."""

    definition = "io.k8s.api.core.v1.PodStatus"

    phase: str | None = Field(None, description="Pending, Running, Succeeded, Failed or Unknown.")
    podIP: str | None = Field(None, description="Address of the pod.")
    hostIP: str | None = Field(None, description="Address of the host.")
    startTime: str | None = Field(None, description="When the pod was accepted by the runtime.")
    reason: str | None = Field(None, description="Brief reason for the pod's state.")
    message: str | None = Field(None, description="Details on the pod's state.")
    qosClass: str | None = Field(None, description="Guaranteed, Burstable or BestEffort.")
    conditions: list[dict[str, object]] | None = Field(None, description="Current service state.")
    containerStatuses: list[dict[str, object]] | None = Field(
        None, description="State of each container."
    )
    initContainerStatuses: list[dict[str, object]] | None = Field(
        None, description="State of each init container."
    )


class Pod(K8sModel):
    """A group of containers run together on one machine."""

    definition = "io.k8s.api.core.v1.Pod"
    closed = True

    apiVersion: str | None = Field(None, description="Versioned schema of this object.")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    spec: PodSpec = Field(description="Desired state of the pod.")
    status: PodStatus | None = Field(None, description="Observed state of the pod (read-only).")


# --- services -----------------------------------------------------------------------------


class ServicePort(K8sModel):
    """A port a Service exposes and the pod port it forwards to."""

    definition = "io.k8s.api.core.v1.ServicePort"

    port: int = Field(description="Port the Service exposes (1-65535).")
    targetPort: IntOrString | None = Field(
        None, description="Number or name of the pod port; defaults to port."
    )
    name: str | None = Field(None, description="Name of the port; required with several ports.")
    protocol: Protocol | None = Field(None, description='Protocol; defaults to "TCP".')
    nodePort: int | None = Field(None, description="Port on every node (NodePort, LoadBalancer).")
    appProtocol: str | None = Field(None, description="Application protocol (http, grpc, ...).")


class ServiceSpec(K8sModel):
    """Which pods a Service selects and how it exposes them."""

    definition = "io.k8s.api.core.v1.ServiceSpec"

    selector: StrMap | None = Field(None, description="Labels of the pods that back the Service.")
    ports: list[ServicePort] | None = Field(None, description="Ports the Service exposes.")
    clusterIP: str | None = Field(
        None, description='Virtual address; "None" makes the Service headless.'
    )
    clusterIPs: list[str] | None = Field(None, description="Virtual addresses (clusterIP first).")
    type: ServiceType | None = Field(
        None, description='How the Service is exposed; defaults to "ClusterIP".'
    )
    externalName: str | None = Field(
        None, description="DNS name returned for ExternalName Services."
    )
    publishNotReadyAddresses: bool | None = Field(
        None, description="Publish pods that are not ready too (headless Services for jobs)."
    )
    sessionAffinity: str | None = Field(None, description='"None" or "ClientIP".')


class Service(K8sModel):
    """A stable name and address for a set of pods."""

    definition = "io.k8s.api.core.v1.Service"
    closed = True

    apiVersion: str | None = Field(None, description="Versioned schema of this object.")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    spec: ServiceSpec | None = Field(None, description="Desired behaviour of the Service.")
    status: dict[str, object] | None = Field(None, description="Observed state (load balancer).")


# --- config ---------------------------------------------------------------------------------


class ConfigMap(K8sModel):
    """Non-secret configuration as key/value pairs."""

    definition = "io.k8s.api.core.v1.ConfigMap"
    closed = True

    apiVersion: str | None = Field(None, description="Versioned schema of this object.")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    data: StrMap | None = Field(None, description="UTF-8 values by key.")
    binaryData: StrMap | None = Field(None, description="Base64-encoded binary values by key.")
    immutable: bool | None = Field(None, description="If true, data cannot be changed.")


class Secret(K8sModel):
    """Sensitive key/value data (base64 in `data`; `stringData` is write-only)."""

    definition = "io.k8s.api.core.v1.Secret"
    closed = True

    apiVersion: str | None = Field(None, description="Versioned schema of this object.")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    data: StrMap | None = Field(None, description="Base64-encoded values by key.")
    stringData: StrMap | None = Field(
        None, description="Plain values merged into data on write; never read back."
    )
    type: str | None = Field(None, description='Type of the secret; defaults to "Opaque".')
    immutable: bool | None = Field(None, description="If true, data cannot be changed.")


# --- storage ------------------------------------------------------------------------------------


class PersistentVolumeClaimSpec(K8sModel):
    """The storage a claim asks for."""

    definition = "io.k8s.api.core.v1.PersistentVolumeClaimSpec"

    accessModes: list[str] | None = Field(
        None, description="ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod."
    )
    resources: ResourceRequirements | None = Field(None, description="Requested storage size.")
    storageClassName: str | None = Field(None, description="Storage class of the claim.")
    volumeName: str | None = Field(None, description="The volume bound to the claim.")
    volumeMode: str | None = Field(None, description='"Filesystem" or "Block".')


class PersistentVolumeClaimStatus(K8sModel):
    """The state of a claim (locally always Bound: the claim is a directory)."""

    definition = "io.k8s.api.core.v1.PersistentVolumeClaimStatus"

    phase: str | None = Field(None, description="Pending, Bound or Lost.")
    accessModes: list[str] | None = Field(None, description="Access modes of the bound volume.")
    capacity: dict[str, Quantity] | None = Field(None, description="Capacity of the bound volume.")


class PersistentVolumeClaim(K8sModel):
    """A request for storage that outlives pods."""

    definition = "io.k8s.api.core.v1.PersistentVolumeClaim"
    closed = True

    apiVersion: str | None = Field(None, description="Versioned schema of this object.")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    spec: PersistentVolumeClaimSpec | None = Field(None, description="Desired storage.")
    status: PersistentVolumeClaimStatus | None = Field(
        None, description="Observed state (read-only)."
    )


# --- namespaces, events, endpoints ------------------------------------------------------------------


class NamespaceSpec(K8sModel):
    """The finalizers a namespace waits for before it is removed."""

    definition = "io.k8s.api.core.v1.NamespaceSpec"

    finalizers: list[str] | None = Field(
        None, description='Finalizers; defaults to ["kubernetes"].'
    )


class NamespaceStatus(K8sModel):
    """The phase of a namespace."""

    definition = "io.k8s.api.core.v1.NamespaceStatus"

    phase: str | None = Field(None, description="Active or Terminating.")


class Namespace(K8sModel):
    """A scope for names, and the unit of access control."""

    definition = "io.k8s.api.core.v1.Namespace"
    closed = True

    apiVersion: str | None = Field(None, description="Versioned schema of this object.")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    spec: NamespaceSpec | None = Field(None, description="Desired state.")
    status: NamespaceStatus | None = Field(None, description="Observed state (read-only).")


class ObjectReference(K8sModel):
    """A reference to any object."""

    definition = "io.k8s.api.core.v1.ObjectReference"

    apiVersion: str | None = Field(None, description="API version of the referent.")
    kind: str | None = Field(None, description="Kind of the referent.")
    name: str | None = Field(None, description="Name of the referent.")
    namespace: str | None = Field(None, description="Namespace of the referent.")
    uid: str | None = Field(None, description="UID of the referent.")
    fieldPath: str | None = Field(
        None, description="A part of the object, e.g. spec.containers{main}."
    )
    resourceVersion: str | None = Field(None, description="Version of the referent.")


class Event(K8sModel):
    """A report of something that happened to an object."""

    definition = "io.k8s.api.core.v1.Event"
    closed = True

    apiVersion: str | None = Field(None, description="Versioned schema of this object.")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    involvedObject: ObjectReference = Field(description="The object this event is about.")
    reason: str | None = Field(None, description="Short, machine-readable reason (CamelCase).")
    message: str | None = Field(None, description="Human-readable description.")
    type: str | None = Field(None, description="Normal or Warning.")
    count: int | None = Field(None, description="How many times it happened.")
    firstTimestamp: str | None = Field(None, description="When it first happened.")
    lastTimestamp: str | None = Field(None, description="When it last happened.")
    eventTime: str | None = Field(None, description="When it happened, with microseconds.")
    source: dict[str, object] | None = Field(None, description="The component that reported it.")
    reportingComponent: str | None = Field(None, description="The controller that reported it.")


class Endpoints(K8sModel):
    """The addresses behind a Service."""

    definition = "io.k8s.api.core.v1.Endpoints"
    closed = True

    apiVersion: str | None = Field(None, description="Versioned schema of this object.")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    subsets: list[dict[str, object]] | None = Field(
        None, description="Sets of addresses and ports (addresses, notReadyAddresses, ports)."
    )
