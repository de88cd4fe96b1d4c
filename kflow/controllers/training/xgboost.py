"""XGBoostJob: the Rabit tracker contract (`MASTER_ADDR`, `WORKER_ADDRS`, `RANK`).

As upstream's `xgboost/pod.go`: every container gets `MASTER_ADDR`/`MASTER_PORT`
(master 0, the tracker), `WORLD_SIZE` (all replicas), `RANK` (master 0, worker i is
i + 1), `PYTHONUNBUFFERED`, and with workers `WORKER_PORT` and `WORKER_ADDRS`.
Locally every worker has its own host port, so `WORKER_ADDRS` entries are
`host:port` (upstream: host names sharing `WORKER_PORT`). The master is created
first and decides the job.
"""

from __future__ import annotations

from kflow.api.training.contracts import XGBOOSTJOB
from kflow.controllers.training.engine import Framework, Replica, Topology


class XGBoost(Framework):
    contract = XGBOOSTJOB

    def env(self, topo: Topology, replica: Replica) -> list[tuple[str, str]]:
        host, port = topo.address(Replica("Master", 0))
        rank = replica.index + (1 if replica.rtype == "Worker" else 0)
        env = [
            ("MASTER_PORT", str(port)),
            ("MASTER_ADDR", host),
            ("WORLD_SIZE", str(topo.total())),
            ("RANK", str(rank)),
            ("PYTHONUNBUFFERED", "1"),
        ]
        workers = topo.replicas("Worker")
        if workers:
            addrs = [topo.hostport(Replica("Worker", i)) for i in range(workers)]
            env += [
                ("WORKER_PORT", str(topo.port("Worker") or self.contract.default_port)),
                ("WORKER_ADDRS", ",".join(addrs)),
            ]
        return env
