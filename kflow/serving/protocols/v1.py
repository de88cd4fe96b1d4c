"""`/v1/models/...`: TF Serving's REST API and KServe's V1 protocol, which share it.

    GET  /v1/models                                     KServe V1: {"models": [...]}
    GET  /v1/models/M[/versions/V|/labels/L]            status (TF) + name/ready (KServe)
    GET  /v1/models/M[/versions/V|/labels/L]/metadata   TF Serving metadata
    POST /v1/models/M[/versions/V|/labels/L]:VERB       predict, classify, regress, explain

`GET /v1/models/M` answers both protocols in one body: TF Serving's
`model_version_status` next to KServe's `name` and `ready`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kflow.serving.errors import InvalidInput, ModelNotFound, Unsupported
from kflow.serving.model import PythonModel, TensorModel
from kflow.serving.protocols import tfserving
from kflow.serving.protocols.common import guarded, json_object, json_response
from kflow.serving.repository import ModelRepository, ModelVersion, ServedModel

VERBS = ("predict", "classify", "regress", "explain")


def _parse(rest: str) -> tuple[str, str | None, str | None, str | None, bool]:
    """(model, version, label, verb, metadata) from the path after /v1/models/."""
    verb = None
    head, sep, tail = rest.rpartition(":")
    if sep and "/" not in tail:
        rest, verb = head, tail
        if verb not in VERBS:
            raise ModelNotFound(
                f"unknown verb ':{verb}' (one of {', '.join(':' + v for v in VERBS)})"
            )
    parts = [p for p in rest.split("/") if p]
    is_metadata = bool(parts) and parts[-1] == "metadata" and len(parts) in (2, 4)
    if is_metadata:
        parts = parts[:-1]
    if len(parts) == 1:
        return parts[0], None, None, verb, is_metadata
    if len(parts) == 3 and parts[1] in ("versions", "labels"):
        version = parts[2] if parts[1] == "versions" else None
        label = parts[2] if parts[1] == "labels" else None
        return parts[0], version, label, verb, is_metadata
    raise ModelNotFound(
        f"no such path /v1/models/{rest}: expected /v1/models/NAME[/versions/N|/labels/L]"
        "[/metadata] or ...:predict|:classify|:regress|:explain"
    )


def endpoints(repository: ModelRepository) -> dict[str, Any]:
    @guarded
    async def list_models(request: Request) -> Response:
        return json_response({"models": sorted(repository.models)})

    @guarded
    async def live(request: Request) -> Response:
        return json_response({"status": "alive"})

    @guarded
    async def models(request: Request) -> Response:
        name, version, label, verb, is_metadata = _parse(request.path_params["rest"])
        model = repository.get(name)
        if request.method == "GET":
            if verb is not None:
                raise InvalidInput(f":{verb} takes POST")
            if is_metadata:
                return json_response(tfserving.metadata(model, model.resolve(version, label)))
            only = None
            if version is not None or label is not None:
                only = _exact(model, version, label)
            return json_response(tfserving.status(model, only))
        if verb is None:
            raise InvalidInput("POST needs a verb: ...:predict, :classify, :regress or :explain")
        body = json_object(await request.body())
        # resolved after the last await before the call: a version resolved earlier could
        # be unloaded while the body is still arriving
        target = model.resolve(version, label)
        if verb == "explain":
            explained = await target.explain(body, dict(request.headers))
            return json_response(_dict(explained, "explanations"))
        if isinstance(target.servable, PythonModel):
            if verb != "predict":
                raise Unsupported(f"custom model {name!r} serves :predict and :explain only")
            predicted = await target.infer_python(body, dict(request.headers))
            return json_response(_dict(predicted, "predictions"))
        return json_response(await _tensor_verb(target, verb, body))

    return {"list": list_models, "live": live, "models": models}


def _exact(model: ServedModel, version: str | None, label: str | None) -> ModelVersion:
    if label is not None:
        if label not in model.config.labels:
            raise ModelNotFound(f"model {model.name!r} has no label {label!r}")
        version = str(model.config.labels[label])
    assert version is not None
    try:
        found = model.versions.get(int(version))
    except ValueError:
        found = None
    if found is None:
        raise ModelNotFound(f"model {model.name!r} has no version {version}")
    return found


def _dict(result: Any, key: str) -> Any:
    """A custom model's answer as sent: a dict as is, anything else under `key`."""
    if isinstance(result, dict):
        return result
    tolist = getattr(result, "tolist", None)
    return {key: tolist() if callable(tolist) else result}


async def _tensor_verb(target: ModelVersion, verb: str, body: dict[str, Any]) -> dict[str, Any]:
    model: TensorModel = target.tensor_model
    if body.get("signature_name") not in (None, "", "serving_default"):
        raise InvalidInput(
            f"signature {body['signature_name']!r} not found (the model has 'serving_default')"
        )
    if verb == "predict":
        inputs, row_format = tfserving.parse_predict(body, model)
        return tfserving.predict_response(await target.predict(inputs), row_format)
    inputs = tfserving.parse_examples(body, model)
    if verb == "classify":
        name = tfserving.scores_output(model)
        result = await target.predict(inputs, (name,))
        return tfserving.classify_response(result[name], model.class_labels)
    result = await target.predict(inputs)
    if len(result) != 1:
        raise Unsupported("regress needs a model with one output (use :predict)")
    return tfserving.regress_response(next(iter(result.values())))
