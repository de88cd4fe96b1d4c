"""The exceptions of kflow's KFP v2 support, as one small tree.

`PipelineError` is the root and a `ValueError`: each one means the pipeline (its IR,
its arguments, a component's output) is wrong, never that kflow is broken, and its
message names the field at fault (`root.dag.tasks.train.inputs.parameters.lr`) and
what is allowed, so the CLI and SDK can show it without a traceback.
"""

from __future__ import annotations


class PipelineError(ValueError):
    """A pipeline kflow cannot run as written."""


class SpecError(PipelineError):
    """The pipeline-spec IR is malformed or uses something kflow does not support."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class ArgumentError(PipelineError):
    """A run argument or a value passed between tasks does not fit its declared type."""


class ComponentFailed(PipelineError):
    """A component ran and failed, or did not produce the outputs it declares."""
