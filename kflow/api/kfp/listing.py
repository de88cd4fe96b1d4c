"""List calls as KFP answers them: filter, sort, page size and page tokens.

Every KFP list takes `page_token`, `page_size` (0 means 20, at most 200), `sort_by`
(`"field"`, `"field desc"` or `"field asc"`, created_at ascending by default) and a
`filter` (see `filters`). Records order by the sort field, then by their id, both in
the sort's direction, so pages never overlap or skip. A page token, as KFP's, is
base64 JSON naming the first record of the next page together with the sort and the
filter, so the next call needs only the token; a token with a different sort or
filter than the call's is refused.

A kind's `Listing` says which API fields it can sort and filter on and how to read
each from a record.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from kflow.api.kfp import filters
from kflow.api.kfp.errors import InvalidArgument

Record = dict[str, Any]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200


@dataclasses.dataclass(frozen=True)
class Listing:
    """How one kind lists: its id field and the fields a sort or filter may name."""

    kind: str  # for messages: "Run", "Experiment", ...
    key: str  # the record's id field: "run_id", ...
    fields: Mapping[str, Callable[[Record], Any]]
    default_sort: str = "created_at"


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of a list and what a client needs for the next one."""

    items: list[Record]
    total_size: int
    next_page_token: str


def field(name: str, default: Any = "") -> Callable[[Record], Any]:
    """A reader of a top-level record field."""
    return lambda record: record.get(name, default)


def page(
    listing: Listing,
    records: Iterable[Record],
    *,
    page_token: str = "",
    page_size: int | str | None = None,
    sort_by: str = "",
    filter: str = "",
) -> Page:
    """The page of `records` that the query asks for."""
    size = _page_size(page_size)
    token = _decode(page_token) if page_token else None
    sort_field, desc = _sort(listing, sort_by)
    flt = filters.parse(filter, listing.fields.keys())
    if token is not None:
        if (sort_by or filter) and (
            token.get("sort") != sort_field
            or bool(token.get("desc")) != desc
            or (filter and token.get("filter", "") != flt.source)
        ):
            raise InvalidArgument(
                "page token does not match the supplied sort by and/or filtering criteria. "
                "Either specify the same criteria or leave the latter empty if page token is specified."
            )
        sort_field, desc = _sort(
            listing, f"{token.get('sort', '')} {'desc' if token.get('desc') else 'asc'}"
        )
        flt = filters.parse(str(token.get("filter") or ""), listing.fields.keys())

    read = listing.fields[sort_field]

    def lookup_for(record: Record) -> Callable[[str], Any]:
        return lambda key: listing.fields[key](record)

    matched = [r for r in records if flt.matches(lookup_for(r))]

    def order(record: Record) -> tuple[Any, str]:
        value = read(record)
        return ("" if value is None else value, str(record.get(listing.key, "")))

    matched.sort(key=order, reverse=desc)
    start = 0
    if token is not None:
        mark = (token.get("value"), str(token.get("key", "")))
        start = next(
            (i for i, r in enumerate(matched) if (order(r) <= mark if desc else order(r) >= mark)),
            len(matched),
        )
    items = matched[start : start + size]
    following = matched[start + size : start + size + 1]
    next_token = ""
    if following:
        value, key = order(following[0])
        next_token = _encode(
            {"sort": sort_field, "desc": desc, "filter": flt.source, "value": value, "key": key}
        )
    return Page(items, len(matched), next_token)


def _page_size(raw: int | str | None) -> int:
    try:
        size = int(raw or 0)
    except (TypeError, ValueError):
        raise InvalidArgument(f"page_size must be an integer, not {raw!r}") from None
    if size < 0:
        raise InvalidArgument(f"The page size should be greater than 0. Got {size}")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _sort(listing: Listing, sort_by: str) -> tuple[str, bool]:
    words = sort_by.lower().split()
    if len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
        raise InvalidArgument(
            f'Received invalid sort by format "{sort_by}". Supported format: '
            '"field_name", "field_name desc", or "field_name asc"'
        )
    name = words[0] if words else listing.default_sort
    if name not in listing.fields:
        raise InvalidArgument(
            f'Invalid sorting field: "{name}" on listable type {listing.kind}; '
            f"sortable fields: {', '.join(sorted(listing.fields))}"
        )
    return name, len(words) == 2 and words[1] == "desc"


def _encode(token: dict[str, Any]) -> str:
    return base64.b64encode(orjson.dumps(token)).decode()


def _decode(text: str) -> dict[str, Any]:
    try:
        token = orjson.loads(base64.b64decode(text.encode(), validate=True))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise InvalidArgument(f"Invalid page token {text!r}: not one this server issued") from None
    if not isinstance(token, dict) or "sort" not in token:
        raise InvalidArgument(f"Invalid page token {text!r}: not one this server issued")
    return token
