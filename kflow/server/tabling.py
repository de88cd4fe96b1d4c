"""Content negotiation for server-side printing: when and how objects become Tables.

kubectl asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` on every
`get` (and `get -w`), and prints the columns it gets back. Kubernetes returns every
column with its priority and lets kubectl hide the wide ones, so the table here always
carries them all.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from kflow.api.errors import BadRequest
from kflow.api.kinds import KindInfo
from kflow.api.tables import to_table

_INCLUDE = {"": "Metadata", "Metadata": "Metadata", "Object": "Object", "None": "None"}


def table_request(request: Request) -> str | None:
    """The `includeObject` mode when the client asked for a Table, else None."""
    if "as=Table" not in request.headers.get("accept", ""):
        return None
    mode = request.query_params.get("includeObject", "")
    try:
        return _INCLUDE[mode]
    except KeyError:
        raise BadRequest(
            f'Unsupported value: "{mode}": supported values: "None", "Metadata", "Object"'
        ) from None


def table_of(info: KindInfo, objs: list[dict[str, Any]], include_object: str) -> dict[str, Any]:
    return to_table(info, objs, True, include_object=include_object)
