"""MPIJob (v1): a launcher that runs `mpirun` over the workers, with a local rsh agent.

As upstream's `mpi/mpijob.go`: a ConfigMap `<job>-config` holds `hostfile`
(`<job>-worker-<i> slots=<slotsPerWorker>` per worker), `discover_hosts.sh`
(Horovod's elastic discovery) and `kubexec.sh`, the agent `mpirun` uses to start
ranks on a worker, and is mounted in the launcher at `/etc/mpi`. The launcher gets
`OMPI_MCA_plm_rsh_agent` / `I_MPI_HYDRA_BOOTSTRAP_EXEC` (the agent) and
`OMPI_MCA_orte_default_hostfile` / `I_MPI_HYDRA_HOST_FILE` (the hostfile).

Upstream's agent runs `kubectl exec <pod> -- sh -c "$*"`. Every replica is on this
machine here, so kflow's `kubexec.sh` drops the host name and runs the command
locally; the agent variable is `/bin/sh /etc/mpi/kubexec.sh` because a ConfigMap
file is not executable. The launcher is `<job>-launcher` (no index, as upstream),
is created once every worker runs, and decides the job. No Services (v1 makes
none).
"""

from __future__ import annotations

from kflow.api import meta as m
from kflow.api.training.contracts import MPIJOB
from kflow.controllers.training.engine import Framework, Obj, Replica, Topology

CONFIG_MOUNT_PATH = "/etc/mpi"
CONFIG_VOLUME = "mpi-job-config"
KUBEXEC = """#!/bin/sh
# kflow: every replica runs on this machine, so the host argument is dropped and the
# command runs here (upstream: kubectl exec <pod> -- /bin/sh -c "$*")
shift
exec /bin/sh -c "$*"
"""


def config_name(job_name: str) -> str:
    return f"{job_name}-config"


class MPI(Framework):
    contract = MPIJOB
    creates_services = False
    leader_listens = False

    def pod_name(self, job_name: str, replica: Replica) -> str:
        if replica.rtype == "Launcher":
            return f"{job_name}-launcher"
        return super().pod_name(job_name, replica)

    def leaders(self, topo: Topology) -> list[Replica]:
        return [Replica("Worker", i) for i in range(topo.replicas("Worker"))]

    def _slots(self, topo: Topology) -> int:
        return int((topo.job.get("spec") or {}).get("slotsPerWorker") or 1)

    def env(self, topo: Topology, replica: Replica) -> list[tuple[str, str]]:
        if replica.rtype != "Launcher":
            return []
        agent = f"/bin/sh {CONFIG_MOUNT_PATH}/kubexec.sh"
        hostfile = f"{CONFIG_MOUNT_PATH}/hostfile"
        return [
            ("OMPI_MCA_plm_rsh_agent", agent),
            ("OMPI_MCA_orte_default_hostfile", hostfile),
            ("OMPI_MCA_orte_keep_fqdn_hostnames", "true"),
            ("I_MPI_HYDRA_BOOTSTRAP_EXEC", agent),
            ("I_MPI_HYDRA_HOST_FILE", hostfile),
        ]

    def extra_objects(self, topo: Topology) -> list[tuple[str, Obj]]:
        slots = self._slots(topo)
        workers = [
            self.pod_name(topo.name, Replica("Worker", i)) for i in range(topo.replicas("Worker"))
        ]
        config = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": config_name(topo.name),
                "namespace": topo.namespace,
                "labels": {"app": topo.name},
                "ownerReferences": [m.owner_reference(topo.job)],
            },
            "data": {
                "hostfile": "".join(f"{w} slots={slots}\n" for w in workers),
                "discover_hosts.sh": "#!/bin/sh\n"
                + "".join(f"echo {w}:{slots}\n" for w in workers),
                "kubexec.sh": KUBEXEC,
            },
        }
        return [("configmaps", config)]

    def customize(self, topo: Topology, replica: Replica, pod: Obj) -> None:
        if replica.rtype != "Launcher":
            return
        spec = pod["spec"]
        spec["volumes"] = [
            *(spec.get("volumes") or []),
            {
                "name": CONFIG_VOLUME,
                "configMap": {"name": config_name(topo.name), "defaultMode": 0o555},
            },
        ]
        for cont in spec.get("containers") or []:
            cont["volumeMounts"] = [
                *(cont.get("volumeMounts") or []),
                {"name": CONFIG_VOLUME, "mountPath": CONFIG_MOUNT_PATH},
            ]
