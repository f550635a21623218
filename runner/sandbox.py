"""How a sandboxed process is confined: bubblewrap, or (for local development only) nothing.

Two kinds of process run here, built by one code path (``Bubblewrap.confine``) from a
``View`` of what they see: a participant's harness (``Mounts.view``: the harness modules and
the unpacked submission) and an organiser's program (``runner.programs``: Codabench's
``/app/...`` folders, the program's own environment). For the harness, the process sees a read-only system (/usr and a few files of /etc), a
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
import site
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
HARNESS_DIR = Path(__file__).resolve().parent / "harness"  # mounted at /sandbox/lib/harness
HIDDEN_PACKAGES = ("fivesigma",)  # the platform, site included; never imported by submissions
SANDBOX_DIRS = ("/etc", "/sandbox", "/sandbox/lib", "/sandbox/venv", "/sandbox/venv/bin")
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
PROGRAM_ENVIRONMENT = "/sandbox/env"  # an organiser's program environment (runner.environments)
ROOT_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class SandboxUnavailable(RuntimeError):
    """Code submissions cannot run here: bubblewrap is missing or does not work."""


@dataclass(frozen=True)
class Bind:
    """A host folder seen at ``inside``; read-only unless ``writable``."""

    host: Path
    inside: str
    writable: bool = False


@dataclass
class View:
    """What one sandboxed process sees and runs: ``binds`` besides the system and Python,
    the working directory, and the arguments of the worker's Python (``-m harness.serve
    ...``). ``environment``: an organiser's program environment (runner.environments),
    mounted at PROGRAM_ENVIRONMENT and first on the PATH; ``env``: variables added to the
    clean environment."""

    binds: list[Bind]
    python_args: list[str]
    cwd: str = "/tmp"
    environment: Path | None = None
    env: dict[str, str] | None = None


@dataclass
class Mounts:
    """Host paths the harness needs (all mounted read-only)."""

    harness_dir: Path
    model_dir: Path

    def view(self, harness_args: list[str]) -> View:
        """The harness process: ``python -m harness.serve ... --model /sandbox/submission``."""
        return View(
            [
                Bind(self.harness_dir, "/sandbox/lib/harness"),
                Bind(self.model_dir, "/sandbox/submission"),
            ],
            ["-B", "-s", "-m", "harness.serve", *harness_args, "--model", "/sandbox/submission"],
        )


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
        """The harness's bwrap command; ``work`` is a private host directory for generated
        files; harness_args are the arguments of harness.serve other than --model."""
        return self.confine(mounts.view(harness_args), work, tmp_bytes)

    def confine(self, view: View, work: Path, tmp_bytes: int) -> Launch:
        """The bwrap command running the worker's Python with ``view.python_args``, seeing
        the system, the Python environment and ``view.binds``; /tmp a tmpfs of ``tmp_bytes``."""
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
        for directory in _mount_points(view):  # bwrap would otherwise create them as 0700
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
        args += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
        python, env_extra = _python_environment(args, work)
        path = f"/sandbox/venv/bin:{SYSTEM_PATH}"
        if view.environment is not None:
            args += _program_environment(view.environment, python, work)
            path = f"{PROGRAM_ENVIRONMENT}/bin:{path}"
        for bind in view.binds:
            args += ["--bind" if bind.writable else "--ro-bind", str(bind.host), bind.inside]
        args += ["--chdir", view.cwd]
        fds: tuple[int, ...] = ()
        if self.privileged and (seccomp := filter_fd()) is not None:
            args += ["--add-seccomp-fd", str(seccomp)]
            fds = (seccomp,)
        if self.privileged:
            assert self.setpriv is not None  # __init__ refuses to run privileged without it
            drop = [str(SANDBOX_UID)] * 2
            args += [self.setpriv, "--reuid", drop[0], "--regid", drop[1], "--clear-groups"]
            args += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        env = clean_environment("/sandbox/lib", {**env_extra, "PATH": path, **(view.env or {})})
        return Launch(args + [python, *view.python_args], env, None, fds)


def _mount_points(view: View) -> list[str]:
    """The folders to create before binding: the sandbox's own and the parents of every bind."""
    points = list(SANDBOX_DIRS)
    for bind in view.binds:
        for parent in reversed(Path(bind.inside).parents):
            if str(parent) != "/" and str(parent) not in points:
                points.append(str(parent))
    if view.environment is not None:
        points += [PROGRAM_ENVIRONMENT, f"{PROGRAM_ENVIRONMENT}/bin"]
    return points


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
    /sandbox/venv/bin holds ``python`` and ``python3`` either way (first on the PATH).
    """
    base = Path(sys.base_prefix).resolve()
    python = _base_python()
    extra: dict[str, str] = {}
    if not base.is_relative_to("/usr"):
        args += ["--ro-bind", str(base), "/sandbox/python"]
        extra["LD_LIBRARY_PATH"] = "/sandbox/python/lib"  # an absolute RUNPATH would point outside
    prefix = Path(sys.prefix).resolve()
    if prefix != base:
        config = (prefix / "pyvenv.cfg").read_text() if (prefix / "pyvenv.cfg").exists() else ""
        args += _pyvenv_cfg(work / "pyvenv.cfg", config, python, "/sandbox/venv")
        args += ["--ro-bind", str(prefix / "lib"), "/sandbox/venv/lib"]
        if (prefix / "lib64").exists():
            args += ["--symlink", "lib", "/sandbox/venv/lib64"]
        args += _hide_site_packages(prefix / "lib", "/sandbox/venv/lib")
    for name in ("python", "python3"):
        args += ["--symlink", python, f"/sandbox/venv/bin/{name}"]
    return ("/sandbox/venv/bin/python" if prefix != base else python), extra


def _base_python() -> str:
    """The worker's base interpreter as the sandbox sees it."""
    base = Path(sys.base_prefix).resolve()
    base_exe = Path(getattr(sys, "_base_executable", sys.executable))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if base.is_relative_to("/usr"):
        return str(base_exe) if base_exe.exists() else f"{base}/bin/{version}"
    relative = base_exe.relative_to(base) if base_exe.is_relative_to(base) else Path("bin", version)
    return f"/sandbox/python/{relative}"


def _pyvenv_cfg(path: Path, host_config: str, python: str, inside: str) -> list[str]:
    """A pyvenv.cfg making ``inside`` a virtualenv of the sandbox's interpreter ``python``,
    with the system site-packages if the host's configuration has them."""
    system = "true" if "include-system-site-packages = true" in host_config else "false"
    path.write_text(
        f"home = {Path(python).parent}\ninclude-system-site-packages = {system}\n"
        f"version = {'.'.join(map(str, sys.version_info[:3]))}\n"
    )
    return ["--ro-bind", str(path), f"{inside}/pyvenv.cfg"]


def _program_environment(folder: Path, python: str, work: Path) -> list[str]:
    """Mount an organiser's program environment (runner.environments) at PROGRAM_ENVIRONMENT:
    its packages read-only, a pyvenv.cfg pointing at the sandbox's interpreter, ``python``
    and ``python3`` in its bin, and its link to the worker's packages rewritten to where the
    sandbox sees them (the host's paths are not mounted)."""
    from fivesigma.runner.environments import WORKER_PACKAGES_PTH

    host_config = (folder / "pyvenv.cfg").read_text() if (folder / "pyvenv.cfg").exists() else ""
    base = _base_python()
    (work / "env").mkdir(exist_ok=True)
    args = _pyvenv_cfg(work / "env" / "pyvenv.cfg", host_config, base, PROGRAM_ENVIRONMENT)
    args += ["--ro-bind", str(folder / "lib"), f"{PROGRAM_ENVIRONMENT}/lib"]
    args += _hide_site_packages(folder / "lib", f"{PROGRAM_ENVIRONMENT}/lib")
    for name in ("python", "python3"):
        args += ["--symlink", base, f"{PROGRAM_ENVIRONMENT}/bin/{name}"]
    for pth in (folder / "lib").glob(f"python*/site-packages/{WORKER_PACKAGES_PTH}"):
        lines = [f"import site; site.addsitedir({p!r})" for p in _worker_site_packages()]
        (work / "env" / WORKER_PACKAGES_PTH).write_text("\n".join(lines) + "\n")
        inside = f"{PROGRAM_ENVIRONMENT}/{pth.relative_to(folder).as_posix()}"
        args += ["--ro-bind", str(work / "env" / WORKER_PACKAGES_PTH), inside]
    return args


def _worker_site_packages() -> list[str]:
    """The worker's site-packages folders, as the sandbox sees them."""
    base, prefix = Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()
    found = []
    for folder in map(Path, site.getsitepackages()):
        folder = folder.resolve()
        if prefix != base and folder.is_relative_to(prefix / "lib"):
            found.append(f"/sandbox/venv/lib/{folder.relative_to(prefix / 'lib').as_posix()}")
        elif not base.is_relative_to("/usr") and folder.is_relative_to(base):
            found.append(f"/sandbox/python/{folder.relative_to(base).as_posix()}")
        elif folder.is_relative_to("/usr"):
            found.append(str(folder))
    return found


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
