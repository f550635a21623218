"""The sandboxed process: import the submission, build its Model, then serve tasks.

Run as ``python -m harness.serve --harness MODULE --model DIR --limits JSON --cmd-fd N
--result-fd M [--cpu K]``. Before anything of the participant is imported it applies the
resource limits to itself and pins itself to one CPU. Then it answers the runner's frames
(see ``protocol``):

    harness -> {"type": "started"}, then {"type": "hello"} once Model(model_dir) is built
    runner -> {"cmd": "load", "task": T, "files": {name: bytes, ...}} + the files' contents
                                           harness loads task T (untimed) -> {"type": "ready"}
    runner -> {"cmd": "go"}                harness calls the model -> {"type": "result", "meta": {..}} + payload
    runner -> {"cmd": "exit"}              harness exits

The input files arrive only through the pipe, one task at a time: the sandbox has no input
directory, so neither the set-up nor any call can read the events that are still to come.

Any failure is reported as {"type": "error", "stage": S, ...} with S one of harness, import,
setup, load, run, result; the traceback goes to stderr (the log tail) and the process exits.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import sys
import traceback
from typing import NoReturn

from .protocol import read_frame, write_frame
from .rlimits import apply_limits


class Channel:
    """The two pipes to the runner, usable only by the process that opened them.

    A process forked by the submission inherits the pipes; if it ever gets back here it
    exits silently instead of interleaving frames with the real harness.
    """

    def __init__(self, cmd_fd: int, result_fd: int):
        self.cmd_fd, self.result_fd, self.owner = cmd_fd, result_fd, os.getpid()

    def _guard(self) -> None:
        if os.getpid() != self.owner:
            os._exit(0)

    def receive(self) -> tuple[dict, bytearray]:
        self._guard()
        return read_frame(self.cmd_fd)

    def send(self, header: dict, payload: bytes | bytearray | memoryview = b"") -> None:
        self._guard()
        write_frame(self.result_fd, header, payload)

    def fail(self, stage: str, exc: BaseException, task: str | None = None) -> NoReturn:
        """Report a failure, print the traceback to the log, and exit when the worker says so.

        Waiting for the worker's next command lets it read this process's peak memory first.
        """
        self._guard()
        traceback.print_exception(exc)
        header = {
            "type": "error",
            "stage": stage,
            "task": task,
            "exc_type": type(exc).__name__,
            "errno": getattr(exc, "errno", None),
            "message": str(exc)[:2000],
        }
        try:
            self.send(header)
            read_frame(self.cmd_fd)
        finally:
            _exit(1)


def _exit(code: int) -> NoReturn:
    """Exit now: no atexit handlers or non-daemon threads of the submission can hold us."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


def build_model(channel: Channel, model_dir: str):
    """Import submission.py from model_dir and call Model(model_dir) (both untimed)."""
    sys.path.insert(0, model_dir)
    try:
        submission = importlib.import_module("submission")
    except BaseException as exc:
        channel.fail("import", exc)
    model_class = getattr(submission, "Model", None)
    if not callable(model_class):
        channel.fail("import", LookupError("submission.py defines no class Model"))
    try:
        return model_class(model_dir)
    except BaseException as exc:
        channel.fail("setup", exc)


def split_files(sizes: dict[str, int], payload: bytearray) -> dict[str, memoryview]:
    """The files of a load frame: name -> contents, cut from the payload in the order given."""
    files, offset, view = {}, 0, memoryview(payload)
    for name, size in sizes.items():
        files[name] = view[offset : offset + size]
        offset += size
    return files


def serve(channel: Channel, harness, model) -> None:
    loaded, task = None, None
    while True:
        command, payload = channel.receive()
        if command.get("cmd") == "load":
            task, loaded = command["task"], None
            try:
                loaded = harness.load_task(task, split_files(command["files"], payload))
            except BaseException as exc:
                channel.fail("load", exc, task)
            del payload
            gc.collect()  # the garbage of loading is not the timed call's to collect
            channel.send({"type": "ready", "task": task})
        elif command.get("cmd") == "go":
            try:
                output = harness.call(model, loaded)
            except BaseException as exc:
                channel.fail("run", exc, task)
            try:
                payload, meta = harness.encode(output, loaded, model)
            except BaseException as exc:
                channel.fail("result", exc, task)
            channel.send({"type": "result", "task": task, "meta": meta}, payload)
            loaded = output = None
        else:
            _exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="harness.serve")
    parser.add_argument("--harness", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--limits", required=True, type=json.loads)
    parser.add_argument("--cmd-fd", required=True, type=int)
    parser.add_argument("--result-fd", required=True, type=int)
    parser.add_argument("--cpu", type=int)
    args = parser.parse_args(argv)
    apply_limits(args.limits)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    channel = Channel(args.cmd_fd, args.result_fd)
    channel.send({"type": "started"})  # the sandbox works; nothing of the submission has run yet
    try:
        harness = importlib.import_module(args.harness)
    except BaseException as exc:
        channel.fail("harness", exc)
    model = build_model(channel, args.model)
    channel.send({"type": "hello", "pid": os.getpid()})
    serve(channel, harness, model)


if __name__ == "__main__":
    main()
