"""Katib's rules for an Experiment's trial template and metrics collector."""

from __future__ import annotations

import json
import re
from typing import Any

from kflow.api.errors import Cause
from kflow.api.katib import contracts as c
from kflow.api.katib.causes import (
    FORBIDDEN,
    as_dict,
    invalid,
    required,
    show,
    unsupported,
)
from kflow.api.kinds import Obj

_META_REFERENCE = re.compile(r"^\$\{trialSpec\.(.+)\}$")
_META_INDEXED = re.compile(r"^(.+)\[(.+)\]$")
_TWO_GROUPS = re.compile(r".*\(.*\).*\(.*\).*")


def is_meta_reference(reference: str) -> bool:
    """True for `${trialSpec.Name}`, `${trialSpec.Labels[app]}` and the like."""
    match = _META_REFERENCE.match(reference)
    if match is None:
        return False
    key = match.group(1)
    indexed = _META_INDEXED.match(key)
    if indexed is not None:
        return indexed.group(1) in ("Labels", "Annotations")
    return key in c.META_REFERENCE_KEYS


def template_causes(spec: Obj) -> list[Cause]:
    at = "spec.trialTemplate"
    template = spec.get("trialTemplate")
    if not isinstance(template, dict):
        return [required(at)]
    causes: list[Cause] = []
    if not template.get("primaryContainerName"):
        causes.append(required(f"{at}.primaryContainerName"))
    for key in ("successCondition", "failureCondition"):
        if not template.get(key):
            causes.append(
                required(f"{at}.{key}", "must be set for a trialSpec kind Katib has no default for")
            )
    trial_spec, config_map = template.get("trialSpec"), template.get("configMap")
    if trial_spec is None and config_map is None:
        return [*causes, required(f"{at}.trialSpec", "one of trialSpec or configMap must be set")]
    if trial_spec is not None and config_map is not None:
        return [
            *causes,
            Cause(at, "Forbidden: only one of trialSpec and configMap may be set", FORBIDDEN),
        ]
    if isinstance(config_map, dict):
        for key in ("configMapName", "configMapNamespace", "templatePath"):
            if not config_map.get(key):
                causes.append(required(f"{at}.configMap.{key}"))
    parameters = template.get("trialParameters")
    if not parameters:
        return [*causes, required(f"{at}.trialParameters")]
    text = json.dumps(trial_spec) if isinstance(trial_spec, dict) else None
    causes += _trial_parameter_causes(spec, parameters, text)
    if isinstance(trial_spec, dict):
        md = as_dict(trial_spec.get("metadata"))
        for key in ("name", "namespace"):
            if md.get(key):
                causes.append(
                    Cause(
                        f"{at}.trialSpec.metadata.{key}",
                        "Forbidden: must be omitted; each trial names its own workload",
                        FORBIDDEN,
                    )
                )
        for key in ("apiVersion", "kind"):
            if not trial_spec.get(key):
                causes.append(required(f"{at}.trialSpec.{key}"))
    return causes


def _trial_parameter_causes(spec: Obj, parameters: Any, text: str | None) -> list[Cause]:
    at = "spec.trialTemplate.trialParameters"
    known = {as_dict(p).get("name") for p in spec.get("parameters") or []}
    causes: list[Cause] = []
    names: set[str] = set()
    references: set[str] = set()
    for i, parameter in enumerate(parameters if isinstance(parameters, list) else []):
        parameter = as_dict(parameter)
        name, reference = parameter.get("name"), parameter.get("reference")
        if not name or not reference:
            causes += [
                required(f"{at}[{i}].{k}") for k in ("name", "reference") if not parameter.get(k)
            ]
            continue
        if "{" in name or "}" in name:
            causes.append(invalid(f"{at}[{i}].name", name, "must not contain '{' or '}'"))
            continue
        if name in names:
            causes.append(
                Cause(f"{at}[{i}].name", f"Duplicate value: {show(name)}", "FieldValueDuplicate")
            )
            continue
        if reference in references:
            causes.append(
                Cause(
                    f"{at}[{i}].reference",
                    f"Duplicate value: {show(reference)}",
                    "FieldValueDuplicate",
                )
            )
            continue
        names.add(name)
        references.add(reference)
        if known and reference not in known and not is_meta_reference(reference):
            causes.append(
                invalid(
                    f"{at}[{i}].reference",
                    reference,
                    "must name one of spec.parameters or be a ${trialSpec.<Name|Namespace|Kind|"
                    "APIVersion|Labels[key]|Annotations[key]>} reference",
                )
            )
        placeholder = c.TRIAL_PARAMETER_FORMAT.format(name=name)
        if text is not None:
            if placeholder not in text:
                causes.append(
                    invalid(
                        f"{at}[{i}].name",
                        name,
                        f"{placeholder} is not used in spec.trialTemplate.trialSpec",
                    )
                )
            text = text.replace(placeholder, "")
    if text is not None:
        for left in sorted(set(re.findall(c.TRIAL_PARAMETER_PATTERN, text))):
            causes.append(
                invalid(
                    "spec.trialTemplate.trialSpec",
                    left,
                    "is not declared in spec.trialTemplate.trialParameters",
                )
            )
    return causes


def collector_causes(spec: Obj) -> list[Cause]:
    at = "spec.metricsCollectorSpec"
    mc = as_dict(spec.get("metricsCollectorSpec"))
    kind = as_dict(mc.get("collector")).get("kind")
    source = as_dict(mc.get("source"))
    path = as_dict(source.get("fileSystemPath"))
    causes: list[Cause] = []
    if kind not in c.COLLECTOR_KINDS:
        return [unsupported(f"{at}.collector.kind", kind, c.COLLECTOR_KINDS)]
    where = f"{at}.source.fileSystemPath"
    if kind in ("File", "TensorFlowEvent"):
        expected = "File" if kind == "File" else "Directory"
        if path.get("kind") != expected:
            causes.append(
                invalid(
                    f"{where}.kind",
                    path.get("kind"),
                    f"must be {expected} for collector kind {kind}",
                )
            )
        if not str(path.get("path") or "").startswith("/"):
            causes.append(invalid(f"{where}.path", path.get("path"), "must be an absolute path"))
    if kind == "File":
        if path.get("format") not in c.FILE_FORMATS:
            causes.append(unsupported(f"{where}.format", path.get("format"), c.FILE_FORMATS))
        elif path.get("format") == "JSON" and source.get("filter") is not None:
            causes.append(
                Cause(f"{at}.source.filter", "Forbidden: must not be set for JSON files", FORBIDDEN)
            )
    if kind == "TensorFlowEvent" and path.get("format"):
        causes.append(invalid(f"{where}.format", path.get("format"), "must be empty"))
    if kind == "PrometheusMetric":
        http_get = as_dict(source.get("httpGet"))
        port = http_get.get("port")
        if not (isinstance(port, int) and not isinstance(port, bool) and port > 0):
            causes.append(invalid(f"{at}.source.httpGet.port", port, "must be a positive integer"))
        if not str(http_get.get("path") or "").startswith("/"):
            causes.append(
                invalid(f"{at}.source.httpGet.path", http_get.get("path"), "must start with /")
            )
    if kind == "Custom" and not as_dict(mc.get("collector")).get("customCollector"):
        causes.append(required(f"{at}.collector.customCollector"))
    for j, pattern in enumerate(as_dict(source.get("filter")).get("metricsFormat") or []):
        field = f"{at}.source.filter.metricsFormat[{j}]"
        try:
            re.compile(str(pattern))
        except re.error as exc:
            causes.append(invalid(field, pattern, f"not a regular expression: {exc}"))
            continue
        if not _TWO_GROUPS.match(str(pattern)):
            causes.append(
                invalid(field, pattern, "needs two groups: the metric name, then its value")
            )
    return causes
