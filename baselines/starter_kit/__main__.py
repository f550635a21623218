"""Command line: ``python -m fivesigma.baselines.starter_kit higgsml|higgsml-uncertainty|trackml --out kit.zip``."""

from __future__ import annotations

import argparse
import sys

from fivesigma.baselines.starter_kit import KITS, build


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(
        prog="python -m fivesigma.baselines.starter_kit", description="Build a starter-kit zip."
    )
    cli.add_argument("challenge", choices=sorted(KITS))
    cli.add_argument("--out", required=True, help="zip file to write")
    args = cli.parse_args(argv)
    try:
        path = build(args.challenge, args.out)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
