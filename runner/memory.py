"""Peak resident memory of a process tree, read from /proc (no cgroups needed)."""

from __future__ import annotations

import os
from pathlib import Path

KIB = 1024


def descendants(root_pid: int) -> list[int]:
    """root_pid and every process below it, from the parent ids in /proc/<pid>/stat."""
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
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


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
