"""The TEXT and JSON parsers against Katib-shaped logs, read whole and a chunk at a time."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kflow.api.katib.observations import Observation
from kflow.tuning.metrics import (
    UNAVAILABLE,
    objective_reported,
    parse_json_lines,
    parse_text,
    timestamps,
    unavailable,
)

NOW = dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=dt.timezone.utc)
NOW_TEXT = "2026-11-25T10:00:00Z"
NAMES = ("accuracy", "loss")

# what Katib's own examples print (Katib's file-metricscollector test data)
KATIB_LOG = b"""\
2024-03-04T17:55:08Z INFO     Epoch[0] Batch[0] loss=0.5 accuracy=0.2
2024-03-04T17:55:09.123456789+01:00 INFO  Epoch[0] Validation-accuracy=0.4
epoch 1:
 batch1 loss = 1.2e-3
 accuracy=+0.98 unused=3 loss=-.5
Train-accuracy=0.9
"""


def test_default_filter_keeps_only_the_experiments_metrics() -> None:
    parsed = parse_text(KATIB_LOG, metric_names=NAMES, now=NOW)
    assert parsed.consumed == len(KATIB_LOG)
    assert parsed.observations == [
        Observation("loss", "0.5", "2024-03-04T17:55:08Z"),
        Observation("accuracy", "0.2", "2024-03-04T17:55:08Z"),
        Observation("loss", "1.2e-3", NOW_TEXT),
        Observation("accuracy", "+0.98", NOW_TEXT),
        Observation("loss", "-.5", NOW_TEXT),
    ]


def test_custom_filters_and_the_leading_timestamp_in_utc() -> None:
    filters = [r"([\w-]+)\s*:\s*(\d+\.\d+)", r"(Validation-accuracy)=(\d+\.\d+)"]
    data = b"2024-03-04T17:55:09.123456789+01:00 Validation-accuracy=0.4 loss: 0.25\nloss=0.1\n"
    parsed = parse_text(
        data, metric_names=["Validation-accuracy", "loss"], filters=filters, now=NOW
    )
    stamp = "2024-03-04T16:55:09.123456789Z"
    assert parsed.observations == [
        Observation("loss", "0.25", stamp),
        Observation("Validation-accuracy", "0.4", stamp),
    ]


def test_filters_must_compile_with_two_groups() -> None:
    with pytest.raises(ValueError, match=r"metricsFormat\[1\].*two groups"):
        parse_text(b"", metric_names=NAMES, filters=[r"(a)=(b)", r"(a)=b"], now=NOW)
    with pytest.raises(ValueError, match=r"metricsFormat\[0\]: invalid regex"):
        parse_text(b"", metric_names=NAMES, filters=[r"(a"], now=NOW)


def test_partial_lines_wait_for_their_newline() -> None:
    log = b"loss=0.5\naccuracy=0.7\nloss=0.3"
    seen: list[Observation] = []
    offset = 0
    # the log grows a few bytes at a time: each observation is read exactly once
    for end in range(1, len(log) + 1):
        parsed = parse_text(log[offset:end], metric_names=NAMES, now=NOW)
        seen.extend(parsed.observations)
        offset += parsed.consumed
    assert [o.value for o in seen] == ["0.5", "0.7"]
    assert offset == len(b"loss=0.5\naccuracy=0.7\n")
    last = parse_text(log[offset:], metric_names=NAMES, now=NOW, final=True)
    assert [o.value for o in last.observations] == ["0.3"]
    assert offset + last.consumed == len(log)


def test_a_split_utf8_character_is_not_lost() -> None:
    log = "métrique loss=0.5\n".encode()
    first = parse_text(log[:2], metric_names=NAMES, now=NOW)
    assert first.consumed == 0
    rest = parse_text(log, metric_names=NAMES, now=NOW)
    assert [o.value for o in rest.observations] == ["0.5"]


def test_json_lines_like_katibs_test_data() -> None:
    lines = [
        {
            "checkpoint_path": "",
            "global_step": "0",
            "loss": "0.22082142531871796",
            "timestamp": 1638422847.28721,
        },
        {"acc": "0.9349666833877563", "global_step": "0", "timestamp": 1638422847.287801},
        {"loss": "0.1414974331855774", "timestamp": "2021-12-02T14:27:50.000035161Z", "step": 1},
        {"loss": 0.10683439671993256, "epoch": "2"},
        {"acc": True, "loss": None},
    ]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode() + b"\n"
    parsed = parse_json_lines(data, metric_names=["loss", "acc"], now=NOW)
    assert parsed.problems == []
    assert parsed.observations == [
        Observation("loss", "0.22082142531871796", "2021-12-02T05:27:27.28721Z"),
        Observation("acc", "0.9349666833877563", "2021-12-02T05:27:27.287801Z"),
        Observation("loss", "0.1414974331855774", "2021-12-02T14:27:50.000035161Z", 1),
        Observation("loss", "0.10683439671993256", NOW_TEXT, 2),
    ]


def test_json_lines_report_what_they_skip() -> None:
    data = b'not json\n[1, 2]\n{"loss": "0.5", "timestamp": "yesterday"}\n{"loss": "0.4"'
    parsed = parse_json_lines(data, metric_names=["loss"], now=NOW)
    assert [o.value for o in parsed.observations] == ["0.5"]
    assert parsed.observations[0].timestamp == NOW_TEXT
    assert parsed.consumed == data.rfind(b"\n") + 1
    assert len(parsed.problems) == 3
    assert parsed.problems[0].startswith("byte 0: not JSON")
    assert "byte 9: not a JSON object" in parsed.problems[1]
    assert "'yesterday' is neither RFC 3339 nor epoch seconds" in parsed.problems[2]


def test_unavailable_is_katibs_row_for_a_missing_objective() -> None:
    rows = parse_text(b"loss=0.5\n", metric_names=NAMES, now=NOW).observations
    assert not objective_reported(rows, "accuracy")
    assert unavailable("accuracy") == Observation("accuracy", UNAVAILABLE, "0001-01-01T00:00:00Z")
    # a second end-of-trial check must not add a second unavailable row
    assert objective_reported([unavailable("accuracy")], "accuracy")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z"),
        ("2026-11-25T10:00:00.500Z", "2026-11-25T10:00:00.5Z"),
        ("2026-11-25T00:30:00.000000001-01:00", "2026-11-25T01:30:00.000000001Z"),
        ("2026-11-25 10:00:00Z", None),
        ("2026-13-25T10:00:00Z", None),
        ("10:00", None),
    ],
)
def test_timestamps_normalise_to_utc(text: str, expected: str | None) -> None:
    assert timestamps.normalize(text) == expected


def test_epoch_seconds_keep_their_decimal_digits() -> None:
    assert timestamps.from_epoch(1638422847.28721) == "2021-12-02T05:27:27.28721Z"
    assert timestamps.from_epoch(0) == "1970-01-01T00:00:00Z"
