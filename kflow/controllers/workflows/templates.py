"""Finding the template a step or task calls, and filling it with its arguments.

A step, a task, the entrypoint and an exit handler all *hold* a template: by name
(`template: echo`, looked up where the caller's own template came from), by
reference (`templateRef: {name: my-wftmpl, template: echo}`, from a WorkflowTemplate
or, with `clusterScope`, a ClusterWorkflowTemplate) or in place (`inline`).
Referenced templates are copied into `status.storedTemplates` the first time they
are used, so editing a WorkflowTemplate never changes a workflow that already runs.

`process_args` is Argo's `ProcessArgs`: input parameters take the caller's argument
or their default (and must be in their `enum`), input artifacts take the caller's
artifact, and every `{{workflow.*}}`, `{{inputs.*}}`, `{{pod.name}}`, `{{retries}}`
and `{{outputs.*.path}}` is substituted; anything else stays for later passes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from kflow.controllers.workflows.scope import param_value
from kflow.workflows.params import check_enum
from kflow.workflows.variables import substitute_tree

Obj = dict[str, Any]
Fetch = Callable[[bool, str], Obj | None]
"""Reads a (Cluster)WorkflowTemplate by (cluster scope, name); None when it does not exist."""

LOCAL = "local"


class TemplateNotFound(LookupError):
    """A step or task names a template that does not exist."""


@dataclasses.dataclass(frozen=True)
class Source:
    """Where names resolve: the workflow itself, or a (Cluster)WorkflowTemplate."""

    scope: str  # "local/<workflow>", "namespaced/<name>" or "cluster/<name>" (Argo's)
    templates: dict[str, Obj]

    @classmethod
    def of(cls, scope: str, spec: Obj) -> Source:
        templates = {
            str(t.get("name")): t for t in spec.get("templates") or [] if isinstance(t, dict)
        }
        return cls(scope, templates)


class Resolver:
    """Resolves template holders for one workflow, storing what it fetched."""

    def __init__(self, local: Source, stored: dict[str, Obj], fetch: Fetch) -> None:
        self.local = local
        self.stored = stored  # status.storedTemplates, written through
        self.fetch = fetch
        self._sources: dict[str, Source] = {local.scope: local}
        self.stored_changed = False

    def source(self, scope: str) -> Source:
        """The templates of `scope` (a node's `templateScope`)."""
        if scope in self._sources:
            return self._sources[scope]
        kind, _, name = scope.partition("/")
        if kind == LOCAL:
            return self.local
        body = self.fetch(kind == "cluster", name)
        if body is None:
            what = "clusterworkflowtemplates" if kind == "cluster" else "workflowtemplates"
            raise TemplateNotFound(f'{what}.argoproj.io "{name}" not found')
        self._sources[scope] = Source.of(scope, body.get("spec") or {})
        return self._sources[scope]

    def resolve(self, holder: Obj, within: Source) -> tuple[Obj, Source]:
        """The template `holder` calls and where its own references resolve."""
        ref = holder.get("templateRef")
        if isinstance(ref, dict) and ref:
            scope = f"{'cluster' if ref.get('clusterScope') else 'namespaced'}/{ref.get('name')}"
            key = f"{scope}/{ref.get('template')}"
            if key in self.stored:
                return self.stored[key], self._stored_source(scope)
            source = self.source(scope)
            template = source.templates.get(str(ref.get("template")))
            if template is None:
                raise TemplateNotFound(
                    f"template reference {ref.get('name')}.{ref.get('template')} not found"
                )
            self.stored[key] = template
            self.stored_changed = True
            return template, source
        inline = holder.get("inline")
        if isinstance(inline, dict):
            return inline, within
        name = str(holder.get("template") or "")
        template = within.templates.get(name)
        if template is None:
            raise TemplateNotFound(f"template {name} not found")
        return template, within

    def _stored_source(self, scope: str) -> Source:
        """Templates stored from `scope`, so its internal references still resolve."""
        try:
            return self.source(scope)
        except TemplateNotFound:
            prefix = f"{scope}/"
            return Source(
                scope, {k[len(prefix) :]: v for k, v in self.stored.items() if k.startswith(prefix)}
            )


class ArgumentError(ValueError):
    """An input the caller did not supply (Argo's `inputs.parameters.x was not supplied`)."""


def _by_name(items: object) -> dict[str, Obj]:
    if not isinstance(items, list):
        return {}
    return {str(i.get("name")): i for i in items if isinstance(i, dict)}


def process_args(
    template: Obj, arguments: Obj | None, globals_: dict[str, str], local: dict[str, str]
) -> Obj:
    """Argo's `ProcessArgs`: the template with its inputs filled in and substituted."""
    tmpl = json.loads(json.dumps(template))
    arguments = arguments or {}
    arg_params = _by_name(arguments.get("parameters"))
    arg_artifacts = _by_name(arguments.get("artifacts"))
    inputs = tmpl.get("inputs") or {}
    for param in inputs.get("parameters") or []:
        if param.get("value") is None and param.get("default") is not None:
            param["value"] = param["default"]
        given = arg_params.get(str(param.get("name")))
        if given is not None and given.get("value") is not None:
            param["value"] = given["value"]
        elif given is not None and given.get("valueFrom") is not None:
            param["valueFrom"] = given["valueFrom"]
        if param.get("value") is None and param.get("valueFrom") is None:
            raise ArgumentError(f"inputs.parameters.{param.get('name')} was not supplied")
        if param.get("value") is not None:
            param["value"] = param_value(param)
        enum = param.get("enum")
        if isinstance(enum, list) and param.get("value") is not None and "{{" not in param["value"]:
            check_enum(
                str(param.get("name")),
                param["value"],
                [str(v) for v in enum],
                prefix="inputs.parameters.",
            )
    for i, art in enumerate(inputs.get("artifacts") or []):
        given = arg_artifacts.get(str(art.get("name")))
        if given is not None:
            merged = dict(given)
            for keep in ("path", "mode"):
                if art.get(keep) is not None:
                    merged[keep] = art[keep]
            inputs["artifacts"][i] = merged
        elif not art.get("optional") and not _has_location(art):
            raise ArgumentError(f"inputs.artifacts.{art.get('name')} was not supplied")
    first = substitute_tree(tmpl, {**globals_, **local}, strict=False)
    return substitute_tree(first, template_scope(first), strict=False)


def _has_location(art: Obj) -> bool:
    return any(art.get(k) for k in ("raw", "kflow", "from", "s3", "http", "git", "gcs"))


def template_scope(tmpl: Obj) -> dict[str, str]:
    """`inputs.parameters.x`, `inputs.parameters`, `inputs.artifacts.y.path`, `outputs.*.path`."""
    scope: dict[str, str] = {}
    inputs = tmpl.get("inputs") or {}
    params = inputs.get("parameters") or []
    for param in params:
        value = param_value(param)
        if value is not None:
            scope[f"inputs.parameters.{param['name']}"] = value
    scope["inputs.parameters"] = json.dumps(params, separators=(",", ":"))
    for art in inputs.get("artifacts") or []:
        if art.get("path"):
            scope[f"inputs.artifacts.{art['name']}.path"] = str(art["path"])
    outputs = tmpl.get("outputs") or {}
    for art in outputs.get("artifacts") or []:
        if art.get("path"):
            scope[f"outputs.artifacts.{art['name']}.path"] = str(art["path"])
    for param in outputs.get("parameters") or []:
        path = (param.get("valueFrom") or {}).get("path")
        if path:
            scope[f"outputs.parameters.{param['name']}.path"] = str(path)
    return scope


def template_type(template: Obj) -> str:
    """`container`, `script`, `resource`, `suspend`, `steps` or `dag` ("" when none)."""
    for kind in ("container", "script", "resource", "suspend", "steps", "dag"):
        if template.get(kind) is not None:
            return kind
    return ""
