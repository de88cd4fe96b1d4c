"""The search algorithm's own state, kept in the Suggestion's status, signed.

Each assignment in `status.suggestions` carries the `attrs` the algorithm asked to
keep (Optuna's system attrs; for CMA-ES a pickled optimizer, which Optuna unpickles
when the study is replayed). The status is written through the API like any other,
so anyone allowed to write it could plant a pickle. kflow therefore signs `attrs`
with a key only the control plane holds (HMAC-SHA256 over canonical JSON) and hands
an algorithm only attrs whose signature checks; unsigned or altered attrs are
dropped, which costs the algorithm memory (CMA-ES restarts its search distribution)
but never runs anyone's code.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)

SIGNATURE = "attrsSignature"
"""The key next to `attrs` in a suggestion entry."""


def new_key() -> bytes:
    return secrets.token_bytes(32)


def load_key(path: Path) -> bytes:
    """The control plane's signing key, made on first use (mode 0600)."""
    if path.exists():
        return path.read_bytes()
    key = new_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(key)
    return key


def _digest(key: bytes, attrs: dict[str, Any]) -> str:
    body = orjson.dumps(attrs, option=orjson.OPT_SORT_KEYS)
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def sign(key: bytes, entry: dict[str, Any]) -> None:
    """Sign `entry["attrs"]` in place (no attrs: nothing to sign)."""
    attrs = entry.get("attrs")
    if attrs:
        entry[SIGNATURE] = _digest(key, attrs)


def verified_attrs(key: bytes, entry: dict[str, Any]) -> dict[str, Any]:
    """The entry's attrs if kflow signed them, else {} (and a warning in the log)."""
    attrs = entry.get("attrs")
    if not isinstance(attrs, dict) or not attrs:
        return {}
    signature = str(entry.get(SIGNATURE) or "")
    if hmac.compare_digest(signature, _digest(key, attrs)):
        return attrs
    log.warning(
        "suggestion %s: its algorithm state is not signed by this control plane; ignored",
        entry.get("name"),
    )
    return {}
