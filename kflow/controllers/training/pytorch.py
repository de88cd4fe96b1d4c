"""PyTorchJob: torch.distributed's env contract (`MASTER_ADDR`, `RANK`, `PET_*`).

As upstream's `pytorch/envvar.go`, `master.go` and `elastic.go`: with a Master,
every container gets `MASTER_ADDR`/`MASTER_PORT` (and the `PET_MASTER_*` twins
torchrun reads), `WORLD_SIZE` (replicas x nproc per node), `RANK` (the master 0,
worker i is i + 1), `PET_NPROC_PER_NODE`, `PET_NODE_RANK`; `PET_NNODES` is the
replica count, or `min:max` with an elasticPolicy, which also brings the
`PET_RDZV_*` rendezvous vars (endpoint: worker 0 unless `rdzvHost`). The master is
created first and the workers once it accepts connections. The master decides the
job; without one, every worker must succeed.
"""

from __future__ import annotations

from kflow.api.training.contracts import PYTORCHJOB
from kflow.controllers.training.engine import Framework, Replica, Topology


def _nproc_int(value: str) -> int:
    return int(value) if value.isdigit() else 1


class PyTorch(Framework):
    contract = PYTORCHJOB

    def env(self, topo: Topology, replica: Replica) -> list[tuple[str, str]]:
        spec = topo.job.get("spec") or {}
        elastic = spec.get("elasticPolicy")
        env = [("PYTHONUNBUFFERED", "1")]
        total = topo.total()
        nproc = str((elastic or {}).get("nProcPerNode") or spec.get("nprocPerNode") or "auto")
        if "Master" in topo.specs:
            host, port = topo.address(Replica("Master", 0))
            rank = replica.index + (1 if replica.rtype == "Worker" else 0)
            env += [
                ("MASTER_PORT", str(port)),
                ("PET_MASTER_PORT", str(port)),
                ("MASTER_ADDR", host),
                ("PET_MASTER_ADDR", host),
                ("WORLD_SIZE", str(total * _nproc_int(nproc))),
                ("RANK", str(rank)),
                ("PET_NPROC_PER_NODE", nproc),
                ("PET_NODE_RANK", str(rank)),
            ]
        if elastic is None:
            env.append(("PET_NNODES", str(total)))
            return env
        env += self._elastic(topo, elastic)
        return env

    def _elastic(self, topo: Topology, elastic: dict[str, object]) -> list[tuple[str, str]]:
        rdzv_port = elastic.get("rdzvPort")
        port = int(str(rdzv_port)) if rdzv_port is not None else topo.port("Worker")
        if elastic.get("rdzvHost"):
            endpoint = f"{elastic['rdzvHost']}:{port}"
        else:
            endpoint = topo.hostport(Replica("Worker", 0), port)
        env = [
            ("PET_RDZV_ENDPOINT", endpoint),
            ("PET_RDZV_BACKEND", str(elastic.get("rdzvBackend") or "c10d")),
        ]
        low, high = elastic.get("minReplicas"), elastic.get("maxReplicas")
        if low is None and high is None:
            env.append(("PET_NNODES", str(topo.replicas("Worker"))))
        else:
            env.append(
                (
                    "PET_NNODES",
                    f"{low if low is not None else high}:{high if high is not None else low}",
                )
            )
        if elastic.get("maxRestarts") is not None:
            env.append(("PET_MAX_RESTARTS", str(elastic["maxRestarts"])))
        if elastic.get("nProcPerNode") is not None:
            env.append(("PET_NPROC_PER_NODE", str(elastic["nProcPerNode"])))
        if elastic.get("rdzvId") is not None:
            env.append(("PET_RDZV_ID", str(elastic["rdzvId"])))
        conf = elastic.get("rdzvConf")
        if isinstance(conf, list) and conf:
            env.append(("PET_RDZV_CONF", ",".join(f"{e['key']}={e['value']}" for e in conf)))
        if elastic.get("standalone"):
            env.append(("PET_STANDALONE", ""))
        return env
