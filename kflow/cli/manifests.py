"""Reading manifests for `apply -f` and `delete -f`: files, directories and stdin.

Each object is kept with where it came from (`pod.yaml document 2`), so every error
about it — a YAML syntax error, a missing `kind`, a field the server rejects — can
point at the file and the document a person has to fix. All problems in all files are
collected before anything is sent, so one bad file never leaves half an apply behind.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, TextIO

import yaml

Obj = dict[str, Any]

STDIN = "-"
SUFFIXES = (".yaml", ".yml", ".json")


@dataclasses.dataclass(frozen=True)
class Manifest:
    """One object from a file, and where in that file it is."""

    source: str  # the path as the user typed it, or "<stdin>"
    index: int  # 1-based number of the YAML document in the file
    body: Obj
    item: int | None = None  # 1-based position inside a `kind: List` document

    @property
    def where(self) -> str:
        """`pod.yaml document 2` (`... item 3` inside a List)."""
        text = f"{self.source} document {self.index}"
        return f"{text} item {self.item}" if self.item is not None else text

    @property
    def name(self) -> str:
        return str((self.body.get("metadata") or {}).get("name") or "")


class ManifestError(Exception):
    """Some manifests cannot be used; `problems` holds one line for each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def expand(paths: list[str]) -> tuple[list[str], list[str]]:
    """The files `-f` names (directories: their manifests, sorted), and problems."""
    files: list[str] = []
    problems: list[str] = []
    for raw in paths:
        if raw == STDIN:
            files.append(STDIN)
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in SUFFIXES)
            if not found:
                problems.append(f"{raw}: no manifests (*.yaml, *.yml, *.json) in this directory")
            files.extend(str(p) for p in found)
        elif path.exists():
            files.append(raw)
        else:
            problems.append(f'the path "{raw}" does not exist')
    return files, problems


def _check(
    source: str, index: int, doc: Any, item: int | None = None
) -> tuple[list[Manifest], list[str]]:
    where = f"{source} document {index}" + (f" item {item}" if item is not None else "")
    if not isinstance(doc, dict):
        shown = "a list" if isinstance(doc, list) else f"a {type(doc).__name__}"
        return [], [f"{where}: expected an object with apiVersion, kind and metadata, got {shown}"]
    kind = doc.get("kind")
    if item is None and isinstance(kind, str) and kind.endswith("List") and "items" in doc:
        out: list[Manifest] = []
        problems: list[str] = []
        items = doc.get("items")
        if not isinstance(items, list):
            return [], [f"{where}: items: must be a list of objects"]
        for n, child in enumerate(items, start=1):
            found, bad = _check(source, index, child, n)
            out.extend(found)
            problems.extend(bad)
        return out, problems
    problems = []
    api_version = doc.get("apiVersion")
    if not isinstance(api_version, str) or not api_version:
        problems.append(
            f"{where}: apiVersion: Required value: set the kind's group/version, "
            "such as v1 or kubeflow.org/v1"
        )
    if not isinstance(kind, str) or not kind:
        problems.append(
            f"{where}: kind: Required value: set the object's kind, such as Pod or TFJob"
        )
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        problems.append(
            f"{where}: metadata.name: Required value: add metadata with a name "
            "(lowercase letters, digits, '-' and '.')"
        )
    elif not isinstance(metadata.get("name"), str) or not metadata.get("name"):
        if metadata.get("generateName"):
            problems.append(
                f"{where}: metadata.name: Required value: apply needs a fixed name; "
                "metadata.generateName is not supported here"
            )
        else:
            problems.append(
                f"{where}: metadata.name: Required value: "
                "a name of lowercase letters, digits, '-' and '.'"
            )
    if problems:
        return [], problems
    return [Manifest(source, index, doc, item)], []


def _parse_json(source: str, text: str) -> tuple[list[Manifest], list[str]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [
            f"{source} document 1: JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ]
    return _check(source, 1, doc)


def _parse_yaml(source: str, text: str) -> tuple[list[Manifest], list[str]]:
    manifests: list[Manifest] = []
    problems: list[str] = []
    index = 0
    try:
        for index, doc in enumerate(yaml.safe_load_all(text), start=1):
            if doc is None:
                continue  # an empty document, as between `---` lines
            found, bad = _check(source, index, doc)
            manifests.extend(found)
            problems.extend(bad)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "invalid YAML"
        problems.append(f"{source} document {index + 1}: YAML syntax error{at}: {what}")
    except yaml.YAMLError as exc:
        problems.append(f"{source} document {index + 1}: YAML error: {exc}")
    return manifests, problems


def read(paths: list[str], stdin: TextIO) -> list[Manifest]:
    """Every object in `paths`, in order; ManifestError listing every problem found."""
    if not paths:
        raise ManifestError(["name the manifests with -f FILE, -f DIR or -f - (stdin)"])
    files, problems = expand(paths)
    manifests: list[Manifest] = []
    for name in files:
        source = "<stdin>" if name == STDIN else name
        try:
            text = stdin.read() if name == STDIN else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{source}: cannot read: {exc}")
            continue
        parse = _parse_json if name.endswith(".json") else _parse_yaml
        found, bad = parse(source, text)
        manifests.extend(found)
        problems.extend(bad)
    if problems:
        raise ManifestError(problems)
    if not manifests:
        raise ManifestError([f"no objects in {', '.join(paths)}"])
    return manifests
