"""kflow: Kubeflow's workloads, with the same YAML and clients, on one machine or on Kubernetes."""

__version__ = "0.1.0"

__all__ = ["__version__"]
