"""``fivesigma`` / ``python -m fivesigma.challenges.client``: log in, download data, manage your team, submit, choose final submissions, read leaderboards."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fivesigma.challenges.client import commands, config
from fivesigma.challenges.client.remote import Api, ClientError


def positive(text: str) -> int:
    """A whole number of at least 1, for counts given on the command line."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="fivesigma", description="Command-line client of a fivesigma challenge site."
    )
    sub = root.add_subparsers(dest="command", required=True)

    login = sub.add_parser("login", help="store the site address and your API token")
    login.add_argument(
        "--url", required=True, help="address of the site, e.g. https://fivesigma.example.org"
    )
    who = login.add_mutually_exclusive_group(required=True)
    who.add_argument("--token", help="API token from your profile page")
    who.add_argument("--username", help="log in with your password (asked for) to get the token")

    sub.add_parser("challenges", help="list the challenges and their phases")

    download = sub.add_parser("download", help="download a challenge's public files")
    download.add_argument("challenge", help="challenge slug, e.g. higgsml")
    download.add_argument("--out", type=Path, help="directory (default: ./CHALLENGE)")

    submit = sub.add_parser("submit", help="upload a submission to a phase")
    submit.add_argument("challenge")
    submit.add_argument("phase", help="phase key, e.g. main")
    submit.add_argument("file", type=Path, help="result file (.csv, .csv.gz, .zip) or code .zip")
    submit.add_argument("--description", default="", help="a note kept with the submission")
    submit.add_argument("--wait", action="store_true", help="wait for the score and print it")
    submit.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait at most")

    mine = sub.add_parser("submissions", help="list your team's submissions to a phase")
    mine.add_argument("challenge")
    mine.add_argument("phase")

    final = sub.add_parser(
        "final", help="choose a submission as one of your team's final submissions"
    )
    final.add_argument("uid", help="the submission's uid (from `fivesigma submissions`)")
    final.add_argument("--unselect", action="store_true", help="stop counting it as final")

    team = sub.add_parser("team", help="show, create, join or leave your team in a challenge")
    team.add_argument("challenge")
    action = team.add_mutually_exclusive_group()
    action.add_argument("--create", metavar="NAME", help="create a team of this name")
    action.add_argument("--join", metavar="CODE", help="join the team of this invitation code")
    action.add_argument("--leave", action="store_true", help="leave your team (no submissions yet)")

    board = sub.add_parser("leaderboard", help="print a phase's leaderboard")
    board.add_argument("challenge")
    board.add_argument("phase")
    board.add_argument("--private", action="store_true", help="private leaderboard (after the end)")
    board.add_argument(
        "--top",
        type=positive,
        default=50,
        metavar="N",
        help="print the N best-ranked teams (default 50); baselines are printed apart",
    )
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "login":
            return commands.login(args.url, args.token, args.username)
        settings = config.load()
        api = Api(settings.url, settings.token)
        if args.command == "challenges":
            return commands.list_challenges(api)
        if args.command == "download":
            return commands.download(api, args.challenge, args.out)
        if args.command == "submit":
            return commands.submit(
                api,
                args.challenge,
                args.phase,
                args.file,
                args.description,
                args.wait,
                args.timeout,
            )
        if args.command == "submissions":
            return commands.submissions(api, args.challenge, args.phase)
        if args.command == "final":
            return commands.final(api, args.uid, not args.unselect)
        if args.command == "team":
            return commands.team(api, args.challenge, args.create, args.join, args.leave)
        return commands.leaderboard(api, args.challenge, args.phase, args.private, args.top)
    except (ClientError, config.NotLoggedIn) as error:
        return commands.fail(str(error))
    except KeyboardInterrupt:
        return commands.fail("interrupted")


if __name__ == "__main__":
    sys.exit(main())
