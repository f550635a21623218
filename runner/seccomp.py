"""A seccomp filter that refuses new user namespaces, for sandboxes set up by root.

When the worker runs as root, bwrap sets the sandbox up with root's privileges and the
harness drops to nobody; no user namespace is involved, so bwrap's ``--disable-userns``
is not available. This classic-BPF program does the same: ``unshare`` and ``clone`` with
CLONE_NEWUSER fail with EPERM, ``clone3`` (whose flags BPF cannot read) and the x32 and
32-bit system call tables fail with ENOSYS, so libc falls back to plain ``clone``.
x86_64 only; on other architectures no filter is installed.
"""

from __future__ import annotations

import errno
import os
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
NR_CLONE, NR_UNSHARE, NR_CLONE3 = 56, 272, 435
CLONE_NEWUSER = 0x10000000
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0 = (
    0,
    4,
    16,
)  # struct seccomp_data, little-endian low word of args[0]

LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000


def _assemble(program: list[tuple]) -> bytes:
    """(code, k) or (code, k, true_label, false_label) rows, plus ("label", name) markers."""
    labels, index = {}, 0
    for row in program:
        if row[0] == "label":
            labels[row[1]] = index
        else:
            index += 1
    out, index = [], 0
    for row in program:
        if row[0] == "label":
            continue
        code, k, *targets = row
        jt, jf = (labels[t] - index - 1 if t else 0 for t in targets) if targets else (0, 0)
        out.append(struct.pack("<HBBI", code, jt, jf, k))
        index += 1
    return b"".join(out)


def no_user_namespaces() -> bytes:
    """The filter as the raw sock_filter array bwrap's --add-seccomp-fd reads."""
    return _assemble(
        [
            (LD_ABS, OFFSET_ARCH),
            (JEQ, AUDIT_ARCH_X86_64, "native", "enosys"),
            ("label", "native"),
            (LD_ABS, OFFSET_NR),
            (JGE, X32_SYSCALL_BIT, "enosys", "x64"),
            ("label", "x64"),
            (JEQ, NR_CLONE3, "enosys", "not_clone3"),
            ("label", "not_clone3"),
            (JEQ, NR_UNSHARE, "flags", "not_unshare"),
            ("label", "not_unshare"),
            (JEQ, NR_CLONE, "flags", "allow"),
            ("label", "flags"),
            (LD_ABS, OFFSET_ARG0),
            (JSET, CLONE_NEWUSER, "eperm", "allow"),
            ("label", "allow"),
            (RET, RET_ALLOW),
            ("label", "eperm"),
            (RET, RET_ERRNO | errno.EPERM),
            ("label", "enosys"),
            (RET, RET_ERRNO | errno.ENOSYS),
        ]
    )


def filter_fd() -> int | None:
    """An inheritable fd holding the filter (None off x86_64)."""
    if platform.machine() != "x86_64":
        return None
    fd = os.memfd_create("fivesigma-seccomp", 0)
    os.write(fd, no_user_namespaces())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
