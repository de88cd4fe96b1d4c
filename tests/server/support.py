"""Kubeconfig files for the API server tests that drive kubectl and the `kubernetes` client.

The fake runtime and the loopback server they talk to live in `tests.support`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def write_kubeconfig(path: Path, url: str, token: str | None, namespace: str = "default") -> Path:
    user: dict[str, Any] = {"token": token} if token else {}
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kflow", "cluster": {"server": url}}],
        "users": [{"name": "kflow-admin", "user": user}],
        "contexts": [
            {
                "name": "kflow",
                "context": {"cluster": "kflow", "user": "kflow-admin", "namespace": namespace},
            }
        ],
        "current-context": "kflow",
    }
    path.write_text(yaml.safe_dump(document))
    return path
