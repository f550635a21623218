"""Frames on the pipes, and the reasons given for what the kernel or the harness reported."""

from __future__ import annotations

import errno
import os
import signal
import threading

import pytest

from fivesigma.runner.harness.protocol import (
    ProtocolError,
    decode_header,
    decode_prefix,
    encode_frame,
    read_frame,
    write_frame,
)
from fivesigma.runner.limits import Limits
from fivesigma.runner.run_failures import death_reason, error_reason

LIMITS = Limits(
    time_limit_s=60, memory_limit_mb=2048, cpu_time_s=30, max_output_mb=100, max_processes=16
)


def test_a_large_frame_crosses_a_pipe_intact():
    payload = os.urandom(
        3 * 1024 * 1024
    )  # larger than any pipe buffer: the writer must block and resume
    read_end, write_end = os.pipe()
    writer = threading.Thread(
        target=write_frame, args=(write_end, {"type": "result", "meta": {"k": 1}}, payload)
    )
    writer.start()
    header, received = read_frame(read_end)
    writer.join()
    os.close(read_end)
    os.close(write_end)
    assert header == {"type": "result", "meta": {"k": 1}} and received == payload


def test_a_memoryview_payload_is_sent_as_bytes():
    read_end, write_end = os.pipe()
    write_frame(write_end, {"type": "result"}, memoryview(bytes(range(16))).cast("Q"))
    assert read_frame(read_end)[1] == bytes(range(16))
    os.close(read_end)
    os.close(write_end)


def test_garbage_is_not_a_frame():
    with pytest.raises(ProtocolError, match="out of range"):
        decode_prefix(b"\xff\xff\xff\xff\x00\x00\x00\x00")
    with pytest.raises(ProtocolError, match="not JSON"):
        decode_header(b"{nope")
    with pytest.raises(ProtocolError, match="not a JSON object"):
        decode_header(b"[1, 2]")
    assert encode_frame({"a": 1}, b"xy")[:8] == (7).to_bytes(4, "little") + (2).to_bytes(
        4, "little"
    )


def test_read_frame_reports_a_closed_pipe():
    read_end, write_end = os.pipe()
    os.write(write_end, encode_frame({"type": "ready"})[:5])
    os.close(write_end)
    with pytest.raises(EOFError):
        read_frame(read_end)
    os.close(read_end)


@pytest.mark.parametrize(
    ("returncode", "expected"),
    [
        (128 + signal.SIGXCPU, "exceeded the CPU-time limit of 30 s on event1"),
        (-signal.SIGXCPU, "exceeded the CPU-time limit of 30 s on event1"),
        (128 + signal.SIGKILL, "hard CPU-time limit of 31 s, or out of memory"),
        (128 + signal.SIGXFSZ, "larger than the output limit of 100 MB"),
        (128 + signal.SIGSEGV, "was terminated by SIGSEGV on event1"),
        (3, "exited with status 3 on event1"),
    ],
)
def test_death_reasons(returncode, expected):
    assert expected in death_reason(returncode, LIMITS, "on event1")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            {"stage": "run", "task": "event1", "exc_type": "MemoryError", "message": ""},
            "(the memory limit is 2048 MB)",
        ),
        (
            {
                "stage": "run",
                "task": "e",
                "exc_type": "OSError",
                "errno": errno.EFBIG,
                "message": "File too large",
            },
            "at most 100 MB",
        ),
        (
            {
                "stage": "run",
                "task": "e",
                "exc_type": "BlockingIOError",
                "errno": errno.EAGAIN,
                "message": "",
            },
            "at most 16 processes",
        ),
        (
            {"stage": "run", "task": "e", "exc_type": "gaierror", "errno": -3, "message": "x"},
            "no network in the sandbox",
        ),
        (
            {
                "stage": "import",
                "exc_type": "ModuleNotFoundError",
                "message": "No module named 'torch'",
            },
            "submission.py failed to import: ModuleNotFoundError: No module named 'torch'",
        ),
        (
            {"stage": "result", "task": "event7", "message": "bad shape"},
            "the output for event7 is invalid: bad shape",
        ),
        (
            {"stage": "run", "task": "e", "exc_type": "KeyError", "errno": None, "message": "'x'"},
            "the submission failed on e: KeyError: 'x'",
        ),
    ],
)
def test_error_reasons(header, expected):
    reason = error_reason(header, LIMITS)
    assert expected in reason
    if header.get("exc_type") == "KeyError":
        assert reason.endswith("'x'")  # no hint when no sandbox rule is involved
