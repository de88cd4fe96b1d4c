"""The InferenceService as a `KindInfo`, and its registration into a kind registry.

Served at `serving.kserve.io/v1beta1` with the status subresource, short name `isvc`,
KServe's defaulting and validation, and the columns KServe's CRD prints: `URL`,
`READY` (the Ready condition's status), `PREV` and `LATEST` (the traffic percent of
the predictor's revision tagged `prev` and of its latest ready revision),
`PREVROLLEDOUTREVISION` and `LATESTREADYREVISION` (those revisions' names), `AGE`.
"""

from __future__ import annotations

from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj, Registry, registry
from kflow.api.kserve import contracts as c
from kflow.api.kserve.admission import default_inference_service, validate_inference_service
from kflow.api.kserve.models import InferenceService
from kflow.api.models.base import model_schema
from kflow.api.models.causes import model_causes
from kflow.api.tables import age_column, name_column

CATEGORIES = ("all", "kserve")


def _typed(obj: Obj, old: Obj | None) -> list[Cause]:
    return model_causes(InferenceService, obj)


def _predictor(obj: Obj) -> Obj:
    components = (obj.get("status") or {}).get("components") or {}
    predictor = components.get(c.PREDICTOR) if isinstance(components, dict) else None
    return predictor if isinstance(predictor, dict) else {}


def url(obj: Obj) -> str:
    return str((obj.get("status") or {}).get("url") or "")


def ready(obj: Obj) -> str:
    """The Ready condition's status (`True`, `False`, `Unknown`), or empty."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == c.CONDITION_READY:
            return str(cond.get("status") or "")
    return ""


def _target(obj: Obj, *, tag: str | None = None, latest: bool | None = None) -> Obj:
    """The first predictor traffic entry with that tag or `latestRevision` (KServe's
    printer columns select `traffic[?(@.tag=='prev')]` and `[?(@.latestRevision==true)]`)."""
    for target in _predictor(obj).get("traffic") or []:
        if not isinstance(target, dict):
            continue
        if (tag is not None and target.get("tag") == tag) or (
            latest is not None and target.get("latestRevision") is latest
        ):
            return target
    return {}


def _percent(target: Obj) -> int | None:
    percent = target.get("percent")
    return percent if isinstance(percent, int) else None


def previous_percent(obj: Obj) -> int | None:
    return _percent(_target(obj, tag=c.PREV_TAG))


def latest_percent(obj: Obj) -> int | None:
    return _percent(_target(obj, latest=True))


def previous_revision(obj: Obj) -> str:
    return str(_target(obj, tag=c.PREV_TAG).get("revisionName") or "")


def latest_ready_revision(obj: Obj) -> str:
    return str(_target(obj, latest=True).get("revisionName") or "")


ISVC_COLUMNS = (
    name_column(),
    Column("URL", url, description="The gateway URL."),
    Column("READY", ready, description="The status of the Ready condition."),
    Column("PREV", previous_percent, "integer", "Traffic to the previously rolled-out revision."),
    Column("LATEST", latest_percent, "integer", "Traffic to the latest ready revision."),
    Column(
        "PREVROLLEDOUTREVISION",
        previous_revision,
        description="The previously rolled-out revision.",
    ),
    Column("LATESTREADYREVISION", latest_ready_revision, description="The latest ready revision."),
    age_column(),
)


def inference_service_kind() -> KindInfo:
    return KindInfo(
        group=c.GROUP,
        version=c.VERSION,
        kind=c.KIND,
        plural=c.PLURAL,
        short_names=c.SHORT_NAMES,
        categories=CATEGORIES,
        schema=model_schema(InferenceService),
        defaulters=(default_inference_service,),
        validators=(_typed, validate_inference_service),
        columns=ISVC_COLUMNS,
    )


def register_kserve_kinds(target: Registry | None = None) -> list[KindInfo]:
    """Register the InferenceService into `target` (the process registry by default)."""
    into = registry if target is None else target
    return [into.register(inference_service_kind())]
