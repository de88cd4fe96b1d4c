"""The Service kind and the Endpoints that list the pods behind a service.

Services get upstream defaults (`type: ClusterIP`, `targetPort` = `port`), port rules
in Kubernetes wording and an immutable `clusterIP`; both kinds print the columns of
`kubectl get svc` and `kubectl get ep`.
"""

from __future__ import annotations

from kflow.api import meta as m
from kflow.api.core._common import as_dict, as_list, core_kind, or_none
from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj
from kflow.api.models import core as models
from kflow.api.models.causes import check_dns1035_label, check_port_name, check_port_number
from kflow.api.tables import age_column, name_column


def _default_service(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in as_list(spec.get("ports")):
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]


def _validate_service(obj: Obj, old: Obj | None) -> list[Cause]:
    causes: list[Cause] = []
    name = m.name_of(obj)
    if name and not m.check_name(name):
        causes += check_dns1035_label(name, "metadata.name")
    spec = as_dict(obj.get("spec"))
    ports = as_list(spec.get("ports"))
    if not ports and spec.get("type") != "ExternalName" and spec.get("clusterIP") != "None":
        causes.append(Cause("spec.ports", "Required value", "FieldValueRequired"))
    seen: set[str] = set()
    for i, port in enumerate(ports):
        port = as_dict(port)
        causes += check_port_number(port.get("port"), f"spec.ports[{i}].port")
        target = port.get("targetPort")
        if isinstance(target, int):
            causes += check_port_number(target, f"spec.ports[{i}].targetPort")
        else:
            causes += check_port_name(target, f"spec.ports[{i}].targetPort")
        pname = port.get("name")
        if len(ports) > 1 and not pname:
            causes.append(Cause(f"spec.ports[{i}].name", "Required value", "FieldValueRequired"))
        if isinstance(pname, str) and pname:
            if pname in seen:
                causes.append(
                    Cause(
                        f"spec.ports[{i}].name",
                        f'Duplicate value: "{pname}"',
                        "FieldValueDuplicate",
                    )
                )
            seen.add(pname)
    if old is not None:
        before = as_dict(old.get("spec")).get("clusterIP")
        after = spec.get("clusterIP")
        if before and after and before != after:
            causes.append(Cause("spec.clusterIP", f'Invalid value: "{after}": field is immutable'))
    return causes


def _service_ports(svc: Obj) -> str:
    parts = []
    for port in as_list(as_dict(svc.get("spec")).get("ports")):
        port = as_dict(port)
        text = str(port.get("port"))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        parts.append(f"{text}/{port.get('protocol') or 'TCP'}")
    return ",".join(parts) or "<none>"


def _external_ip(svc: Obj) -> str:
    spec = as_dict(svc.get("spec"))
    kind = spec.get("type") or "ClusterIP"
    external = [str(ip) for ip in as_list(spec.get("externalIPs"))]
    if kind == "ExternalName":
        return str(spec.get("externalName") or "<none>")
    if kind == "LoadBalancer":
        ingress = as_list(as_dict(as_dict(svc.get("status")).get("loadBalancer")).get("ingress"))
        found = external + [
            str(as_dict(i).get("ip") or as_dict(i).get("hostname")) for i in ingress
        ]
        return ",".join(found) if found else "<pending>"
    return ",".join(external) if external else "<none>"


SERVICE_COLUMNS = (
    name_column(),
    Column(
        "TYPE",
        lambda s: str(as_dict(s.get("spec")).get("type") or "ClusterIP"),
        description="The type of the service.",
    ),
    Column(
        "CLUSTER-IP",
        lambda s: or_none(as_dict(s.get("spec")).get("clusterIP")),
        description="The IP address of the service.",
    ),
    Column("EXTERNAL-IP", _external_ip, description="External addresses of the service."),
    Column("PORT(S)", _service_ports, description="The ports the service exposes."),
    age_column(),
    Column(
        "SELECTOR",
        lambda s: (
            ",".join(f"{k}={v}" for k, v in as_dict(as_dict(s.get("spec")).get("selector")).items())
            or "<none>"
        ),
        priority=1,
        description="The labels of the pods behind the service.",
    ),
)


def _endpoints(ep: Obj) -> str:
    found = []
    for subset in as_list(ep.get("subsets")):
        subset = as_dict(subset)
        ports = [as_dict(p).get("port") for p in as_list(subset.get("ports"))] or [None]
        for address in as_list(subset.get("addresses")):
            for port in ports:
                ip = as_dict(address).get("ip")
                found.append(f"{ip}:{port}" if port is not None else str(ip))
    if not found:
        return "<none>"
    shown = ",".join(found[:3])
    return shown + (f" + {len(found) - 3} more..." if len(found) > 3 else "")


ENDPOINTS_COLUMNS = (
    name_column(),
    Column("ENDPOINTS", _endpoints, description="Addresses of the pods behind the service."),
    age_column(),
)


def service_kind() -> KindInfo:
    return core_kind(
        models.Service,
        "services",
        short_names=("svc",),
        categories=("all",),
        defaulters=(_default_service,),
        validators=(_validate_service,),
        columns=SERVICE_COLUMNS,
    )


def endpoints_kind() -> KindInfo:
    return core_kind(
        models.Endpoints,
        "endpoints",
        short_names=("ep",),
        subresources=(),
        has_status=False,
        columns=ENDPOINTS_COLUMNS,
    )
