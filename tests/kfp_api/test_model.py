"""The KFP API's rules as pure functions: filters, listing and page tokens, packages,
schedules (KFP's own ScheduledWorkflow test cases) and macros."""

from __future__ import annotations

import io
import json
import tarfile
import urllib.parse
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from kflow.api.kfp import filters, listing, macros, packages, schedules, states, times
from kflow.api.kfp.errors import InvalidArgument, NotFound

SECOND, MINUTE, HOUR = 1, 60, 3600

RECORDS = [
    {"id": "a", "name": "alpha", "created_at": 30, "state": "SUCCEEDED"},
    {"id": "b", "name": "beta", "created_at": 10, "state": "FAILED"},
    {"id": "c", "name": "Gamma", "created_at": 20, "state": "SUCCEEDED"},
    {"id": "d", "name": "delta", "created_at": 20, "state": "RUNNING"},
]
LISTING = listing.Listing(
    "Thing",
    "id",
    {
        "id": listing.field("id"),
        "name": listing.field("name"),
        "created_at": listing.field("created_at", 0),
        "state": listing.field("state"),
    },
)


def ids(page: listing.Page) -> list[str]:
    return [r["id"] for r in page.items]


def flt(*predicates: dict[str, Any]) -> str:
    return json.dumps({"predicates": list(predicates)})


# -- filters ---------------------------------------------------------------------------


def test_filters_accept_protobuf_json_spellings_and_numbered_operations() -> None:
    by_name = flt({"operation": "EQUALS", "key": "name", "string_value": "beta"})
    by_number = flt({"operation": 1, "key": "name", "stringValue": "beta"})
    encoded = urllib.parse.quote(by_name)  # the client may URL-encode it once more
    for text in (by_name, by_number, encoded):
        assert ids(listing.page(LISTING, RECORDS, filter=text)) == ["b"]


def test_filter_operations() -> None:
    def matching(*predicates: dict[str, Any]) -> list[str]:
        return sorted(ids(listing.page(LISTING, RECORDS, filter=flt(*predicates))))

    assert matching({"operation": "NOT_EQUALS", "key": "state", "string_value": "SUCCEEDED"}) == [
        "b",
        "d",
    ]
    assert matching({"operation": "GREATER_THAN", "key": "created_at", "long_value": "15"}) == [
        "a",
        "c",
        "d",
    ]
    assert matching({"operation": "LESS_THAN_EQUALS", "key": "created_at", "int_value": 20}) == [
        "b",
        "c",
        "d",
    ]
    assert matching(
        {"operation": "IN", "key": "state", "string_values": {"values": ["FAILED", "RUNNING"]}}
    ) == ["b", "d"]
    assert matching({"operation": "IS_SUBSTRING", "key": "name", "string_value": "AMM"}) == ["c"]
    assert matching(
        {
            "operation": "GREATER_THAN_EQUALS",
            "key": "created_at",
            "timestamp_value": "1970-01-01T00:00:20Z",
        },
        {"operation": "EQUALS", "key": "state", "string_value": "SUCCEEDED"},
    ) == ["a", "c"]


@pytest.mark.parametrize(
    ("predicate", "message"),
    [
        (
            {"operation": "EQUALS", "key": "nope", "string_value": "x"},
            'key "nope" cannot be filtered on',
        ),
        ({"operation": "LIKE", "key": "name", "string_value": "x"}, "is not one of EQUALS"),
        (
            {"operation": "IN", "key": "name", "string_value": "x"},
            "operation IN needs exactly one of",
        ),
        (
            {"operation": "IS_SUBSTRING", "key": "name", "int_value": 1},
            "IS_SUBSTRING needs a string_value",
        ),
        ({"operation": "EQUALS", "key": "name"}, "needs exactly one of int_value"),
        (
            {"operation": "EQUALS", "key": "created_at", "timestamp_value": "yesterday"},
            "not an RFC 3339 time",
        ),
    ],
)
def test_bad_filters_say_what_is_wrong(predicate: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        listing.page(LISTING, RECORDS, filter=flt(predicate))
    with pytest.raises(InvalidArgument, match="failed to parse valid filter"):
        filters.parse("{not json", ["name"])


# -- listing ---------------------------------------------------------------------------


def test_default_order_is_created_at_then_id_and_sort_by_reverses_both() -> None:
    assert ids(listing.page(LISTING, RECORDS)) == ["b", "c", "d", "a"]
    assert ids(listing.page(LISTING, RECORDS, sort_by="created_at desc")) == ["a", "d", "c", "b"]
    assert ids(listing.page(LISTING, RECORDS, sort_by="NAME")) == ["c", "a", "b", "d"]
    with pytest.raises(InvalidArgument, match="Invalid sorting field"):
        listing.page(LISTING, RECORDS, sort_by="color")
    with pytest.raises(InvalidArgument, match="invalid sort by format"):
        listing.page(LISTING, RECORDS, sort_by="name up")


def test_page_tokens_walk_every_record_once_and_carry_sort_and_filter() -> None:
    many = [
        {"id": f"r{i:02d}", "name": f"n{i % 3}", "created_at": i // 2, "state": "X"}
        for i in range(25)
    ]
    seen: list[str] = []
    page = listing.page(LISTING, many, page_size=4, sort_by="created_at desc")
    while True:
        assert page.total_size == 25
        seen += ids(page)
        if not page.next_page_token:
            break
        page = listing.page(LISTING, many, page_size=4, page_token=page.next_page_token)
    assert seen == ids(listing.page(LISTING, many, page_size=100, sort_by="created_at desc"))
    assert len(set(seen)) == 25
    first = listing.page(
        LISTING,
        many,
        page_size=2,
        filter=flt({"operation": "EQUALS", "key": "name", "string_value": "n1"}),
    )
    second = listing.page(LISTING, many, page_size=100, page_token=first.next_page_token)
    assert {r["name"] for r in second.items} == {"n1"} and first.total_size == 8
    with pytest.raises(InvalidArgument, match="page token does not match"):
        listing.page(LISTING, many, page_token=first.next_page_token, sort_by="name")
    with pytest.raises(InvalidArgument, match="Invalid page token"):
        listing.page(LISTING, many, page_token="not-a-token")


def test_page_size_defaults_to_20_and_caps_at_200() -> None:
    many = [{"id": f"{i:04d}", "created_at": i} for i in range(250)]
    assert len(listing.page(LISTING, many).items) == 20
    assert len(listing.page(LISTING, many, page_size=1000).items) == 200
    with pytest.raises(InvalidArgument, match="greater than 0"):
        listing.page(LISTING, many, page_size=-1)


# -- packages --------------------------------------------------------------------------

IR = {
    "pipelineInfo": {"name": "my-pipeline"},
    "root": {"dag": {"tasks": {}}},
    "schemaVersion": "2.1.0",
}
ARGO = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "hello-"},
    "spec": {},
}


def tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_packages_are_ir_or_argo_in_yaml_tarballs_and_zips() -> None:
    ir_yaml = yaml.safe_dump(IR).encode()
    platform = yaml.safe_dump({"platforms": {"kubernetes": {}}}).encode()
    plain = packages.read_package("p.yaml", ir_yaml + b"---\n" + platform)
    assert (plain.kind, plain.name) == (packages.V2, "my-pipeline")
    assert plain.struct() == {
        "pipeline_spec": IR,
        "platform_spec": {"platforms": {"kubernetes": {}}},
    }
    assert packages.read_package("p.tar.gz", tarball({"pipeline.yaml": ir_yaml})).spec == IR
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("wf.yaml", yaml.safe_dump(ARGO))
    argo = packages.read_package("p.zip", zipped.getvalue())
    assert (argo.kind, argo.name, argo.struct()) == (packages.ARGO, "hello", ARGO)
    assert packages.from_struct({"pipeline_spec": IR, "platform_spec": {}}).spec == IR


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("p.txt", b"x: 1", "Unexpected pipeline file format"),
        ("p.yaml", b"{unclosed", "not valid YAML"),
        ("p.yaml", b"kind: Pod\n", "neither a KFP pipeline spec"),
        (
            "p.yaml",
            yaml.safe_dump({**IR, "pipelineInfo": {"name": "Bad_Name"}}).encode(),
            "is invalid",
        ),
        ("p.tgz", b"not a tarball", "Not a valid tarball"),
        (
            "p.tgz",
            tarball({"a.yaml": b"x: 1", "b.yaml": b"x: 2"}),
            "exactly one pipeline YAML file",
        ),
        (
            "p.yaml",
            yaml.safe_dump({**ARGO, "kind": "CronWorkflow"}).encode(),
            "Unsupported Argo kind",
        ),
    ],
)
def test_bad_packages_say_what_is_wrong(filename: str, data: bytes, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        packages.read_package(filename, data)


# -- schedules (the cases of KFP's periodic_schedule_test.go and cron_schedule_test.go) --


def periodic(
    start: int | None = None, end: int | None = None, interval: int = MINUTE
) -> schedules.Trigger:
    return schedules.Trigger(interval=interval, start=start, end=end)


def cron(expression: str, start: int | None = None, end: int | None = None) -> schedules.Trigger:
    return schedules.Trigger(cron=expression, start=start, end=end)


@pytest.mark.parametrize(
    "every_minute",
    [
        lambda start, end: periodic(start, end),
        lambda start, end: cron("* * * * * ", start, end),  # a trailing space must not matter
    ],
    ids=["periodic", "cron"],
)
def test_schedules_fire_as_kfp(
    every_minute: Callable[[int | None, int | None], schedules.Trigger],
) -> None:
    t = every_minute(10 * HOUR + 10 * MINUTE, 11 * HOUR)
    created = 10 * HOUR + 15 * MINUTE
    last = 10 * HOUR + 20 * MINUTE
    nxt = schedules.next_time
    assert nxt(t, last=last, created=created, now=0, catchup=True) == last + MINUTE
    assert nxt(t, last=None, created=created, now=0, catchup=True) == 10 * HOUR + 11 * MINUTE
    assert (
        nxt(every_minute(None, 11 * HOUR), last=None, created=created, now=0, catchup=True)
        == created + MINUTE
    )
    assert nxt(t, last=13 * HOUR, created=created, now=0, catchup=True) is None  # past the end
    assert nxt(t, last=last, created=created, now=last + 30, catchup=False) == last + MINUTE
    assert nxt(t, last=last, created=created, now=last + MINUTE, catchup=False) == last + MINUTE
    assert nxt(t, last=last, created=created, now=last + 90, catchup=False) == last + MINUTE
    assert (
        nxt(t, last=last, created=created, now=10 * HOUR + 30 * MINUTE, catchup=False)
        == 10 * HOUR + 30 * MINUTE
    )
    assert nxt(t, last=last, created=created, now=12 * HOUR, catchup=False) == 11 * HOUR


def test_cron_dialect_seconds_first_descriptors_and_every() -> None:
    thursday = 0  # 1970-01-01 was a Thursday
    weekdays_at_nine = cron("0 0 9 ? * 2-6")  # kfp.Client's own example; 2-6 is Tue-Sat
    assert weekdays_at_nine.next_after(thursday) == 9 * HOUR
    assert weekdays_at_nine.next_after(9 * HOUR) == 24 * HOUR + 9 * HOUR
    assert cron("*/10 * * * * *").next_after(0) == 10
    assert cron("@hourly").next_after(5) == HOUR
    assert cron("@every 1h30m").next_after(100) == 100 + 90 * MINUTE
    assert cron("@every 300ms").next_after(7) == 8  # robfig rounds up to a second
    for bad in ("* * *", "61 * * * * *", "@every soon", "@fortnightly"):
        with pytest.raises(InvalidArgument, match="not a supported format"):
            schedules.check_cron(bad)


def test_triggers_parse_from_the_api_shapes() -> None:
    parsed = schedules.parse_trigger(
        {"periodic_schedule": {"interval_second": "90", "start_time": "1970-01-01T01:00:00Z"}}
    )
    assert (parsed.interval, parsed.start, parsed.end) == (90, HOUR, None)
    assert schedules.parse_trigger({"cronSchedule": {"cron": "0 * * * * *"}}).cron == "0 * * * * *"
    with pytest.raises(InvalidArgument, match="exactly one of"):
        schedules.parse_trigger({})
    with pytest.raises(InvalidArgument, match="Set at interval to least 1 second"):
        schedules.parse_trigger({"periodic_schedule": {"interval_second": 0}})


# -- macros, times, states ---------------------------------------------------------------


def test_macros_as_kfp_formats_them() -> None:
    at = 1_700_000_000  # 2023-11-14T22:13:20Z
    params = {
        "when": "[[ScheduledTime]]",
        "day": "out/[[ScheduledTime.2006-01-02]]/[[Index]]",
        "id": "[[RunUUID]]-[[CurrentTime.15:04]]",
        "keep": "[[Unknown]]",
        "n": 3,
    }
    out = macros.substitute_parameters(params, run_id="r1", now=at + 60, scheduled=at, index=7)
    assert out == {
        "when": "20231114221320",
        "day": "out/2023-11-14/7",
        "id": "r1-22:14",
        "keep": "[[Unknown]]",
        "n": 3,
    }
    # a run no recurring run started has no scheduled time or index: those stay
    assert macros.substitute("[[Index]] [[RunUUID]]", run_id="r2", now=at) == "[[Index]] r2"


def test_times_and_states() -> None:
    assert times.render(None) == times.EPOCH
    assert times.parse("2026-01-02T03:04:05+01:00", "t") == times.parse("2026-01-02T02:04:05Z", "t")
    assert states.from_argo_phase("Error") is states.RuntimeState.FAILED
    assert states.from_argo_phase(None) is states.RuntimeState.PENDING
    assert states.from_argo_phase("Weird") is states.RuntimeState.UNSPECIFIED
    assert NotFound("x").body()["code"] == 5 and NotFound("x").http_status == 404
