"""Workloads the demo and the examples run inside pods (plain scripts; no kflow imports)."""
