"""The hostnames an InferenceService answers to, as KServe's ingress routes them.

KServe gives every InferenceService a host, `<name>.<namespace>.<domain>` (domain
`example.com` unless configured) for callers outside the cluster and
`<name>.<namespace>.svc.cluster.local` inside it, plus the same names for its
components and tagged revisions (`<name>-predictor...`, `latest-<name>-predictor...`). Its ingress routes a request by its
`Host` header, so clients that set the header (`curl -H "Host: ..."`, the KServe and
Triton clients' headers) reach the model at its own paths, with no prefix. kflow's
gateway reads the `Host` header the same way; this module is the one place that
knows the names.
"""

from __future__ import annotations

INGRESS_DOMAIN = "example.com"
"""KServe's default ingress domain (`ingressDomain` in its `inferenceservice-config`)."""
CLUSTER_DOMAINS = ("svc.cluster.local", "svc")
"""In-cluster suffixes of a Service's DNS name."""


def hostname(namespace: str, name: str, domain: str = INGRESS_DOMAIN) -> str:
    """`<name>.<namespace>.<domain>`: the InferenceService's external host."""
    return f"{name}.{namespace}.{domain}"


def cluster_hostname(namespace: str, name: str) -> str:
    """`<name>.<namespace>.svc.cluster.local`: the InferenceService's in-cluster host."""
    return f"{name}.{namespace}.{CLUSTER_DOMAINS[0]}"


def route_for_host(host: str, domain: str = INGRESS_DOMAIN) -> tuple[str, str] | None:
    """(namespace, route) for a `Host` header of a serving form, else None.

    The route is the host's first label — an InferenceService, or one of its component
    or tag routes (`digits-predictor`, `latest-digits-predictor`) — as the gateway's
    `/serving/<namespace>/<route>` path takes it. A port in the header is ignored.
    """
    bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    bare = bare.strip().rstrip(".").lower()
    for suffix in (domain, *CLUSTER_DOMAINS):
        if not bare.endswith(f".{suffix}"):
            continue
        parts = bare[: -len(suffix) - 1].split(".")
        if len(parts) != 2 or not all(parts):
            return None
        route, namespace = parts
        return namespace, route
    return None
