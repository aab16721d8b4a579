"""Run a function over some items in a forked child process under a memory ceiling and a deadline.

For work whose cost an untrusted input decides and no library lets us bound from outside: decoding an
image. Pillow's C decoders take whatever memory and time the file asks for (a GIF frame that grows the
canvas, a JPEG whose scans repeat), and a Lambda killed at its memory limit or timeout answers nothing
useful. In the child the address space is capped (RLIMIT_AS) and CPU time is capped (RLIMIT_CPU); the parent
waits on a pipe no longer than the deadline and then kills it. Whatever the input does, the request goes on
with a clear answer, and the parent's memory never holds the decoded pixels.

Why fork rather than a subprocess or multiprocessing: the child starts with Pillow imported; a new
interpreter costs ~100 ms, and multiprocessing's queues need /dev/shm, which Lambda lacks. A fork of a
150 MB Lambda-sized process still costs ~8 ms (page tables, then their teardown), so one child does all of a
request's items, answering each as it is done. The answers come back as bytes behind a small fixed header,
never pickled: a child whose decoder was subverted cannot make the parent run anything.
"""
from __future__ import annotations

import os
import resource
import select
import signal
import struct
import time
from collections.abc import Callable, Generator, Sequence
from typing import NoReturn, TypeVar

Item = TypeVar("Item")
Answer = tuple[bytes, int, int]

# 0 (done) or 1 + which of `passes` was raised; two numbers; the payload's length.
_HEADER = struct.Struct(">BIII")
_DONE = 0


class Exceeded(Exception):
    """The child ran out of time or memory, or died (a crashing decoder is treated the same)."""


def spare_memory(at_most: int, headroom: int = 64 * 2**20) -> int:
    """Bytes a child may add: `at_most`, or less when the Lambda's memory size minus what this process holds
    now (and some headroom) is less, since the child's pages count against the same limit."""
    total = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    if not total:
        return at_most
    with open("/proc/self/statm") as statm:
        resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return max(32 * 2**20, min(at_most, int(total) * 2**20 - resident - headroom))


def _address_space() -> int:
    """Bytes of virtual memory this process has mapped now (VmSize)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _write(fd: int, frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view):]


def _child(write_end: int, function: Callable[[Item], Answer], items: Sequence[Item], memory: int,
           seconds: float, passes: tuple[type[Exception], ...]) -> NoReturn:
    status = 70
    try:
        # Above what the fork inherited: the parent's heap and libraries are shared, only new pages count.
        ceiling = _address_space() + memory
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        cpu = max(1, int(seconds) + 1)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        for item in items:
            try:
                data, first, second = function(item)
            except passes as exc:
                kind = next(n for n, passed in enumerate(passes, 1) if isinstance(exc, passed))
                reason = str(exc).encode()[:1000]
                _write(write_end, _HEADER.pack(kind, 0, 0, len(reason)) + reason)
                break
            _write(write_end, _HEADER.pack(_DONE, first, second, len(data)) + data)
            del data  # the next item's peak should not hold this one's answer too
        status = 0
    except BaseException:  # noqa: BLE001 - MemoryError and anything else: the parent sees a child that failed
        status = 71
    finally:
        os._exit(status)


def run_each(function: Callable[[Item], Answer], items: Sequence[Item], *, seconds: float, memory: int,
             answer_bytes: int, passes: tuple[type[Exception], ...] = (ValueError,)) -> Generator[Answer, None, None]:
    """`function(item)` for each item in turn, computed in one child with at most `memory` more bytes of
    address space and `seconds` of wall time for all; yields each (bytes, a, b), the bytes at most
    `answer_bytes` long, as it is done. An exception of one of `passes` (most specific first) is raised again
    here, of the same type with the same message, for the item that raised it; Exceeded when the child ran out
    of time or memory, died, raised anything else, or answered more. Either way the item is the one after
    the last yielded."""
    if seconds <= 0:
        raise Exceeded("no time left")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_end)
        _child(write_end, function, items, memory, seconds, passes)
    os.close(write_end)
    deadline = time.monotonic() + seconds
    buffer = bytearray()

    def take(size: int) -> bytes:
        """Exactly `size` more bytes of the child's answer, waiting no later than the deadline."""
        while len(buffer) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                raise Exceeded(f"took more than {seconds:.1f} s")
            chunk = os.read(read_end, max(1 << 16, size - len(buffer)))
            if not chunk:
                raise Exceeded("the worker ran out of memory or failed")
            buffer.extend(chunk)
        taken = bytes(buffer[:size])
        del buffer[:size]
        return taken

    try:
        for _ in items:
            kind, first, second, length = _HEADER.unpack(take(_HEADER.size))
            if length > answer_bytes or kind > len(passes):
                raise Exceeded("the worker's answer is too large or malformed")
            payload = take(length)
            if kind != _DONE:
                raise passes[kind - 1](payload.decode(errors="replace"))
            yield payload, first, second
    finally:
        os.close(read_end)
        _reap(pid)


def run(function: Callable[[], Answer], *, seconds: float, memory: int, answer_bytes: int,
        passes: tuple[type[Exception], ...] = (ValueError,)) -> Answer:
    """`function()` alone in a child: run_each of one item."""
    answers = run_each(lambda _: function(), [None], seconds=seconds, memory=memory, answer_bytes=answer_bytes,
                       passes=passes)
    try:
        return next(answers)
    finally:
        answers.close()


def _reap(pid: int) -> None:
    """The child is gone before we return: killed if it still runs (a deadline passed, or the caller stopped
    reading), always waited for."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass
