"""What /proc tells about the sandbox's processes: the tree, peak memory, CPU time (no cgroups needed)."""

from __future__ import annotations

import os
from pathlib import Path

KIB = 1024


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


def only_descendant(root_pid: int) -> int:
    """The end of the chain of single children below root_pid (bwrap -> bwrap init -> harness)."""
    children = children_of()
    pid = root_pid
    while len(children.get(pid, ())) == 1:
        pid = children[pid][0]
    return pid


def peak_rss_mb(root_pid: int) -> float:
    """The largest VmHWM (peak resident set, MiB) of the processes in the tree; 0 if none is left."""
    peak_kib = 0
    for pid in descendants(root_pid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(line.split()[1]))
        except (OSError, ValueError):
            continue
    return peak_kib / KIB


def cpu_seconds(pid: int) -> float:
    """Seconds all threads of pid have spent on a CPU so far (/proc/<pid>/task/*/schedstat, ns)."""
    total_ns = 0
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            try:
                total_ns += int(Path(task.path, "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    except OSError:
        return 0.0
    return total_ns / 1e9
