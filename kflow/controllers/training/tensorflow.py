"""TFJob: `TF_CONFIG`, and the chief (or worker 0) deciding the job.

As upstream's `tensorflow/tensorflow.go`: the default container (`tensorflow`) of
every replica gets `TF_CONFIG` = `{"cluster": {<role>: [addr, ...]}, "task":
{"type": <role>, "index": i}, "environment": "cloud"}` with lowercased roles, the
evaluator left out of the cluster (it is not part of training) but given its task,
and only when the job has more than one replica. Addresses are the runtime's
reachable ones. With a Chief or Master it decides the job (and is created first);
without one worker 0 does, or every worker with `successPolicy: AllWorkers`.
"""

from __future__ import annotations

import orjson

from kflow.api.training.contracts import CONDITION_RUNNING, CONDITION_SUCCEEDED, TFJOB
from kflow.controllers.training import status as st
from kflow.controllers.training.engine import Framework, Obj, Replica, Topology

EVALUATOR = "Evaluator"


class TensorFlow(Framework):
    contract = TFJOB
    env_in_all_containers = False

    def env(self, topo: Topology, replica: Replica) -> list[tuple[str, str]]:
        if topo.total() == 1:
            return []  # upstream: no TF_CONFIG for a non-distributed job
        cluster = {
            rtype.lower(): [topo.hostport(Replica(rtype, i)) for i in range(topo.replicas(rtype))]
            for rtype in sorted(topo.specs, key=str.lower)
            if rtype != EVALUATOR
        }
        config = {
            "cluster": cluster,
            "task": {"type": replica.role, "index": replica.index},
            "environment": "cloud",
        }
        return [("TF_CONFIG", orjson.dumps(config).decode())]

    def decide(
        self, topo: Topology, counts: dict[str, st.Counts], pods: dict[Replica, Obj]
    ) -> str | None:
        if {"Chief", "Master"} & set(topo.specs):
            return super().decide(topo, counts, pods)
        workers = counts.get("Worker", st.Counts())
        total = topo.replicas("Worker")
        if (topo.job.get("spec") or {}).get("successPolicy") == "AllWorkers":
            done = total > 0 and workers.succeeded >= total
        else:
            first = pods.get(Replica("Worker", 0))
            done = bool(first) and (first or {}).get("status", {}).get("phase") == "Succeeded"
        if done:
            return CONDITION_SUCCEEDED
        return CONDITION_RUNNING if workers.active else None
