"""References a steps or dag template resolves from its children's results.

Before a step or task runs, its text is substituted from what is in scope and each
artifact argument with `from: "{{tasks.A.outputs.artifacts.x}}"` becomes that stored
artifact (`resolve_call`). Once every child is done, the template's own outputs are
gathered from them (`template_outputs`): parameters by `valueFrom.parameter` (or
`valueFrom.expression`), artifacts by `from`, each with its `default` when the
reference does not resolve.
"""

from __future__ import annotations

from typing import Any

from kflow.controllers.workflows.scope import Scope
from kflow.workflows.errors import TemplateError
from kflow.workflows.expr import evaluate, format_value
from kflow.workflows.variables import expression_env, substitute_tree

Obj = dict[str, Any]


class UnresolvedReference(ValueError):
    """A reference to an output that does not exist (Argo's `Unable to resolve`)."""


def resolve_call(call: Obj, globals_: dict[str, str], scope: Scope) -> Obj:
    """A step or task with `{{...}}` substituted and artifact `from`s resolved."""
    resolved: Obj = substitute_tree(call, {**globals_, **scope.params}, strict=False)
    arguments = resolved.get("arguments") or {}
    artifacts = []
    for art in arguments.get("artifacts") or []:
        reference = art.get("from")
        if not reference:
            artifacts.append(art)
            continue
        found = scope.artifact(str(reference))
        if found is None:
            if art.get("optional"):
                continue
            raise UnresolvedReference(f"Unable to resolve: {reference}")
        merged = {k: v for k, v in found.items() if k not in ("globalName", "path")}
        merged["name"] = art.get("name")
        artifacts.append(merged)
    if arguments.get("artifacts") is not None:
        resolved["arguments"] = {**arguments, "artifacts": artifacts}
    return resolved


def template_outputs(tmpl: Obj, globals_: dict[str, str], scope: Scope) -> Obj | None:
    """A steps or dag template's outputs, from its children's (Argo's
    `getTemplateOutputsFromScope`)."""
    declared = tmpl.get("outputs") or {}
    if not declared.get("parameters") and not declared.get("artifacts"):
        return None
    everything = {**globals_, **scope.params}
    outputs: Obj = {}
    params = []
    for param in declared.get("parameters") or []:
        source = param.get("valueFrom") or {}
        value: str | None = None
        try:
            if source.get("expression"):
                value = format_value(
                    evaluate(str(source["expression"]), expression_env(everything))
                )
            elif source.get("parameter"):
                value = substitute_tree(str(source["parameter"]), everything, strict=True)
        except TemplateError as error:
            if source.get("default") is None:
                raise UnresolvedReference(str(error)) from None
        if value is None and source.get("default") is not None:
            value = str(source["default"])
        if value is None:
            raise UnresolvedReference(
                f"Unable to resolve: {source.get('parameter') or source.get('expression')}"
            )
        out = {k: v for k, v in param.items() if k in ("name", "globalName")}
        params.append({**out, "value": value})
    if params:
        outputs["parameters"] = params
    artifacts = []
    for art in declared.get("artifacts") or []:
        found = scope.artifact(str(art.get("from") or ""))
        if found is None:
            if art.get("optional"):
                continue
            raise UnresolvedReference(f"Unable to resolve: {art.get('from')}")
        kept = {k: v for k, v in found.items() if k not in ("name", "globalName")}
        artifacts.append(
            {
                **kept,
                "name": art.get("name"),
                **({"globalName": art["globalName"]} if art.get("globalName") else {}),
            }
        )
    if artifacts:
        outputs["artifacts"] = artifacts
    return outputs
