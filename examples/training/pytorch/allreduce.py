"""The smallest distributed PyTorch program: initialise gloo, one all_reduce, exit.

The training benchmark runs it under bare `torchrun --nproc_per_node=2`, as a
2-replica PyTorchJob on kflow, and (as a function) under the Kubeflow SDK's local
backend, to compare what each adds around the same work.
"""

import os

import torch
import torch.distributed as dist


def main() -> None:
    dist.init_process_group("gloo")
    tensor = torch.ones(1) * (dist.get_rank() + 1)
    dist.all_reduce(tensor)
    world = dist.get_world_size()
    assert int(tensor.item()) == world * (world + 1) // 2, tensor
    print(f"rank {dist.get_rank()}/{world} all_reduce={int(tensor.item())} pid={os.getpid()}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
