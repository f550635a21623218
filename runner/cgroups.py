"""A control group per run: the kernel limits and accounts the submission's whole process tree.

cgroup v2 (one unified hierarchy) is used when its memory and pids controllers can be
enabled below the worker's own group, or below its parent (systemd ``Delegate=yes`` with
``DelegateSubgroup=``); otherwise cgroup v1 when its memory, cpuacct and pids hierarchies
are mounted and writable (hybrid set-ups, older hosts). The cpuset controller is used when
present and the CPU affinity is set in any case. Creating groups needs root or a delegated
subtree; ``find_hierarchy`` returns None when neither version is usable, and the runner then
accounts the tree from /proc (``tree.ProcfsTree``).

A run's group is ``fivesigma-run-<worker pid>-<n>`` under the worker's group in each
hierarchy; ``Cgroup.close`` removes it, and groups left by a worker that died are removed
by the next one.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "fivesigma-run-"
V1_NEEDED = ("memory", "cpuacct", "pids")
V2_NEEDED = ("memory", "pids")
_serial = itertools.count()


class CgroupUnavailable(RuntimeError):
    """Control groups cannot be used by this worker; the message says why."""


@dataclass
class Hierarchy:
    """Where to create run groups: ``version`` 1 or 2; ``bases`` maps a controller to the
    directory under which this worker creates groups (v2: one directory for all)."""

    version: int
    bases: dict[str, Path]
    cpuset: bool = False

    @property
    def name(self) -> str:
        return f"cgroup v{self.version}"


def _mounts() -> list[tuple[str, str, str, str]]:
    """(mount point, root inside the hierarchy, fstype, super options) of cgroup mounts."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, after = left.split(), right.split()
        if after and after[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], fields[3], after[0], after[2] if len(after) > 2 else ""))
    return found


def _own_groups() -> dict[str, str]:
    """Controller (v1) or "" (v2) -> this process's group path, from /proc/self/cgroup."""
    groups = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            groups[controller] = path
    return groups


def _inside(mount_point: str, mount_root: str, path: str) -> Path:
    """The directory of group ``path`` under a hierarchy mounted at mount_point."""
    relative = os.path.relpath(path, mount_root) if path.startswith(mount_root) else path
    return Path(mount_point, relative.lstrip("/") if relative != "." else "")


def _writable(directory: Path) -> bool:
    return directory.is_dir() and os.access(directory, os.W_OK)


def _v2_base(directory: Path, mount_point: str) -> tuple[Path, bool] | None:
    """A directory below which groups with memory and pids can be made, and whether with cpuset:
    the worker's own group, or its parent when the worker sits in a delegated leaf."""
    candidates = [directory] if directory == Path(mount_point) else [directory, directory.parent]
    for base in candidates:
        try:
            available = (base / "cgroup.controllers").read_text().split()
        except OSError:
            continue
        if not _writable(base):
            continue
        if not all(c in available for c in V2_NEEDED):
            continue
        for controller in (*V2_NEEDED, "cpuset"):
            if controller in available:
                try:
                    (base / "cgroup.subtree_control").write_text(f"+{controller}")
                except OSError:
                    pass  # EBUSY: the group holds processes itself (the no-internal-process rule)
        enabled = (base / "cgroup.subtree_control").read_text().split()
        if all(c in enabled for c in V2_NEEDED):
            return base, "cpuset" in enabled
    return None


def find_hierarchy() -> Hierarchy | None:
    """The cgroup hierarchy this worker can create run groups in, or None."""
    try:
        mounts, own = _mounts(), _own_groups()
    except OSError:
        return None
    for mount_point, root, fstype, _ in mounts:
        if fstype == "cgroup2" and "" in own:
            found = _v2_base(_inside(mount_point, root, own[""]), mount_point)
            if found:
                return Hierarchy(2, {"": found[0]}, cpuset=found[1])
    bases: dict[str, Path] = {}
    for mount_point, root, fstype, options in mounts:
        if fstype != "cgroup":
            continue
        for controller in ("memory", "cpuacct", "pids", "cpuset"):
            if controller in options.split(",") and controller in own:
                base = _inside(mount_point, root, own[controller])
                if _writable(base):
                    bases[controller] = base
    if all(c in bases for c in V1_NEEDED):
        return Hierarchy(1, bases, cpuset="cpuset" in bases)
    return None


def _remove_stale(base: Path) -> None:
    """Remove empty run groups whose worker process is gone."""
    for entry in base.glob(f"{PREFIX}*"):
        match = re.fullmatch(rf"{PREFIX}(\d+)-\d+", entry.name)
        if not match:
            continue
        try:
            os.kill(int(match.group(1)), 0)
            continue
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        try:
            entry.rmdir()
        except OSError:
            pass


@dataclass
class Cgroup:
    """One run's group: created with its limits; processes enter it by writing ``procs_files``."""

    hierarchy: Hierarchy
    directories: dict[str, Path] = field(default_factory=dict)
    _peak_seen: int = 0

    @classmethod
    def create(
        cls, hierarchy: Hierarchy, memory_bytes: int, max_processes: int, cpu: int
    ) -> Cgroup:
        name = f"{PREFIX}{os.getpid()}-{next(_serial)}"
        group = cls(hierarchy)
        try:
            for controller, base in hierarchy.bases.items():
                _remove_stale(base)
                directory = base / name
                if directory not in group.directories.values():
                    directory.mkdir()
                group.directories[controller] = directory
            group._configure(memory_bytes, max_processes, cpu)
        except OSError as exc:
            group.close()
            raise CgroupUnavailable(
                f"could not set up {hierarchy.name} group {name}: {exc}"
            ) from exc
        return group

    def _write(self, controller: str, name: str, value, optional: bool = False) -> None:
        path = self.directories[controller] / name
        if optional and not path.exists():
            return
        path.write_text(str(value))

    def _read(self, controller: str, name: str) -> str:
        return (self.directories[controller] / name).read_text()

    def _configure(self, memory_bytes: int, max_processes: int, cpu: int) -> None:
        if self.hierarchy.version == 2:
            self._write("", "memory.max", memory_bytes)
            self._write("", "memory.swap.max", 0, optional=True)
            self._write("", "memory.oom.group", 1, optional=True)
            self._write("", "pids.max", max_processes)
            if self.hierarchy.cpuset:
                self._write("", "cpuset.cpus", cpu)
            return
        self._write("memory", "memory.limit_in_bytes", memory_bytes)
        self._write("memory", "memory.memsw.limit_in_bytes", memory_bytes, optional=True)
        self._write("pids", "pids.max", max_processes)
        if self.hierarchy.cpuset:
            parent = self.directories["cpuset"].parent
            self._write("cpuset", "cpuset.mems", (parent / "cpuset.mems").read_text().strip())
            self._write("cpuset", "cpuset.cpus", cpu)

    @property
    def procs_files(self) -> list[Path]:
        """The cgroup.procs file of each hierarchy: writing a pid there moves the process in."""
        return sorted({directory / "cgroup.procs" for directory in self.directories.values()})

    def enter_command(self, argv: list[str]) -> list[str]:
        """argv prefixed so that the process moves itself into the group before exec'ing argv:
        everything it starts is then accounted from its first instruction."""
        script = (
            'while [ "$1" != -- ]; do echo $$ > "$1" || exit 126; shift; done; shift; exec "$@"'
        )
        return ["/bin/sh", "-c", script, "sh", *map(str, self.procs_files), "--", *argv]

    # ---- accounting ----------------------------------------------------------------------

    def cpu_seconds(self) -> float:
        """CPU seconds the group's processes have used, the exited ones included."""
        if self.hierarchy.version == 2:
            for line in self._read("", "cpu.stat").splitlines():
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) / 1e6
            return 0.0
        return int(self._read("cpuacct", "cpuacct.usage")) / 1e9

    def memory_bytes(self) -> int:
        """Memory charged to the group now (resident pages, its tmpfs files, page cache it brought in)."""
        controller = "" if self.hierarchy.version == 2 else "memory"
        name = "memory.current" if self.hierarchy.version == 2 else "memory.usage_in_bytes"
        current = int(self._read(controller, name))
        self._peak_seen = max(self._peak_seen, current)
        return current

    def peak_memory_bytes(self) -> int:
        """The group's peak memory (memory.peak or memory.max_usage_in_bytes; else the largest seen)."""
        try:
            if self.hierarchy.version == 2:
                return max(int(self._read("", "memory.peak")), self._peak_seen)
            return int(self._read("memory", "memory.max_usage_in_bytes"))
        except (OSError, ValueError):
            return self._peak_seen

    def oom_kills(self) -> int:
        """Processes the kernel killed for the group's memory limit."""
        controller = "" if self.hierarchy.version == 2 else "memory"
        name = "memory.events" if self.hierarchy.version == 2 else "memory.oom_control"
        for line in self._read(controller, name).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.procs_files:
            try:
                found.update(int(p) for p in path.read_text().split())
            except OSError:
                continue
        return sorted(found)

    # ---- the end -------------------------------------------------------------------------

    def kill(self) -> None:
        """SIGKILL every process of the group."""
        kill_file = self.directories.get("", Path("/nonexistent")) / "cgroup.kill"
        if self.hierarchy.version == 2 and kill_file.exists():
            try:
                kill_file.write_text("1")
                return
            except OSError:
                pass
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self, timeout_s: float = 5.0) -> None:
        """Kill what is left in the group and remove it."""
        deadline = time.monotonic() + timeout_s
        for directory in sorted(set(self.directories.values()), reverse=True):
            while directory.exists():
                try:
                    directory.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    self.kill()
                    time.sleep(0.01)
        self.directories.clear()
