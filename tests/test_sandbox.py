"""sandbox.run: the child's memory ceiling, deadline and death all end as Exceeded, fast; a refusal comes back
with its type and message; the parent never unpickles anything."""
from __future__ import annotations

import os
import signal
import time

import pytest

from chalicelib import pixels, sandbox

pytestmark = pytest.mark.unit

MB = 2**20


def test_an_answer_comes_back_whole():
    data, first, second = sandbox.run(lambda: (b"x" * (3 * MB), 7, 9), seconds=5, memory=256 * MB,
                                      answer_bytes=4 * MB)
    assert (len(data), first, second) == (3 * MB, 7, 9)


def test_memory_over_the_ceiling_fails_in_the_child_not_the_parent():
    def greedy():
        hoard = bytearray(2 * 1024 * MB)  # 2 GB: what the GIF canvas bomb took
        return bytes(hoard[:1]), 0, 0

    started = time.monotonic()
    with pytest.raises(sandbox.Exceeded):
        sandbox.run(greedy, seconds=5, memory=256 * MB, answer_bytes=10)
    assert time.monotonic() - started < 1


def test_a_child_that_runs_past_its_deadline_is_killed_at_it():
    def forever():
        while True:
            pass

    started = time.monotonic()
    with pytest.raises(sandbox.Exceeded, match="more than 0.3 s"):
        sandbox.run(forever, seconds=0.3, memory=256 * MB, answer_bytes=10)
    assert 0.3 <= time.monotonic() - started < 1.5


def test_a_child_that_dies_is_exceeded_and_reaped():
    with pytest.raises(sandbox.Exceeded):
        sandbox.run(lambda: os.kill(os.getpid(), signal.SIGKILL), seconds=5, memory=256 * MB, answer_bytes=10)
    assert _zombies() == []  # no child left behind, not even a zombie


def _zombies() -> list[int]:
    """This process's children that ended and were not waited for."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except (OSError, ValueError):
            continue
        if entry.isdigit() and fields[0] == "Z" and int(fields[1]) == os.getpid():
            found.append(int(entry))
    return found


def test_an_answer_longer_than_allowed_is_refused():
    with pytest.raises(sandbox.Exceeded, match="too large"):
        sandbox.run(lambda: (b"x" * MB, 0, 0), seconds=5, memory=256 * MB, answer_bytes=1000)


def test_a_refusal_keeps_its_type_and_message_and_others_do_not_pass():
    def too_complex():
        raise pixels.TooComplex("300 frames")

    with pytest.raises(pixels.TooComplex, match="300 frames"):
        sandbox.run(too_complex, seconds=5, memory=256 * MB, answer_bytes=10, passes=(pixels.TooComplex, ValueError))

    def broken():
        raise KeyError("JPEG")  # the MPO bug's exception: not a refusal the caller knows

    with pytest.raises(sandbox.Exceeded):
        sandbox.run(broken, seconds=5, memory=256 * MB, answer_bytes=10)


def test_no_time_left_runs_nothing():
    with pytest.raises(sandbox.Exceeded):
        sandbox.run(lambda: (b"", 0, 0), seconds=0, memory=256 * MB, answer_bytes=10)


def test_in_lambda_the_child_gets_what_the_function_has_left(monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
    spare = sandbox.spare_memory(768 * MB)
    assert spare < 512 * MB - 64 * MB  # less what this process holds
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    assert sandbox.spare_memory(768 * MB) == 768 * MB


def test_one_child_answers_each_item_in_turn_and_stops_at_the_first_refusal():
    def square(n: int):
        if n == 3:
            raise ValueError("three is refused")
        return bytes([n]) * n, n, os.getpid()

    answers = sandbox.run_each(square, [1, 2, 3, 4], seconds=5, memory=256 * MB, answer_bytes=100)
    got = [next(answers), next(answers)]
    assert [(data, n) for data, n, _ in got] == [(b"\x01", 1), (b"\x02\x02", 2)]
    assert got[0][2] == got[1][2] != os.getpid()  # one child, not this process
    with pytest.raises(ValueError, match="three is refused"):  # the third item, after two answers
        next(answers)
    assert _zombies() == []


def test_a_child_that_dies_mid_way_is_exceeded_after_the_answers_it_gave():
    def fragile(n: int):
        if n == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return b"ok", n, 0

    answers = sandbox.run_each(fragile, [1, 2, 3], seconds=5, memory=256 * MB, answer_bytes=100)
    assert next(answers)[1] == 1
    with pytest.raises(sandbox.Exceeded):
        next(answers)


def test_a_caller_that_stops_reading_leaves_no_child_behind():
    def slow(n: int):
        time.sleep(10)
        return b"", n, 0

    answers = sandbox.run_each(lambda n: (b"", n, 0) if n == 1 else slow(n), [1, 2], seconds=30, memory=256 * MB,
                               answer_bytes=10)
    assert next(answers)[1] == 1
    started = time.monotonic()
    answers.close()  # the child is still sleeping on item 2: killed and reaped now
    assert time.monotonic() - started < 1 and _zombies() == []
