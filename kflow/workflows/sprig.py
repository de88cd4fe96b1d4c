"""The Sprig template functions Argo exposes to expressions as `sprig.<name>`.

Argo passes Sprig's `GenericFuncMap` (less `env` and `expandenv`). Sprig's argument
order puts the subject last (`sprig.replace(old, new, s)`, `sprig.trimPrefix(p, s)`)
and its conversions never fail: `sprig.int("x")` is 0. This is the subset workflows
use: strings, conversions, lists and dicts, math, regular expressions, encodings.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable, Mapping, Sequence

from kflow.workflows.expr_builtins import go_regex, is_number
from kflow.workflows.govalues import from_json, go_format, go_json


def to_int64(value: object) -> int:
    """spf13/cast's ToInt64, as Sprig uses it: unparsable values are 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        text = re.sub(r"\.0+$", "", value.strip())  # cast trims a zero decimal part: "3.0" is 3
        try:
            return int(text, 0)
        except ValueError:
            return 0
    return 0


def to_float64(value: object) -> float:
    if is_number(value) or isinstance(value, bool):
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return 0.0
    return 0.0


def _string(value: object) -> str:
    return "" if value is None else go_format(value)


def _empty(value: object) -> bool:
    if value is None or value is False:
        return True
    if is_number(value):
        return value == 0
    if isinstance(value, (str, Sequence, Mapping)):
        return len(value) == 0
    return False


def _substr(start: object, end: object, text: str) -> str:
    begin, stop = to_int64(start), to_int64(end)
    if begin < 0:
        return text[:stop]
    if stop < 0 or stop > len(text):
        return text[begin:]
    return text[begin:stop]


def _trunc(count: object, text: str) -> str:
    n = to_int64(count)
    if n < 0 and len(text) + n > 0:
        return text[len(text) + n :]
    return text[:n] if n >= 0 and len(text) > n else text


def _dict(*pairs: object) -> dict[str, object]:
    values = list(pairs) + ([""] if len(pairs) % 2 else [])
    return {_string(values[i]): values[i + 1] for i in range(0, len(values), 2)}


def _dig(*arguments: object) -> object:
    """`dig "a" "b" default dict`: a nested lookup with a default."""
    if len(arguments) < 2:
        raise TypeError("dig needs keys, a default and a map")
    *keys, default, mapping = arguments
    current: object = mapping
    for key in keys:
        if not isinstance(current, Mapping) or key not in current:
            return default
        current = current[key]
    return current


def _math(reduce: Callable[[int, int], int]) -> Callable[..., int]:
    def run(first: object, *rest: object) -> int:
        total = to_int64(first)
        for value in rest:
            total = reduce(total, to_int64(value))
        return total

    return run


def _division(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("integer divide by zero")
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b >= 0) else -quotient


def _modulo(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("integer divide by zero")
    return a - b * _division(a, b)


def _title(text: str) -> str:
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), text)


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", text)]


SPRIG: dict[str, Callable[..., object]] = {
    # strings: the subject comes last
    "trim": lambda s: _string(s).strip(),
    "trimAll": lambda cutset, s: _string(s).strip(cutset),
    "trimPrefix": lambda prefix, s: _string(s).removeprefix(prefix),
    "trimSuffix": lambda suffix, s: _string(s).removesuffix(suffix),
    "upper": lambda s: _string(s).upper(),
    "lower": lambda s: _string(s).lower(),
    "title": lambda s: _title(_string(s)),
    "untitle": lambda s: re.sub(
        r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).lower(), _string(s)
    ),
    "repeat": lambda count, s: _string(s) * max(0, to_int64(count)),
    "substr": _substr,
    "trunc": _trunc,
    "nospace": lambda s: re.sub(r"\s", "", _string(s)),
    "abbrev": lambda width, s: (
        s if len(s) <= to_int64(width) else s[: max(0, to_int64(width) - 3)] + "..."
    ),
    "contains": lambda substr, s: substr in _string(s),
    "hasPrefix": lambda prefix, s: _string(s).startswith(prefix),
    "hasSuffix": lambda suffix, s: _string(s).endswith(suffix),
    "quote": lambda *values: " ".join(go_json(_string(v)) for v in values if v is not None),
    "squote": lambda *values: " ".join(f"'{_string(v)}'" for v in values if v is not None),
    "cat": lambda *values: " ".join(_string(v) for v in values if v is not None),
    "replace": lambda old, new, s: _string(s).replace(old, new),
    "indent": lambda n, s: "\n".join(" " * to_int64(n) + line for line in _string(s).split("\n")),
    "nindent": lambda n, s: (
        "\n" + "\n".join(" " * to_int64(n) + line for line in _string(s).split("\n"))
    ),
    "snakecase": lambda s: "_".join(_words(_string(s))),
    "kebabcase": lambda s: "-".join(_words(_string(s))),
    "camelcase": lambda s: "".join(w.capitalize() for w in re.split(r"[_\-\s]+", _string(s)) if w),
    "plural": lambda one, many, count: one if to_int64(count) == 1 else many,
    "split": lambda sep, s: {f"_{i}": part for i, part in enumerate(_string(s).split(sep))},
    "splitList": lambda sep, s: _string(s).split(sep),
    "join": lambda sep, values: sep.join(_string(v) for v in values),
    "sortAlpha": lambda values: sorted(_string(v) for v in values),
    # conversions and defaults
    "toString": _string,
    "toStrings": lambda values: [_string(v) for v in values],
    "int": to_int64,
    "int64": to_int64,
    "float64": to_float64,
    "atoi": lambda s: int(s) if re.fullmatch(r"[+-]?\d+", _string(s)) else 0,
    "toJson": lambda v: go_json(v),
    "toPrettyJson": lambda v: go_json(v, "  "),
    "fromJson": lambda s: from_json(s),
    "default": lambda default, *given: default if not given or _empty(given[0]) else given[0],
    "empty": _empty,
    "coalesce": lambda *values: next((v for v in values if not _empty(v)), None),
    "ternary": lambda yes, no, condition: yes if condition is True else no,
    # math on int64
    "add": _math(lambda a, b: a + b),
    "add1": lambda v: to_int64(v) + 1,
    "sub": _math(lambda a, b: a - b),
    "mul": _math(lambda a, b: a * b),
    "div": _math(_division),
    "mod": _math(_modulo),
    "max": _math(max),
    "min": _math(min),
    "until": lambda n: list(range(to_int64(n))),
    # lists and dicts
    "list": lambda *values: list(values),
    "dict": _dict,
    "first": lambda values: values[0] if values else None,
    "last": lambda values: values[-1] if values else None,
    "rest": lambda values: list(values[1:]),
    "initial": lambda values: list(values[:-1]),
    "append": lambda values, value: [*values, value],
    "prepend": lambda values, value: [value, *values],
    "has": lambda needle, values: needle in values,
    "keys": lambda *maps: [k for m in maps for k in m],
    "hasKey": lambda mapping, key: key in mapping,
    "dig": _dig,
    "get": lambda mapping, key: mapping.get(key, ""),
    # regular expressions: pattern first
    "regexMatch": lambda pattern, s: go_regex(pattern).search(_string(s)) is not None,
    "regexFind": lambda pattern, s: (
        m.group(0) if (m := go_regex(pattern).search(_string(s))) else ""
    ),
    "regexFindAll": lambda pattern, s, n: [
        m.group(0) for m in go_regex(pattern).finditer(_string(s))
    ][: (None if to_int64(n) < 0 else to_int64(n))],
    "regexReplaceAll": lambda pattern, s, repl: go_regex(pattern).sub(
        re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", repl), _string(s)
    ),
    "regexReplaceAllLiteral": lambda pattern, s, repl: go_regex(pattern).sub(
        lambda _: repl, _string(s)
    ),
    "regexSplit": lambda pattern, s, n: (
        go_regex(pattern).split(_string(s), max(0, to_int64(n) - 1))
        if to_int64(n) > 0
        else go_regex(pattern).split(_string(s))
    ),
    # encodings and hashes
    "b64enc": lambda s: base64.b64encode(_string(s).encode()).decode(),
    "b64dec": lambda s: base64.b64decode(_string(s).encode()).decode(errors="replace"),
    "sha1sum": lambda s: hashlib.sha1(_string(s).encode()).hexdigest(),
    "sha256sum": lambda s: hashlib.sha256(_string(s).encode()).hexdigest(),
    "uuidv4": lambda: str(uuid.uuid4()),
}
