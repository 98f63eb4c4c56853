"""The start-up warm-up gives way to visitors, for a bounded time (``dashboard/warmup.py``).

That the warm-up makes first visits fast is measured by bench/bench_pages.py, not asserted here; that it
runs at all is seen by every browser test (they start the app with ``python -m dashboard``).
"""

from __future__ import annotations

import time

import pytest

from dashboard import warmup


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warmup, "QUIET_S", 0.3)
    monkeypatch.setattr(warmup, "MAX_YIELD_S", 1.0)
    monkeypatch.setattr(warmup, "_yielded", 0.0)
    monkeypatch.setattr(warmup, "_last_visit", 0.0)


def test_no_visitor_no_wait(clock: None) -> None:
    start = time.monotonic()
    warmup.give_way()
    assert time.monotonic() - start < 0.1


def test_waits_until_the_visitor_is_done(clock: None) -> None:
    warmup.visitor()
    start = time.monotonic()
    warmup.give_way()
    assert 0.25 <= time.monotonic() - start < 0.9


def test_never_waits_more_than_its_bound_in_all(clock: None) -> None:
    start = time.monotonic()
    for _ in range(6):  # somebody keeps clicking
        warmup.visitor()
        warmup.give_way()
    assert time.monotonic() - start < 1.6
    warmup.visitor()
    again = time.monotonic()
    warmup.give_way()
    assert time.monotonic() - again < 0.1, "the bound is for the whole warm-up, not per step"
