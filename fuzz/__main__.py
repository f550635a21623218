"""Command line: ``python -m fuzz campaign`` (what ``make fuzz`` runs) and ``python -m fuzz run``.

``run NAME [libFuzzer arguments]`` fuzzes one target in this process; the readers and the
standard-library zip and gzip modules are imported under atheris's instrumentation, so that
their branches guide the mutations. ``campaign`` runs every target (or those named) for a
time each, restarting after a crash, and prints and saves (``<workdir>/summary.json``) how
many inputs ran and which crashes were found; it exits with status 1 when there was one.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

INSTRUMENTED = ("fuzz", "scoring", "runner", "challenges", "zipfile", "gzip", "yaml")


def run(name: str, libfuzzer_args: list[str]) -> None:
    import atheris

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fivesigma.settings")
    with atheris.instrument_imports(include=list(INSTRUMENTED)):
        import gzip  # noqa: F401 - imported here to be instrumented
        import zipfile  # noqa: F401

        import django

        django.setup()
        import fivesigma.challenges.engine.bundles  # noqa: F401
        import fivesigma.runner.unpack  # noqa: F401
        from fuzz.targets import TARGETS
    if name not in TARGETS:
        sys.exit(f"unknown target {name!r}; targets: {', '.join(TARGETS)}")
    warnings.simplefilter("ignore")  # pandas' dtype warnings on junk are not findings
    atheris.Setup([sys.argv[0], *libfuzzer_args], TARGETS[name].run)
    atheris.Fuzz()


def main() -> None:
    if sys.argv[1:2] == ["run"] and len(sys.argv) > 2:
        run(sys.argv[2], sys.argv[3:])
        return
    from fuzz.campaign import campaign, table
    from fuzz.targets import TARGETS

    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="NAME [libFuzzer arguments]: fuzz one target in-process")
    many = commands.add_parser("campaign", help="fuzz the targets for a time each")
    many.add_argument("targets", nargs="*", help=f"some of {', '.join(TARGETS)} (default: all)")
    many.add_argument("--seconds", type=float, default=300.0, help="per target (default 300)")
    many.add_argument("--workdir", type=Path, default=Path("var/fuzz"))
    args = parser.parse_args()
    if args.command == "run":
        parser.error("run needs a target name: " + ", ".join(TARGETS))
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown target(s) {', '.join(sorted(unknown))}")
    results = campaign(TARGETS, args.targets or list(TARGETS), args.seconds, args.workdir)
    print(table(results))
    sys.exit(1 if any(r.crashes for r in results) else 0)


if __name__ == "__main__":
    main()
