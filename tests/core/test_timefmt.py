"""m:ss.mmm formatting and parsing."""

from __future__ import annotations

import pytest

from inpaint_studio.core.timefmt import format_time, parse_time, tick_decimals


@pytest.mark.parametrize(
    "seconds,text",
    [(0, "0:00.000"), (75.5, "1:15.500"), (59.9996, "1:00.000"), (3725.25, "1:02:05.250"),
     (-1.5, "-0:01.500"), (0.0004, "0:00.000")],
)  # fmt: skip
def test_format(seconds, text):
    assert format_time(seconds) == text


def test_format_decimals_and_nonfinite():
    assert format_time(75.5, 0) == "1:16"  # rounds
    assert format_time(75.25, 1) == "1:15.2"
    assert format_time(float("nan")) == "--:--"


@pytest.mark.parametrize(
    "text,seconds",
    [("1:15.5", 75.5), ("75.5", 75.5), (" 0:01:15.500 ", 75.5), ("2:03", 123.0), (".25", 0.25),
     ("1:02:05.25", 3725.25), ("0", 0.0)],
)  # fmt: skip
def test_parse(text, seconds):
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "1:75", "1:2:3:4", "-1", "1:60:00", "1,5"])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_round_trip():
    for s in (0.001, 12.345, 599.999, 3600.0, 4000.123):
        assert parse_time(format_time(s)) == pytest.approx(s, abs=5e-4)


def test_tick_decimals():
    assert tick_decimals(5) == 0
    assert tick_decimals(0.5) == 1
    assert tick_decimals(0.02) == 2
    assert tick_decimals(0.0001) == 4
