"""Run one function in a forked child process under a memory ceiling and a deadline.

For work whose cost an untrusted input decides and no library lets us bound from outside: decoding an
image. Pillow's C decoders take whatever memory and time the file asks for (a GIF frame that grows the
canvas, a JPEG whose scans repeat), and a Lambda killed at its memory limit or timeout answers nothing
useful. In the child the address space is capped (RLIMIT_AS) and CPU time is capped (RLIMIT_CPU); the parent
waits on a pipe no longer than the deadline and then kills it. Whatever the input does, the request goes on
with a clear answer, and the parent's memory never holds the decoded pixels.

Why fork rather than a subprocess or multiprocessing: fork is ~1 ms and the child already has Pillow
imported; a new interpreter costs ~100 ms, and multiprocessing's queues need /dev/shm, which Lambda lacks.
The child's answer comes back as bytes with a small fixed header, never pickled: a child whose decoder was
subverted cannot make the parent run anything.
"""
from __future__ import annotations

import os
import resource
import select
import signal
import struct
import time
from collections.abc import Callable
from typing import NoReturn

_HEADER = struct.Struct(">BIII")  # 0 (ok) or 1 + which of `passes` was raised, two numbers, the payload's length
_OK = 0


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


def _child(write_end: int, function: Callable[[], tuple[bytes, int, int]], memory: int, seconds: float,
           passes: tuple[type[Exception], ...]) -> NoReturn:
    status = 70
    try:
        # Above what the fork inherited: the parent's heap and libraries are shared, only new pages count.
        ceiling = _address_space() + memory
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        cpu = max(1, int(seconds) + 1)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        try:
            data, first, second = function()
            frame = _HEADER.pack(_OK, first, second, len(data)) + data
        except passes as exc:
            kind = next(n for n, passed in enumerate(passes, 1) if isinstance(exc, passed))
            reason = str(exc).encode()[:1000]
            frame = _HEADER.pack(kind, 0, 0, len(reason)) + reason
        view = memoryview(frame)
        while view:
            view = view[os.write(write_end, view):]
        status = 0
    except BaseException:  # noqa: BLE001 - MemoryError and anything else: the parent sees a child that failed
        status = 71
    finally:
        os._exit(status)


def run(function: Callable[[], tuple[bytes, int, int]], *, seconds: float, memory: int, answer_bytes: int,
        passes: tuple[type[Exception], ...] = (ValueError,)) -> tuple[bytes, int, int]:
    """`function()` computed in a child with at most `memory` more bytes of address space and `seconds` of
    wall time. It returns (bytes, a, b), the bytes at most `answer_bytes` long. An exception of one of
    `passes` (most specific first) is raised again here, of the same type with the same message; Exceeded
    when the child ran out of time or memory, died, raised anything else, or answered more."""
    if seconds <= 0:
        raise Exceeded("no time left")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_end)
        _child(write_end, function, memory, seconds, passes)
    os.close(write_end)
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    received = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                raise Exceeded(f"took more than {seconds:.1f} s")
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            received += len(chunk)
            if received > answer_bytes + _HEADER.size:
                raise Exceeded("the worker's answer is too large")
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _reap(pid)
    answer = b"".join(chunks)
    if len(answer) < _HEADER.size:
        raise Exceeded("the worker ran out of memory or failed")
    kind, first, second, length = _HEADER.unpack_from(answer)
    payload = answer[_HEADER.size:]
    if len(payload) != length or kind > len(passes):
        raise Exceeded("the worker's answer is malformed")
    if kind != _OK:
        raise passes[kind - 1](payload.decode(errors="replace"))
    return payload, first, second


def _reap(pid: int) -> None:
    """The child is gone before we return: killed if it still runs (a deadline passed), always waited for."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass
