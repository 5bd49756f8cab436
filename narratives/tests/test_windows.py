"""The time each segment's LLM request gets, and the retries that fit in it, by hand."""

from __future__ import annotations

import pytest

from narratives.windows import MIN_ANSWER_S, Attempts, Schedule, attempts, pauses, window


def test_the_least_an_answer_is_given() -> None:
    assert MIN_ANSWER_S == 20.0  # the expectations below are worked out with it


@pytest.mark.parametrize(
    ("remaining", "rounds", "expected"),
    [
        pytest.param(90.0, 4, 22.5, id="a-fair-share"),
        pytest.param(200.0, 4, 50.0, id="a-fair-share-of-a-long-budget"),
        pytest.param(190.0, 3, 190.0 / 3, id="time-a-fast-segment-left-passes-on"),
        pytest.param(40.0, 4, 20.0, id="never-less-than-an-answer-needs"),
        pytest.param(18.0, 1, 18.0, id="the-last-round-gets-what-is-left"),
        pytest.param(10.0, 4, 10.0, id="never-more-than-is-left"),
        pytest.param(0.0, 2, 0.0, id="nothing-left"),
        pytest.param(-1.0, 1, 0.0, id="past-the-deadline"),
    ],
)
def test_a_window_is_the_share_of_what_is_left(
    remaining: float, rounds: int, expected: float
) -> None:
    assert window(remaining, rounds) == pytest.approx(expected)


def test_pauses_are_the_clients_backoff() -> None:
    assert [pauses(n) for n in range(6)] == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5]


@pytest.mark.parametrize(
    ("span", "max_retries", "cap", "expected"),
    [
        # (60 - 0.5 - 1) / 3 = 19.5 < 20: two retries would cut answers short; one fits.
        pytest.param(60.0, 2, None, Attempts(29.75, 1), id="hosted-default"),
        pytest.param(100.0, 2, None, Attempts(98.5 / 3, 2), id="every-retry-fits"),
        pytest.param(20.0, 2, None, Attempts(20.0, 0), id="one-attempt-takes-the-window"),
        pytest.param(12.0, 1, 5.0, Attempts(5.0, 1), id="capped-attempts-and-a-retry"),
        pytest.param(10.0, 1, 5.0, Attempts(5.0, 0), id="two-capped-attempts-do-not-fit"),
        pytest.param(20.0, 2, 5.0, Attempts(5.0, 2), id="three-capped-attempts-fit"),
        pytest.param(6.0, 1, 2.0, Attempts(2.0, 1), id="short-cap"),
        pytest.param(1.5, 2, 2.0, Attempts(1.5, 0), id="a-short-window"),
        pytest.param(30.0, 0, None, Attempts(30.0, 0), id="no-retries-asked"),
    ],
)
def test_retries_are_allowed_only_when_they_fit(
    span: float, max_retries: int, cap: float | None, expected: Attempts
) -> None:
    got = attempts(span, max_retries=max_retries, cap=cap)
    assert got.retries == expected.retries
    assert got.timeout == pytest.approx(expected.timeout)
    # Every attempt run to its timeout, with the client's pauses between: still in the window.
    assert (got.retries + 1) * got.timeout + pauses(got.retries) <= span + 1e-9


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_at_a_time_a_slow_first_answer_and_fast_ones_all_fit() -> None:
    # Budget 40 s, one place, answers of 12, 5, 5 and 5 s: 40 / 4 = 10 s would cut the first.
    clock = Clock()
    schedule = Schedule(clock() + 40.0, segments=4, concurrency=1, clock=clock)
    windows = []
    for took in (12.0, 5.0, 5.0, 5.0):
        windows.append(schedule.start() - clock.now)
        clock.now += took
    assert windows == pytest.approx([20.0, 20.0, 20.0, 18.0])


def test_time_left_by_fast_segments_passes_to_later_ones() -> None:
    clock = Clock()
    schedule = Schedule(clock() + 200.0, segments=4, concurrency=1, clock=clock)
    windows = []
    for took in (10.0, 10.0, 10.0, 10.0):
        windows.append(schedule.start() - clock.now)
        clock.now += took
    assert windows == pytest.approx([50.0, 190.0 / 3, 180.0 / 2, 170.0])


def test_segments_started_together_share_the_rounds() -> None:
    # Two places, four segments: two rounds of 30 s; the third starts when one has ended.
    clock = Clock()
    schedule = Schedule(clock() + 60.0, segments=4, concurrency=2, clock=clock)
    first, second = schedule.start() - clock.now, schedule.start() - clock.now
    clock.now += 5.0
    third = schedule.start() - clock.now
    assert (first, second, third) == pytest.approx((30.0, 30.0, 55.0))
