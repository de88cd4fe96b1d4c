"""Output formats of `get`: kubectl-style tables from server Tables, YAML, JSON, names.

Columns come from the server's `meta.k8s.io/v1` Table, so a kind's printer columns
are defined once, server-side, and kubectl and `kflow get` print the same thing.
Tables are plain text padded like kubectl's (three spaces between columns), so output
can be piped to `awk` and `grep`.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from kflow.api.tables import human_age
from kflow.sdk import Resource
from kflow.sdk.jsonpath import render

Obj = dict[str, Any]

GAP = 3  # spaces between columns, as kubectl's tabwriter pads
FORMATS = ("wide", "yaml", "json", "name", "jsonpath=TEMPLATE")


def cell_text(value: Any, column: Obj) -> str:
    """One table cell as kubectl prints it."""
    if value is None:
        return "<none>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(cell_text(v, column) for v in value) or "<none>"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    text = str(value)
    if column.get("type") == "date" and text.endswith("Z"):
        return human_age(text)
    return text


class TablePrinter:
    """Prints the rows of server Tables, keeping column widths steady while watching."""

    def __init__(self, *, wide: bool, namespace_column: bool, name_prefix: str = "") -> None:
        self.wide = wide
        self.namespace_column = namespace_column
        self.name_prefix = name_prefix  # "pod/" when several kinds are listed together
        self.widths: list[int] = []
        self.header_printed = False

    def _columns(self, table: Obj) -> list[tuple[int, Obj]]:
        defs = table.get("columnDefinitions") or []
        return [(i, c) for i, c in enumerate(defs) if self.wide or not c.get("priority")]

    def _name_index(self, table: Obj) -> int:
        columns = self._columns(table)
        for i, c in columns:
            if c.get("format") == "name" or str(c.get("name", "")).lower() == "name":
                return i
        return columns[0][0] if columns else 0

    def rows(self, table: Obj) -> list[list[str]]:
        columns = self._columns(table)
        name_at = self._name_index(table)
        out = []
        for row in table.get("rows") or []:
            cells = row.get("cells") or []
            line = []
            if self.namespace_column:
                meta = (row.get("object") or {}).get("metadata") or {}
                line.append(str(meta.get("namespace") or ""))
            for i, col in columns:
                text = cell_text(cells[i] if i < len(cells) else None, col)
                if i == name_at and self.name_prefix:
                    text = self.name_prefix + text
                line.append(text)
            out.append(line)
        return out

    def header(self, table: Obj) -> list[str]:
        names = [str(c.get("name", "")).upper() for _, c in self._columns(table)]
        return (["NAMESPACE"] if self.namespace_column else []) + names

    def lines(self, table: Obj, *, headers: bool = True) -> list[str]:
        """The table as lines; the header is printed once per printer."""
        body = self.rows(table)
        block = body
        if headers and not self.header_printed:
            block = [self.header(table), *body]
            self.header_printed = True
        for line in block:
            for i, text in enumerate(line):
                if i >= len(self.widths):
                    self.widths.append(len(text))
                else:
                    self.widths[i] = max(self.widths[i], len(text))
        return [self._format(line) for line in block]

    def _format(self, line: list[str]) -> str:
        padded = [
            text.ljust(self.widths[i] + GAP) if i < len(line) - 1 else text
            for i, text in enumerate(line)
        ]
        return "".join(padded).rstrip()


def object_name(resource: Resource, obj: Obj) -> str:
    """`pod/web`: what `-o name` prints."""
    return f"{resource.display}/{(obj.get('metadata') or {}).get('name', '')}"


def as_list(items: list[Obj]) -> Obj:
    """Several objects as the `List` kubectl prints for `-o yaml|json`."""
    return {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}


def dump(obj: Obj, output: str) -> str:
    """An object (or List) as YAML, JSON or a JSONPath template's text."""
    if output == "yaml":
        return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True)
    if output == "json":
        return json.dumps(obj, indent=4, ensure_ascii=False) + "\n"
    if output.startswith("jsonpath="):
        template = output[len("jsonpath=") :].strip()
        if len(template) >= 2 and template[0] == template[-1] and template[0] in "'\"":
            template = template[1:-1]
        return render(obj, template)
    raise ValueError(output)


def check_output(output: str | None) -> None:
    """ValueError naming the allowed formats when `output` is not one of them."""
    if output is None or output in ("wide", "yaml", "json", "name"):
        return
    if output.startswith("jsonpath="):
        return
    raise ValueError(
        f'unable to match a printer suitable for the output format "{output}", '
        f"allowed formats are: {', '.join(FORMATS)}"
    )
