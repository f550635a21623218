"""How the harness process is confined: bubblewrap, or (for local development only) nothing.

Inside bubblewrap the process sees a read-only system (/usr and a few files of /etc), a
read-only Python environment, the harness modules and the unpacked submission (all
read-only), a fresh size-limited tmpfs at /tmp (the only writable place), a private /proc
and a minimal /dev. The phase's input data is not mounted: each task's files come through
the harness's pipe. It has new network (no interfaces but loopback), PID,
IPC, UTS and cgroup namespaces and runs as the unprivileged user nobody (65534) with no
capabilities and no_new_privs, unable to create user namespaces (``seccomp``). Its environment is built from scratch (``clean_environment``).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from fivesigma.runner.seccomp import filter_fd

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "code submissions run inside bubblewrap, which is not installed on this worker; "
    "install it with `apt-get install bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`"
)
SANDBOX_UID = 65534  # nobody
ETC_ENTRIES = (
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "nsswitch.conf",
    "ssl",
    "ca-certificates",
)
HIDDEN_PACKAGES = ("fivesigma",)  # the platform, site included; never imported by submissions
SANDBOX_DIRS = ("/etc", "/sandbox", "/sandbox/lib", "/sandbox/venv", "/sandbox/venv/bin")
ROOT_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class SandboxUnavailable(RuntimeError):
    """Code submissions cannot run here: bubblewrap is missing or does not work."""


@dataclass
class Mounts:
    """Host paths the harness needs (all mounted read-only)."""

    harness_dir: Path
    model_dir: Path


@dataclass
class Launch:
    """The command, environment and working directory of the harness process."""

    argv: list[str]
    env: dict[str, str]
    cwd: str | None
    fds: tuple[int, ...] = ()  # to pass to the process, and close once it has started


def clean_environment(pythonpath: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of the sandboxed process: an allow-list, nothing from the worker."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONPATH": pythonpath,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "NUMBA_CACHE_DIR": "/tmp/.numba_cache",
        "MPLCONFIGDIR": "/tmp/.matplotlib",
    }
    env.update(extra or {})
    return env


def find_bubblewrap() -> str | None:
    """The bwrap executable, also when the worker's PATH lacks /usr/bin."""
    found = shutil.which("bwrap")
    return found or ("/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None)


class Bubblewrap:
    """Builds the bwrap command line. As root, bwrap sets up the mounts with its privileges and
    ``setpriv`` drops to nobody inside; otherwise bwrap runs unprivileged in a user namespace."""

    confined = True

    def __init__(self, bwrap: str):
        self.bwrap = bwrap
        self.privileged = os.geteuid() == 0
        self.setpriv = shutil.which("setpriv") if self.privileged else None
        if self.privileged and not self.setpriv:
            raise SandboxUnavailable(
                "running as root needs setpriv (Debian package util-linux) to drop privileges"
            )

    def launch(self, mounts: Mounts, work: Path, tmp_bytes: int, harness_args: list[str]) -> Launch:
        """The bwrap command; ``work`` is a private host directory for generated files;
        harness_args are the arguments of harness.serve other than --model."""
        args = [self.bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
        args += [
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
        ]
        if not self.privileged:
            args += [
                "--unshare-user",
                "--disable-userns",
                "--uid",
                str(os.getuid()),
                "--gid",
                str(os.getgid()),
            ]
        for directory in SANDBOX_DIRS:  # mount points bwrap would otherwise create as 0700
            args += ["--perms", "0755", "--dir", directory]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in ROOT_LINKS:
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        for name in ETC_ENTRIES:
            if (Path("/etc") / name).exists():
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        uid = SANDBOX_UID if self.privileged else os.getuid()
        for name, text in _identity_files(uid).items():
            (work / name).write_text(text)
            args += ["--ro-bind", str(work / name), f"/etc/{name}"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp", "--chdir", "/tmp"]
        python, env_extra = _python_environment(args, work)
        args += ["--ro-bind", str(mounts.harness_dir), "/sandbox/lib/harness"]
        args += ["--ro-bind", str(mounts.model_dir), "/sandbox/submission"]
        fds: tuple[int, ...] = ()
        if self.privileged and (seccomp := filter_fd()) is not None:
            args += ["--add-seccomp-fd", str(seccomp)]
            fds = (seccomp,)
        if self.privileged:
            assert self.setpriv is not None  # __init__ refuses to run privileged without it
            drop = [str(SANDBOX_UID)] * 2
            args += [self.setpriv, "--reuid", drop[0], "--regid", drop[1], "--clear-groups"]
            args += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        argv = args + [python, "-B", "-s", "-m", "harness.serve", *harness_args]
        argv += ["--model", "/sandbox/submission"]
        return Launch(argv, clean_environment("/sandbox/lib", env_extra), None, fds)


def _identity_files(uid: int) -> dict[str, str]:
    """Minimal passwd/group naming the sandbox user, for libraries that ask who they run as."""
    gid = SANDBOX_UID if uid == SANDBOX_UID else os.getgid()
    user = "nobody" if uid == SANDBOX_UID else "sandbox"
    return {
        "passwd": f"root:x:0:0:root:/root:/usr/sbin/nologin\n{user}:x:{uid}:{gid}:{user}:/tmp:/usr/sbin/nologin\n",
        "group": f"root:x:0:\n{user}:x:{gid}:\n",
    }


def _python_environment(args: list[str], work: Path) -> tuple[str, dict[str, str]]:
    """Mount the worker's own interpreter (and its virtualenv) read-only; return its path inside.

    An interpreter outside /usr (pyenv, conda, a venv's base) is mounted at /sandbox/python;
    a virtualenv is rebuilt at /sandbox/venv from its lib directory and a pyvenv.cfg pointing
    at /sandbox/python, so none of the worker's own paths (its home, the site) are visible.
    """
    base = Path(sys.base_prefix).resolve()
    base_exe = Path(getattr(sys, "_base_executable", sys.executable))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    extra: dict[str, str] = {}
    if base.is_relative_to("/usr"):
        python = str(base_exe) if base_exe.exists() else f"{base}/bin/{version}"
    else:
        args += ["--ro-bind", str(base), "/sandbox/python"]
        relative = (
            base_exe.relative_to(base) if base_exe.is_relative_to(base) else Path("bin", version)
        )
        python = f"/sandbox/python/{relative}"
        extra["LD_LIBRARY_PATH"] = "/sandbox/python/lib"  # an absolute RUNPATH would point outside
    prefix = Path(sys.prefix).resolve()
    if prefix != base:
        config = (prefix / "pyvenv.cfg").read_text() if (prefix / "pyvenv.cfg").exists() else ""
        system = "true" if "include-system-site-packages = true" in config else "false"
        (work / "pyvenv.cfg").write_text(
            f"home = {Path(python).parent}\ninclude-system-site-packages = {system}\n"
            f"version = {'.'.join(map(str, sys.version_info[:3]))}\n"
        )
        args += ["--ro-bind", str(prefix / "lib"), "/sandbox/venv/lib"]
        if (prefix / "lib64").exists():
            args += ["--symlink", "lib", "/sandbox/venv/lib64"]
        args += _hide_site_packages(prefix / "lib", "/sandbox/venv/lib")
        args += ["--ro-bind", str(work / "pyvenv.cfg"), "/sandbox/venv/pyvenv.cfg"]
        args += ["--symlink", python, "/sandbox/venv/bin/python"]
        python = "/sandbox/venv/bin/python"
    return python, extra


def _hide_site_packages(lib: Path, inside: str) -> list[str]:
    """Cover the Django site's own packages (settings, models) when they are installed in lib,
    so that their source, and any default it holds, is not readable from the sandbox."""
    purelib = Path(sysconfig.get_paths()["purelib"]).resolve()
    if not purelib.is_relative_to(lib.resolve()):
        return []
    args = []
    for name in HIDDEN_PACKAGES:
        if (purelib / name).is_dir():
            path = f"{inside}/{purelib.relative_to(lib.resolve()) / name}"
            args += ["--tmpfs", path, "--remount-ro", path]
    return args


class Unconfined:
    """Runs the harness as a plain subprocess of the worker: for local development only."""

    confined = False

    def launch(self, mounts: Mounts, work: Path, tmp_bytes: int, harness_args: list[str]) -> Launch:
        lib = work / "lib"
        lib.mkdir()
        (lib / "harness").symlink_to(mounts.harness_dir)
        scratch = work / "scratch"
        scratch.mkdir()
        argv = [sys.executable, "-B", "-s", "-m", "harness.serve", *harness_args]
        argv += ["--model", str(mounts.model_dir)]
        env = clean_environment(str(lib), {"HOME": str(scratch), "TMPDIR": str(scratch)})
        env.pop("NUMBA_CACHE_DIR")
        env.pop("MPLCONFIGDIR")
        return Launch(argv, env, str(scratch))


def confinement(allow_unconfined: bool) -> Bubblewrap | Unconfined:
    """bubblewrap when installed; otherwise refuse, unless running unconfined is explicitly allowed."""
    bwrap = find_bubblewrap()
    if bwrap:
        return Bubblewrap(bwrap)
    if not allow_unconfined:
        raise SandboxUnavailable(INSTALL_HINT)
    log.warning(
        "RUNNING SUBMITTED CODE UNCONFINED: bubblewrap is not installed and unconfined runs are "
        "allowed (FIVESIGMA_ALLOW_UNCONFINED_CODE); never do this on a public site"
    )
    return Unconfined()
