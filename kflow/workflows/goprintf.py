"""Go's `fmt.Sprintf(format, n)` for one integer, as `withSequence.format` uses it.

Supports Go's flags (`-+# 0`), width, precision and the integer verbs (`d v x X o O b
c q U`); other verbs and missing or extra operands print Go's `%!verb(int=5)`
markers, so a wrong format shows in the item instead of failing.
"""

from __future__ import annotations

import re

_VERB = re.compile(r"%([-+# 0]*)(\d*)(?:\.(\d*))?(.)", re.DOTALL)


def _digits(value: int, verb: str, alternate: bool) -> str:
    magnitude = abs(value)
    if verb in "dv":
        return str(magnitude)
    if verb in "xX":
        text = f"{magnitude:x}"
        text = ("0x" + text) if alternate else text
        return text.upper() if verb == "X" else text
    if verb == "o":
        return ("0" if alternate else "") + f"{magnitude:o}"
    if verb == "O":
        return "0o" + f"{magnitude:o}"
    return f"{magnitude:b}"  # b


def _integer(value: int, flags: str, width: str, precision: str | None, verb: str) -> str:
    if verb == "c":
        return chr(value)
    if verb == "q":
        return "'" + chr(value) + "'"
    if verb == "U":
        return f"U+{value:04X}"
    digits = _digits(value, verb, "#" in flags)
    if precision is not None and precision != "":
        digits = digits.zfill(int(precision))
    sign = "-" if value < 0 else ("+" if "+" in flags else (" " if " " in flags else ""))
    size = int(width) if width else 0
    if "-" in flags:
        return (sign + digits).ljust(size)
    if "0" in flags and precision is None:
        return sign + digits.zfill(max(0, size - len(sign)))
    return (sign + digits).rjust(size)


def sprintf_int(format: str, value: int) -> str:
    """`fmt.Sprintf(format, value)` with `value` a Go `int`."""
    out: list[str] = []
    used = False
    at = 0
    for match in _VERB.finditer(format):
        out.append(format[at : match.start()])
        at = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if used:
            out.append(f"%!{verb}(MISSING)")
            continue
        used = True
        if verb in "dvxXoObcqU":
            out.append(_integer(value, flags, width, precision, verb))
        else:
            out.append(f"%!{verb}(int={value})")
    out.append(format[at:])
    if not used:
        out.append(f"%!(EXTRA int={value})")
    return "".join(out)
