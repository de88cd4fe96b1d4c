"""KFP v2 command-line placeholders, resolved the way KFP's launcher resolves them.

A component's compiled `command`/`args` hold `{{$}}` (the whole executor input as
JSON), `{{$.inputs.parameters['x']}}`, `{{$.inputs.artifacts['x'].path|uri|metadata}}`,
`{{$.outputs.parameters['x'].output_file}}`, `{{$.outputs.artifacts['x'].path|uri}}`,
`{{$.outputs.output_file}}`, the run's `{{$.pipeline_job_name}}` family, and whole
arguments that are JSON: `{"Concat": [...]}` (one argument) and
`{"IfPresent": {"InputName": ..., "Then": [...], "Else": [...]}}` (zero or more).
Locally an artifact's path is its URI.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from kflow.pipelines.errors import ComponentFailed

_TAG = re.compile(r"\{\{\$(.*?)\}\}")
_PART = re.compile(r"\.(\w+)|\['([^']*)'\]|\[\"([^\"]*)\"\]")


@dataclasses.dataclass
class Context:
    """What placeholders can name: the executor input plus the run's identity."""

    executor_input: dict[str, Any]
    run: dict[str, str]  # pipeline_job_name, pipeline_job_uuid, pipeline_task_name, ...

    def _inputs(self, kind: str) -> dict[str, Any]:
        return dict(self.executor_input.get("inputs", {}).get(kind) or {})

    def present(self, name: str) -> bool:
        return name in self._inputs("parameterValues") or name in self._inputs("artifacts")

    def value(self, tag: str) -> str:
        if not tag:
            return json.dumps(self.executor_input)
        parts = [a or b or c for a, b, c in _PART.findall(tag)]
        try:
            return self._lookup(parts)
        except (KeyError, IndexError, TypeError):
            raise ComponentFailed(f"cannot resolve the placeholder {{{{${tag}}}}}") from None

    def _lookup(self, parts: list[str]) -> str:
        head = parts[0]
        if head in self.run and len(parts) == 1:
            return self.run[head]
        if parts[:2] == ["inputs", "parameters"]:
            value = self._inputs("parameterValues")[parts[2]]
            return value if isinstance(value, str) else json.dumps(value)
        if parts[:2] == ["outputs", "output_file"]:
            return str(self.executor_input["outputs"]["outputFile"])
        if parts[:2] == ["outputs", "parameters"]:
            return str(self.executor_input["outputs"]["parameters"][parts[2]]["outputFile"])
        if parts[1] == "artifacts" and parts[0] in ("inputs", "outputs"):
            artifacts = self.executor_input[parts[0]]["artifacts"][parts[2]]["artifacts"]
            if len(parts) == 3:
                return json.dumps(artifacts)
            artifact = artifacts[0]
            if parts[3] in ("path", "uri"):
                return str(artifact["uri"])
            if parts[3] == "metadata":
                metadata = artifact.get("metadata") or {}
                if len(parts) == 4:
                    return json.dumps(metadata)
                picked = metadata[parts[4]]
                return picked if isinstance(picked, str) else json.dumps(picked)
        raise KeyError(parts[0])

    def substitute(self, text: str) -> str:
        return _TAG.sub(lambda m: self.value(m.group(1)), text)


def _structured(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return None
    if isinstance(body, dict) and len(body) == 1 and next(iter(body)) in ("Concat", "IfPresent"):
        return body
    return None


def _expand(item: Any, ctx: Context) -> list[str]:
    if isinstance(item, str):
        structured = _structured(item)
        return [ctx.substitute(item)] if structured is None else _expand(structured, ctx)
    if isinstance(item, dict) and "Concat" in item:
        return ["".join("".join(_expand(part, ctx)) for part in item["Concat"])]
    if isinstance(item, dict) and "IfPresent" in item:
        body = item["IfPresent"]
        branch = body.get("Then") if ctx.present(str(body["InputName"])) else body.get("Else")
        if branch is None:
            return []
        branches = branch if isinstance(branch, list) else [branch]
        return [out for part in branches for out in _expand(part, ctx)]
    raise ComponentFailed(f"unsupported command-line placeholder {item!r}")


def resolve(arguments: list[str], ctx: Context) -> list[str]:
    """The command line with every placeholder replaced (IfPresent may drop arguments)."""
    return [out for argument in arguments for out in _expand(argument, ctx)]
