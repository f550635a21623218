"""What refusing a hostile bundle or upload costs: an alias bomb, a huge manifest, the largest
manifest accepted, a zip bomb uploaded as a bundle, and gzip/zip bombs sent as submissions.

Each is measured in a child process (CPU seconds and peak resident memory of that process,
which includes ~100-200 MB of imports); the machine's 2 cores are shared with other work, so
wall times are noisy and CPU times are quoted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from benchmarks.harness import REPO, Table

AREA = "bundles"

CHILD = textwrap.dedent("""\
    import json, os, resource, sys, time
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fivesigma.settings")
    import django
    django.setup()
    from pathlib import Path
    from fivesigma.challenges.engine import bundles
    from fivesigma.scoring import registry
    from fivesigma.scoring.validation import SubmissionError
    kind, path = sys.argv[1], Path(sys.argv[2])
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    message = ""
    try:
        if kind == "bundle":
            bundles.parse(path)
        elif kind == "bundle-zip":
            bundles.unpack_zip(path, path.parent / "out", bundles.MAX_UPLOADED_BUNDLE_BYTES)
        else:
            registry.get("ams").read_submission(path)
    except (bundles.BundleError, SubmissionError) as error:
        message = str(error)
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "wall": time.perf_counter() - start,
        "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "peak_mb": after.ru_maxrss / 1024,
        "message_bytes": len(message),
        "refused": bool(message),
    }))
    """)


def measure(kind: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def alias_bomb(root: Path, levels: int) -> Path:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    (root / "challenge.yaml").write_text("\n".join(lines) + f"\ntitle: *a{levels}\n")
    return root


def manifest_of(root: Path, n_bytes: int) -> Path:
    line = "  - {key: k, title: 'a phase', daily_limit: 1, start: 2024-01-01, end: 2099-01-01}\n"
    (root / "challenge.yaml").write_text(
        "slug: s\ntitle: t\nphases:\n" + line * (n_bytes // len(line))
    )
    return root


def zip_bomb(path: Path, gib: float) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("challenge.yaml", "version: 1\n")
        with archive.open("zeros.bin", "w", force_zip64=True) as member:
            for _ in range(int(gib * 64)):
                member.write(bytes(1 << 24))
    return path


def gzip_bomb(path: Path, mib: int) -> Path:
    import gzip

    with gzip.open(path, "wb", compresslevel=1) as stream:
        stream.write(b"EventId,RankOrder,Class\n")
        for _ in range(mib):
            stream.write(b"1" * (1 << 20))
    return path


def run(table: Table) -> None:
    with tempfile.TemporaryDirectory(prefix="fivesigma-bench-bundles-") as tmp:
        tmp = Path(tmp)
        cases = []
        for name, folder_maker in (
            ("9-level alias bomb in challenge.yaml", lambda d: alias_bomb(d, 9)),
            ("28 MB challenge.yaml", lambda d: manifest_of(d, 28_000_000)),
            (
                "250 KiB challenge.yaml, read to the end (then refused: over 50 phases)",
                lambda d: manifest_of(d, 250 * 1024),
            ),
        ):
            folder = tmp / f"case{len(cases)}"
            folder.mkdir()
            cases.append((name, "bundle", folder_maker(folder)))
        cases.append(
            ("1 GiB zip bomb uploaded as a bundle", "bundle-zip", zip_bomb(tmp / "bomb.zip", 1))
        )
        cases.append(
            (
                "1.2 GiB gzip bomb sent as a submission",
                "submission",
                gzip_bomb(tmp / "bomb.csv.gz", 1200),
            )
        )
        for name, kind, path in cases:
            figures = measure(kind, path)
            outcome = "refused" if figures["refused"] else "read"
            table.add(
                AREA,
                name,
                f"{outcome} in {figures['cpu']:.2f} s CPU ({figures['wall']:.2f} s wall), "
                f"peak {figures['peak_mb']:.0f} MB, problem {figures['message_bytes']} bytes",
                "< 5 s CPU, < 500 MB",
                figures["cpu"] < 5 and figures["peak_mb"] < 500,
            )
