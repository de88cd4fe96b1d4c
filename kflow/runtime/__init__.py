"""Runtimes: where pods run. The port is `interface.Runtime`; adapters live one per module."""
