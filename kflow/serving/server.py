"""Run the model server in the foreground (what `kflow serve` does)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kflow.serving.app import DEFAULT_POLL_INTERVAL, build_app
from kflow.serving.repository import ModelConfig


def run(
    configs: Sequence[ModelConfig],
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    log_level: str = "info",
    grpc_port: int | None = None,
) -> None:
    import uvicorn

    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    app = build_app(
        configs, poll_interval=poll_interval, grpc_port=grpc_port, grpc_host=host, freeze_gc=True
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
