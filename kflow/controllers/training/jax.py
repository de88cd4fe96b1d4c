"""JAXJob: `jax.distributed`'s coordinator contract.

As upstream's `jax/envvar.go`: every container gets `COORDINATOR_ADDRESS` and
`COORDINATOR_PORT` (worker 0), `NUM_PROCESSES` (all replicas), `PROCESS_ID` (the
index) and `PYTHONUNBUFFERED=1`. Worker 0 is created first (it is the coordinator)
and decides the job.
"""

from __future__ import annotations

from kflow.api.training.contracts import CONDITION_RUNNING, CONDITION_SUCCEEDED, JAXJOB
from kflow.controllers.training import status as st
from kflow.controllers.training.engine import Framework, Obj, Replica, Topology

COORDINATOR = Replica("Worker", 0)


class JAX(Framework):
    contract = JAXJOB

    def leaders(self, topo: Topology) -> list[Replica]:
        return [COORDINATOR] if topo.replicas("Worker") > 1 else []

    def env(self, topo: Topology, replica: Replica) -> list[tuple[str, str]]:
        host, port = topo.address(COORDINATOR)
        return [
            ("PYTHONUNBUFFERED", "1"),
            ("COORDINATOR_PORT", str(port)),
            ("COORDINATOR_ADDRESS", host),
            ("NUM_PROCESSES", str(topo.total())),
            ("PROCESS_ID", str(replica.index)),
        ]

    def decide(
        self, topo: Topology, counts: dict[str, st.Counts], pods: dict[Replica, Obj]
    ) -> str | None:
        first = pods.get(COORDINATOR)
        if first and (first.get("status") or {}).get("phase") == "Succeeded":
            return CONDITION_SUCCEEDED
        return CONDITION_RUNNING if counts.get("Worker", st.Counts()).active else None
