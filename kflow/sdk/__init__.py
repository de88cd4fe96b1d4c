"""kflow's Python client: the typed HTTP client the CLI is built on.

from kflow.sdk import Client
with Client() as kf:
    for pod in kf.list("pods").items:
        print(pod["metadata"]["name"])
"""

from kflow.sdk.applying import LAST_APPLIED, ApplyResult
from kflow.sdk.client import Applied, Client, ObjectList, Propagation, WatchEvent
from kflow.sdk.config import ServerInfo, ServerUnavailable, kflow_home, read_server_info
from kflow.sdk.discovery import Resource
from kflow.sdk.waiting import WaitTimeout, parse_condition, parse_duration

__all__ = [
    "LAST_APPLIED",
    "Applied",
    "ApplyResult",
    "Client",
    "ObjectList",
    "Propagation",
    "Resource",
    "ServerInfo",
    "ServerUnavailable",
    "WaitTimeout",
    "WatchEvent",
    "kflow_home",
    "parse_condition",
    "parse_duration",
    "read_server_info",
]
