"""What /proc tells about a process tree (no cgroups needed): its members, memory and CPU time."""

from __future__ import annotations

import ctypes
import os
import time
from dataclasses import dataclass
from pathlib import Path

KIB = 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def children_of() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(root_pid: int) -> list[int]:
    """root_pid and every process below it."""
    children = children_of()
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


@dataclass
class TreeUsage:
    """One look at a process tree.

    cpu_seconds: CPU time of its processes with their exited threads (to the nanosecond)
        and the children they have reaped (to a clock tick); memory_bytes: the sum of their proportional set sizes
        (pages shared between them counted once); peak_process_bytes: the largest peak
        resident set (VmHWM) of one of them; tasks: their threads, all processes together.
    """

    cpu_seconds: float = 0.0
    memory_bytes: int = 0
    peak_process_bytes: int = 0
    tasks: int = 0


def _field(text: str, name: str) -> int:
    """A ``Name:   1234 kB`` line of /proc/<pid>/status or smaps_rollup, in bytes (0 if absent)."""
    start = text.find(f"\n{name}:")
    if start < 0:
        return 0
    return int(text[start:].split(None, 2)[1]) * KIB


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds of every thread of process pid, the exited ones included, to the nanosecond:
    the kernel's CPU-time clock of that process (clock_getcpuclockid(pid), CPUCLOCK_SCHED)."""
    clock = ctypes.c_int32((~pid << 3) | 2).value
    return time.clock_gettime(clock)


def _add_process(usage: TreeUsage, pid: int) -> None:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cutime, cstime = int(stat[13]), int(stat[14])  # children it has reaped, whole clock ticks
    usage.cpu_seconds += process_cpu_seconds(pid) + (cutime + cstime) / CLOCK_TICKS
    usage.tasks += int(stat[17])
    status = "\n" + Path(f"/proc/{pid}/status").read_text()
    usage.peak_process_bytes = max(usage.peak_process_bytes, _field(status, "VmHWM"))
    try:
        usage.memory_bytes += _field("\n" + Path(f"/proc/{pid}/smaps_rollup").read_text(), "Pss")
    except OSError:
        usage.memory_bytes += _field(status, "VmRSS")


def tree_usage(root_pid: int) -> TreeUsage:
    """CPU time, memory and threads of root_pid and every process below it."""
    usage = TreeUsage()
    for pid in descendants(root_pid):
        try:
            _add_process(usage, pid)
        except (OSError, ValueError, IndexError):
            continue  # exited while being read
    return usage
