"""PaddleJob: `paddle.distributed.launch`'s contract (`PADDLE_MASTER`, `PADDLE_NNODES`).

As upstream's `paddlepaddle/envvar.go`: every container gets `PYTHONUNBUFFERED`,
`PADDLE_JOB_ID` (the job's name), `PADDLE_NNODES` (all replicas) and
`PADDLE_MASTER`, the rendezvous endpoint: master 0 in PS mode (with
`PADDLE_SERVER_NUM=1` on the master, `PADDLE_TRAINER_NUM=1` on workers), worker 0
in collective mode (no Master). Upstream gives the endpoint itself
`$(POD_IP):port`; locally every replica names the same reachable address. The
endpoint is created first; the master decides, else every worker must succeed.
"""

from __future__ import annotations

from kflow.api.training.contracts import PADDLEJOB
from kflow.controllers.training.engine import Framework, Replica, Topology


class Paddle(Framework):
    contract = PADDLEJOB

    def _endpoint(self, topo: Topology) -> Replica:
        return Replica("Master", 0) if "Master" in topo.specs else Replica("Worker", 0)

    def leaders(self, topo: Topology) -> list[Replica]:
        return [self._endpoint(topo)] if topo.total() > 1 else []

    def env(self, topo: Topology, replica: Replica) -> list[tuple[str, str]]:
        env = [
            ("PYTHONUNBUFFERED", "1"),
            ("PADDLE_JOB_ID", topo.name),
            ("PADDLE_NNODES", str(topo.total())),
            ("PADDLE_MASTER", topo.hostport(self._endpoint(topo))),
        ]
        if "Master" in topo.specs:
            role = "PADDLE_SERVER_NUM" if replica.rtype == "Master" else "PADDLE_TRAINER_NUM"
            env.append((role, "1"))
        return env
