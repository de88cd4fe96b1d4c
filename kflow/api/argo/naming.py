"""Node ids and pod names, derived from node names exactly as Argo derives them.

A node's name is its path in the execution tree (`wf.tasks.A`, `wf[0].step(1:x)`);
its id is the workflow's name plus the 32-bit FNV-1a hash of that name (the root
node's id is the workflow's name itself), and the pod that runs it is named
`<workflow>-<template>-<same hash>` (Argo's pod names "v2", the default since 3.4).
Deterministic names make every step of the controller idempotent: a pod created
before a status write that was lost is found again, not created twice. The CLI uses
the same functions to find a node's pod.
"""

from __future__ import annotations

MAX_NAME = 253
HASH_LENGTH = 10  # the decimal digits of a 32-bit hash, at most


def fnv32a(text: str) -> int:
    """The 32-bit FNV-1a hash of `text`'s UTF-8 bytes (Go's `hash/fnv` New32a)."""
    value = 0x811C9DC5
    for byte in text.encode():
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def node_id(workflow: str, node_name: str) -> str:
    """The id of the node named `node_name` in workflow `workflow`."""
    if node_name == workflow:
        return workflow
    return f"{workflow}-{fnv32a(node_name)}"


def pod_name(workflow: str, node_name: str, template: str) -> str:
    """The pod of a Pod node: `<workflow>-<template>-<hash of the node name>`.

    Argo does not lowercase template names; Kubernetes refuses pod names with capitals,
    so kflow does (a template `Print` runs in pod `wf-print-...`).
    """
    if node_name == workflow:
        return workflow
    prefix = f"{workflow}-{template}" if template else workflow
    prefix = prefix.lower()[: MAX_NAME - HASH_LENGTH - 2]
    return f"{prefix}-{fnv32a(node_name)}"
