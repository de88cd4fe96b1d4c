"""ConfigMap and Secret: key-value data for pods, with the same key rules.

Both check their keys and honour `immutable`; a Secret also folds `stringData` into
base64 `data` on write (as upstream, `stringData` wins) and keeps its `type`.
"""

from __future__ import annotations

import base64
import binascii

from kflow.api.core._common import as_dict, core_kind
from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj
from kflow.api.models import core as models
from kflow.api.models.causes import check_config_key
from kflow.api.tables import age_column, name_column


def _validate_keys(obj: Obj, fields: tuple[str, ...]) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for field in fields:
        for key in as_dict(obj.get(field)):
            causes += check_config_key(str(key), f"{field}[{key}]")
            if key in seen:
                causes.append(
                    Cause(f"{field}[{key}]", f'Duplicate value: "{key}"', "FieldValueDuplicate")
                )
            seen.add(str(key))
    return causes


def _validate_immutable_data(obj: Obj, old: Obj | None, fields: tuple[str, ...]) -> list[Cause]:
    if old is None or not old.get("immutable"):
        return []
    causes = []
    for field in fields:
        if obj.get(field) != old.get(field):
            causes.append(
                Cause(
                    field,
                    "Forbidden: field is immutable when `immutable` is set",
                    "FieldValueForbidden",
                )
            )
    if not obj.get("immutable"):
        causes.append(
            Cause(
                "immutable",
                "Forbidden: field is immutable when `immutable` is set",
                "FieldValueForbidden",
            )
        )
    return causes


def _validate_configmap(obj: Obj, old: Obj | None) -> list[Cause]:
    return _validate_keys(obj, ("data", "binaryData")) + _validate_immutable_data(
        obj, old, ("data", "binaryData")
    )


def _default_secret(obj: Obj) -> None:
    obj.setdefault("type", "Opaque")
    plain = obj.pop("stringData", None)
    if isinstance(plain, dict) and plain:
        data = obj.get("data")
        if not isinstance(data, dict):
            data = obj["data"] = {}
        for key, value in plain.items():
            # stringData wins over data for the same key, as upstream
            if isinstance(value, str):
                data[key] = base64.b64encode(value.encode()).decode()
            else:
                data[key] = value  # reported by validation as a non-string value


def _validate_secret(obj: Obj, old: Obj | None) -> list[Cause]:
    causes = _validate_keys(obj, ("data",))
    for key, value in as_dict(obj.get("data")).items():
        if isinstance(value, str):
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                causes.append(
                    Cause(
                        f"data[{key}]",
                        'Invalid value: "<secret contents redacted>": illegal base64 data',
                    )
                )
    if old is not None and old.get("type") and obj.get("type") != old.get("type"):
        causes.append(Cause("type", f'Invalid value: "{obj.get("type")}": field is immutable'))
    return causes + _validate_immutable_data(obj, old, ("data",))


def _data_count(obj: Obj) -> int:
    return len(as_dict(obj.get("data"))) + len(as_dict(obj.get("binaryData")))


CONFIGMAP_COLUMNS = (
    name_column(),
    Column("DATA", _data_count, type="integer", description="The number of keys."),
    age_column(),
)
SECRET_COLUMNS = (
    name_column(),
    Column("TYPE", lambda s: str(s.get("type") or "Opaque"), description="The type of the secret."),
    Column("DATA", _data_count, type="integer", description="The number of keys."),
    age_column(),
)


def configmap_kind() -> KindInfo:
    return core_kind(
        models.ConfigMap,
        "configmaps",
        short_names=("cm",),
        subresources=(),
        has_status=False,
        validators=(_validate_configmap,),
        columns=CONFIGMAP_COLUMNS,
    )


def secret_kind() -> KindInfo:
    return core_kind(
        models.Secret,
        "secrets",
        subresources=(),
        has_status=False,
        defaulters=(_default_secret,),
        validators=(_validate_secret,),
        columns=SECRET_COLUMNS,
    )
